// Boosted trees against scikit-learn's HistGradientBoostingClassifier (1.2,
// early stopping off) on the same rows: the same bin edges, the same number
// of leaves in every tree, the same test probabilities.
#include <doctest/doctest.h>

#include <random>

#include "tests/trees/sklearn_reference.h"
#include "trees/boosted_trees.h"

namespace {

using varstar::trees::BoostedTrees;
using varstar::trees::BoostingOptions;

// The trees are the same; the probabilities differ only where NumPy's and
// libm's exp round differently. scikit-learn runs on one thread, so that its
// root sums are sequential like ours.
constexpr double kProbabilityTolerance = 1e-12;

struct Rows {
  std::vector<float> x;
  std::vector<int32_t> y;
};

// Features of mixed kinds: two informative continuous ones (many distinct
// values: percentile edges), one informative with 7 values (midpoint edges,
// ties), one of noise, one constant (no edges).
constexpr int64_t kFeatures = 5;
Rows make_rows(int64_t n, int n_classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Rows r;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t c = static_cast<int32_t>(rng() % n_classes);
    r.y.push_back(c);
    r.x.push_back(static_cast<float>(c + 1.2 * normal(rng)));
    r.x.push_back(static_cast<float>((c % 2) * 1.5 + normal(rng)));
    r.x.push_back(static_cast<float>((c + rng() % 4) % 7));
    r.x.push_back(static_cast<float>(normal(rng)));
    r.x.push_back(3.5f);
  }
  return r;
}

void check_against_sklearn(int n_classes, int64_t n_train, const BoostingOptions& o) {
  const Rows train = make_rows(n_train, n_classes, 7), test = make_rows(200, n_classes, 8);
  const BoostedTrees model = BoostedTrees::fit(train.x, kFeatures, train.y, n_classes, o);
  const nlohmann::json ref = varstar::test::sklearn_trees(train.x, train.y, test.x, kFeatures, o);

  std::vector<double> column;
  for (int64_t f = 0; f < kFeatures; ++f) {
    column.clear();
    for (int64_t i = 0; i < n_train; ++i) column.push_back(train.x[i * kFeatures + f]);
    CAPTURE(f);
    CHECK(varstar::trees::bin_edges(column, o.max_bins) == ref["edges"][f].get<std::vector<double>>());
  }
  const auto& leaves = ref["leaves"];
  REQUIRE(model.rounds().size() == leaves.size());
  for (size_t r = 0; r < leaves.size(); ++r) {
    REQUIRE(model.rounds()[r].size() == leaves[r].size());
    for (size_t k = 0; k < leaves[r].size(); ++k) {
      CAPTURE(r);
      CAPTURE(k);
      CHECK(model.rounds()[r][k].leaves() == leaves[r][k].get<int>());
    }
  }
  const std::vector<double> p = model.predict_proba(test.x);
  double worst = 0;
  for (size_t i = 0; i < test.y.size(); ++i)
    for (int k = 0; k < n_classes; ++k)
      worst = std::max(worst, std::abs(p[i * n_classes + k] - ref["probabilities"][i][k].get<double>()));
  MESSAGE("largest probability difference from scikit-learn: " << worst);
  CHECK(worst < kProbabilityTolerance);
}

}  // namespace

std::string varstar_test_skip_reason() { return varstar::test::sklearn_skip_reason(); }

TEST_CASE("four classes, scikit-learn's default options") {
  check_against_sklearn(4, 700, BoostingOptions{});
}

TEST_CASE("two classes (one tree per round), small bins, leaves and l2") {
  BoostingOptions o;
  o.rounds = 30;
  o.learning_rate = 0.3;
  o.max_leaves = 8;
  o.min_samples_leaf = 5;
  o.l2_regularization = 1.0;
  o.max_bins = 16;
  check_against_sklearn(2, 400, o);
}

TEST_CASE("too few rows to split: every tree is one leaf, the class shares remain") {
  BoostingOptions o;
  o.rounds = 5;
  check_against_sklearn(3, 30, o);
}
TEST_CASE("four classes, leaves of one row: many equal gains, split in scikit-learn's heap order") {
  BoostingOptions o;
  o.rounds = 3;
  o.min_samples_leaf = 1;
  check_against_sklearn(4, 700, o);
}
