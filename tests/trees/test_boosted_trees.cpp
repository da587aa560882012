// Boosted trees: bin edges and leaf values worked out by hand, the limits on
// leaves and leaf sizes, learning a separable problem, saving and loading.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "engine/error.h"
#include "trees/boosted_trees.h"

using varstar::trees::BoostedTrees;
using varstar::trees::BoostingOptions;
using varstar::trees::Tree;

namespace {

// Rows of one feature; class c below, between and above two cuts, with noise features.
struct Rows {
  std::vector<float> x;
  std::vector<int32_t> y;
};
Rows three_bands(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 3);
  Rows r;
  for (int64_t i = 0; i < n; ++i) {
    const double v = u(rng);
    r.y.push_back(v < 1 ? 0 : v < 2 ? 1 : 2);
    r.x.push_back(static_cast<float>(u(rng)));  // noise
    r.x.push_back(static_cast<float>(v));
  }
  return r;
}

int leaf_of(const Tree& t, const float* x) {
  int i = 0;
  while (t.nodes[i].feature >= 0) i = x[t.nodes[i].feature] <= t.nodes[i].threshold ? t.nodes[i].left : t.nodes[i].right;
  return i;
}

}  // namespace

TEST_CASE("bin edges: midpoints of few distinct values, NumPy midpoint percentiles of many") {
  CHECK(varstar::trees::bin_edges({3, 1, 2, 2, 1}, 255) == std::vector<double>{1.5, 2.5});
  CHECK(varstar::trees::bin_edges({4, 4, 4}, 255).empty());
  // Ten values 0..9, four bins: percentiles 25, 50, 75 at positions 2.25, 4.5,
  // 6.75, whose 'midpoint' rule takes the halfway points 2.5, 4.5, 6.5.
  CHECK(varstar::trees::bin_edges({9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 4) == std::vector<double>{2.5, 4.5, 6.5});
  // Five values 0..4, two bins: the median at position 2 is the value itself.
  CHECK(varstar::trees::bin_edges({0, 1, 2, 3, 4}, 2) == std::vector<double>{2});
  const std::vector<double> edges = {1.5, 2.5};
  CHECK(varstar::trees::bin_of(edges, 1.5) == 0);
  CHECK(varstar::trees::bin_of(edges, 1.6) == 1);
  CHECK(varstar::trees::bin_of(edges, 9) == 2);
}

TEST_CASE("a stump's leaf values are the Newton step of the logistic loss") {
  // Two classes, one feature: x = 0 for 30 rows (10 of class 1), x = 1 for 50 rows (40 of class 1).
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < 30; ++i) x.push_back(0), y.push_back(i < 10);
  for (int i = 0; i < 50; ++i) x.push_back(1), y.push_back(i < 40);
  BoostingOptions o;
  o.rounds = 1;
  o.max_leaves = 2;
  o.min_samples_leaf = 1;
  o.learning_rate = 0.5;
  const BoostedTrees m = BoostedTrees::fit(x, 1, y, 2, o);
  const double p = 50.0 / 80.0;  // every row starts at the class share
  CHECK(m.baseline()[0] == doctest::Approx(std::log(p / (1 - p))));
  const Tree& t = m.rounds()[0][0];
  REQUIRE(t.nodes.size() == 3);
  CHECK(t.nodes[0].feature == 0);
  CHECK(t.nodes[0].threshold == 0.5);
  // Leaf value: -learning rate * sum(p - y) / sum(p (1 - p)).
  const auto newton = [&](int rows, int ones) { return -0.5 * (rows * p - ones) / (rows * p * (1 - p)); };
  CHECK(t.nodes[t.nodes[0].left].value == doctest::Approx(newton(30, 10)).epsilon(1e-6));
  CHECK(t.nodes[t.nodes[0].right].value == doctest::Approx(newton(50, 40)).epsilon(1e-6));
  const std::vector<float> probe = {0.0f};
  const double z = m.baseline()[0] + newton(30, 10);
  CHECK(m.predict_proba(probe)[1] == doctest::Approx(1 / (1 + std::exp(-z))).epsilon(1e-6));
}

