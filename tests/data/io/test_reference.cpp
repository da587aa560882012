// Folds, balancing, class weights and NumPy's RandomState against the real
// thing: scripts/reference/sklearn_folds.py runs scikit-learn, pandas and
// NumPy under /usr/bin/python3 on the same cases and writes the expected
// indices; every index must match. Label `python`. Without python3 +
// scikit-learn + pandas the test skips, unless VARSTAR_REQUIRE_TORCH is ON,
// where it fails loudly.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "data/balance.h"
#include "data/folds.h"
#include "data/numpy_random.h"
#include "tests/data/io/test_util.h"

using namespace varstar::data;
using nlohmann::json;

namespace {

std::vector<int32_t> random_labels(size_t n, int classes, uint32_t seed, bool skewed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> y(n);
  for (auto& v : y) {
    const uint32_t r = rng() % 100;
    v = skewed ? static_cast<int32_t>(r < 50 ? 0 : r < 75 ? 1 : r < 90 ? 2 : r < 97 ? 3 : 4) % classes
               : static_cast<int32_t>(r % static_cast<uint32_t>(classes));
  }
  return y;
}

std::vector<std::vector<int64_t>> tests_of(const std::vector<Fold>& folds) {
  std::vector<std::vector<int64_t>> t;
  for (const auto& f : folds) t.push_back(f.test);
  return t;
}

}  // namespace

std::string varstar_test_skip_reason() {
  return varstar::test::python_skip_reason(VARSTAR_PYTHON, VARSTAR_REQUIRE_PYTHON);
}

TEST_CASE("KFold, StratifiedKFold, the thesis balancing, class weights and RandomState equal scikit-learn/pandas/NumPy") {
  REQUIRE_MESSAGE(varstar::test::python_ready(VARSTAR_PYTHON),
                  "python3 with scikit-learn, pandas and numpy is required (VARSTAR_REQUIRE_TORCH=ON) at "
                  << VARSTAR_PYTHON);
  const auto dir = varstar::test::scratch_dir("reference");
  json cases = json::array();
  // KFold: sizes that divide by 5 and that do not, the thesis's 5 x 1,000 and 10 x 1,000 sets.
  const std::vector<std::pair<int64_t, int32_t>> kf = {{10, 5}, {23, 5}, {5000, 5}, {9993, 5}, {101, 3}, {7, 7}};
  for (auto [n, k] : kf) cases.push_back({{"kind", "kfold"}, {"n", n}, {"k", k}, {"seed", 42}});
  cases.push_back({{"kind", "kfold"}, {"n", 1234}, {"k", 5}, {"seed", 7}});
  // StratifiedKFold: balanced and skewed labels, labels not in first-appearance order.
  std::vector<std::vector<int32_t>> strat = {random_labels(100, 5, 1, false), random_labels(2003, 5, 2, true),
                                             random_labels(57, 3, 3, true), {3, 3, 1, 1, 0, 0, 2, 2, 3, 1, 0, 2, 3, 3, 1}};
  for (const auto& y : strat) cases.push_back({{"kind", "stratified"}, {"labels", y}, {"k", 5}, {"seed", 42}});
  cases.push_back({{"kind", "stratified"}, {"labels", strat[1]}, {"k", 4}, {"seed", 123}});
  // Under-sampling: every case has a class above N (pandas 1.x and 2.x then agree on the order).
  const std::vector<std::string> names = {"RR", "CEP", "EW", "DSCT", "Mira"};
  std::vector<std::vector<int32_t>> under = {random_labels(60, 3, 4, true), random_labels(5000, 5, 5, true),
                                             random_labels(333, 5, 6, false)};
  const std::vector<int64_t> under_n = {10, 1000, 50};
  for (size_t c = 0; c < under.size(); ++c) {
    std::vector<std::string> types;
    for (int32_t l : under[c]) types.push_back(names[static_cast<size_t>(l)]);
    cases.push_back({{"kind", "undersample"}, {"types", types}, {"n", under_n[c]}, {"seed", 42}});
  }
  cases.push_back({{"kind", "class_weight"}, {"labels", strat[1]}});
  cases.push_back({{"kind", "randomstate"}, {"seed", 42}, {"n", 10}});
  cases.push_back({{"kind", "randomstate"}, {"seed", 4294967295u}, {"n", 1000}});

  std::ofstream(dir / "in.json") << json{{"cases", cases}}.dump();
  const std::string cmd = std::string("\"") + VARSTAR_PYTHON + "\" \"" + VARSTAR_SOURCE_ROOT +
                          "/scripts/reference/sklearn_folds.py\" \"" + (dir / "in.json").string() + "\" \"" +
                          (dir / "out.json").string() + "\"";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const json out = json::parse(varstar::test::read_file(dir / "out.json"));
  const json& results = out["results"];
  MESSAGE("reference versions: " << out["versions"].dump());
  size_t r = 0;

  for (auto [n, k] : kf) {
    const auto folds = kfold(n, k, true, 42);
    check_folds(folds, n);
    CHECK_MESSAGE(tests_of(folds) == results[r++].get<std::vector<std::vector<int64_t>>>(), "KFold n=" << n);
  }
  CHECK(tests_of(kfold(1234, 5, true, 7)) == results[r++].get<std::vector<std::vector<int64_t>>>());
  for (const auto& y : strat) {
    const auto folds = stratified_kfold(y, 5, true, 42);
    check_folds(folds, static_cast<int64_t>(y.size()));
    CHECK_MESSAGE(tests_of(folds) == results[r++].get<std::vector<std::vector<int64_t>>>(),
                  "StratifiedKFold n=" << y.size());
  }
  CHECK(tests_of(stratified_kfold(strat[1], 4, true, 123)) == results[r++].get<std::vector<std::vector<int64_t>>>());
  for (size_t c = 0; c < under.size(); ++c) {
    // Class indices in sorted name order, as the balancing expects.
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int32_t> idx;
    for (int32_t l : under[c])
      idx.push_back(static_cast<int32_t>(std::find(sorted.begin(), sorted.end(), names[static_cast<size_t>(l)]) - sorted.begin()));
    CHECK_MESSAGE(undersample_thesis(idx, 5, under_n[c], 42) == results[r++].get<std::vector<int64_t>>(),
                  "undersample case " << c);
  }
  {
    const auto counts = class_counts(strat[1], 5);
    const auto w = balanced_class_weights(counts);
    const auto expect = results[r++].get<std::vector<double>>();
    REQUIRE(w.size() == expect.size());
    for (size_t c = 0; c < w.size(); ++c) CHECK(w[c] == doctest::Approx(expect[c]).epsilon(1e-15));
  }
  for (uint32_t seed : {42u, 4294967295u}) {
    const json& res = results[r++];
    NumpyRandomState raw(seed);
    for (const auto& v : res["raw"]) CHECK(raw.next_uint32() == v.get<uint64_t>());
    NumpyRandomState rs(seed);
    CHECK(rs.permutation(static_cast<int64_t>(res["permutation"].size())) == res["permutation"].get<std::vector<int64_t>>());
    NumpyRandomState rs2(seed);
    for (const auto& v : res["random_sample"]) CHECK(rs2.random_sample() == v.get<double>());
  }
}
