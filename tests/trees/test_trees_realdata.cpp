// Boosted trees on real stars: EROS-1 LMC's per-star features (folded
// representation at the recovered periods, as docs/RESULTS.md's runs), on
// varstar's own five stratified folds. On every fold the same test
// probabilities as scikit-learn, and an accuracy well above the survey
// features' random forest (about 92%) on average.
#include <doctest/doctest.h>

#include <filesystem>

#include "data/dataset.h"
#include "tests/trees/sklearn_reference.h"
#include "train/prepared.h"
#include "train/tree_models.h"

namespace fs = std::filesystem;

namespace {

const fs::path kEros = fs::path(VARSTAR_SHARED_DATA) / "eros1-lmc";
// Predictions keep probabilities as float32: equal trees differ by its rounding.
constexpr double kFloat32Tolerance = 1e-6;

}  // namespace

std::string varstar_test_skip_reason() {
  if (!fs::exists(kEros / "lightcurves.csv")) return "no EROS-1 data at " + kEros.string();
  return varstar::test::sklearn_skip_reason();
}

TEST_CASE("EROS-1: on each fold the trees give scikit-learn's probabilities and learn the classes") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("varstar_trees_eros_{}", getpid());
  fs::remove_all(dir);
  varstar::data::PrepareOptions o;
  o.lightcurves = (kEros / "lightcurves.csv").string();
  o.labels = (kEros / "labels.csv").string();
  o.periods = (kEros / "catalog.csv").string();
  o.per_class = varstar::data::kKeepAll;
  o.representation = "folded:phase_bins=32,magnitudes=true,period_multiples=10,skewness=true";
  o.out_dir = (dir / "out").string();
  o.cache_dir = (dir / "cache").string();
  const varstar::train::PreparedData data(varstar::data::prepare(o));
  const varstar::train::Dataset& d = data.for_fold(0);
  REQUIRE(d.n_features == 14);
  REQUIRE(d.n_classes() == 4);
  const varstar::trees::BoostingOptions defaults;
  double accuracy = 0;
  for (size_t k = 0; k < data.folds().size(); ++k) {
    CAPTURE(k);
    const auto& fold = data.folds()[k];
    const auto model = varstar::train::fit_trees(d, fold.train, defaults);
    const auto ours = varstar::train::predict_trees(model, d, fold.test);
    std::vector<int32_t> y_train;
    for (int64_t r : fold.train) y_train.push_back(d.labels[r]);
    const auto ref = varstar::test::sklearn_trees(varstar::train::gather_features(d, fold.train), y_train,
                                                  varstar::train::gather_features(d, fold.test), d.n_features, defaults);
    double worst = 0;
    for (size_t i = 0; i < fold.test.size(); ++i)
      for (int c = 0; c < 4; ++c)
        worst = std::max(worst, std::abs(double(ours.probabilities[i * 4 + c]) - ref["probabilities"][i][c].get<double>()));
    CHECK(worst < kFloat32Tolerance);
    const double a = varstar::train::report_on(ours, d).accuracy;
    MESSAGE("fold " << k + 1 << ": trees " << 100 * a << "%, largest difference from scikit-learn " << worst);
    accuracy += a / static_cast<double>(data.folds().size());
  }
  CHECK(accuracy > 0.93);
  fs::remove_all(dir);
}