TEST_CASE("three classes in bands of one feature are learned; leaves respect the limits") {
  const Rows train = three_bands(600, 1), test = three_bands(300, 2);
  BoostingOptions o;
  o.rounds = 20;
  o.max_leaves = 6;
  o.min_samples_leaf = 15;
  const BoostedTrees m = BoostedTrees::fit(train.x, 2, train.y, 3, o);
  REQUIRE(m.rounds().size() == 20);
  // The first tree of class 0 separates it at the first cut, on the informative feature.
  const Tree& first = m.rounds()[0][0];
  CHECK(first.nodes[0].feature == 1);
  CHECK(std::abs(first.nodes[0].threshold - 1.0) < 0.05);
  for (const auto& round : m.rounds())
    for (const Tree& t : round) {
      CHECK(t.leaves() <= o.max_leaves);
      std::vector<int> rows(t.nodes.size(), 0);
      for (size_t i = 0; i < train.y.size(); ++i) ++rows[leaf_of(t, &train.x[2 * i])];
      for (size_t n = 0; n < t.nodes.size(); ++n)
        if (t.nodes[n].feature < 0) CHECK(rows[n] >= o.min_samples_leaf);
    }
  const std::vector<double> p = m.predict_proba(test.x);
  int correct = 0;
  for (size_t i = 0; i < test.y.size(); ++i) {
    const double* row = &p[3 * i];
    CHECK(row[0] + row[1] + row[2] == doctest::Approx(1.0));
    correct += static_cast<int>(std::max_element(row, row + 3) - row) == test.y[i];
  }
  CHECK(correct >= 290);  // the bands are exact; a few rows lie within a bin of a cut
}

TEST_CASE("a saved model predicts the same; a damaged one is refused with the reason") {
  const Rows train = three_bands(200, 3);
  BoostingOptions o;
  o.rounds = 4;
  const BoostedTrees m = BoostedTrees::fit(train.x, 2, train.y, 3, o);
  const nlohmann::json saved = nlohmann::json::parse(m.to_json().dump());
  const BoostedTrees loaded = BoostedTrees::from_json(saved);
  CHECK(loaded.predict_proba(train.x) == m.predict_proba(train.x));

  nlohmann::json bad = saved;
  bad["rounds"][0][0]["left"][0] = 0;  // the root its own child: a loop
  CHECK_THROWS_WITH_AS(BoostedTrees::from_json(bad), doctest::Contains("node 0"), varstar::Error);
  bad = saved;
  bad["rounds"][1].erase(1);
  CHECK_THROWS_WITH_AS(BoostedTrees::from_json(bad), doctest::Contains("round 2 has 2 trees, not 3"), varstar::Error);
  bad = saved;
  bad.erase("baseline");
  CHECK_THROWS_AS(BoostedTrees::from_json(bad), varstar::Error);
}

TEST_CASE("bad input is refused with the row and feature") {
  std::vector<float> x = {0, 1, 2, NAN};
  const std::vector<int32_t> y = {0, 1};
  CHECK_THROWS_WITH_AS(BoostedTrees::fit(x, 2, y, 2), doctest::Contains("feature 1 of row 1 is nan"), varstar::Error);
  x[3] = 3;
  CHECK_THROWS_WITH_AS(BoostedTrees::fit(x, 2, std::vector<int32_t>{0, 2}, 2), doctest::Contains("label 2"),
                       varstar::Error);
  CHECK_THROWS_WITH_AS(BoostedTrees::fit(x, 3, y, 2), doctest::Contains("4 values for 2 rows of 3 features"),
                       varstar::Error);
  BoostingOptions o;
  o.max_bins = 256;
  CHECK_THROWS_WITH_AS(BoostedTrees::fit(x, 2, y, 2, o), doctest::Contains("max_bins"), varstar::Error);
}
