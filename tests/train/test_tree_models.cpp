// Boosted trees beside the networks in cross-validation (`cv --trees`): each
// fold's prediction is the mean of its networks' and its trees', the trees
// are fitted on the fold's training rows only and saved, and trees can be
// added to a run whose networks finished without them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/train/simulated_set.h"
#include "train/prepared.h"
#include "train/run.h"
#include "train/tree_models.h"

namespace fs = std::filesystem;
using varstar::train::Dataset;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / fmt::format("varstar_{}_{}", name, getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// The built-in simulator's stars as harmonic-shape curves with their catalog features.
varstar::train::PreparedData simulated(const fs::path& dir) {
  return varstar::train::PreparedData(varstar::test::prepare_simulated(dir, "harmonic-shape:n_points=24", 24, 2));
}

varstar::train::RunOptions options(const fs::path& out, bool trees) {
  varstar::train::RunOptions o;
  o.train.model = "cnn-lstm";
  o.train.epochs = 1;
  o.train.batch = 16;
  o.train.lr = 5e-4;
  o.train.threads = 2;
  o.train.trees = trees;
  o.train.trees_options.min_samples_leaf = 5;
  o.train.trees_options.rounds = 20;
  o.out_dir = out.string();
  o.write_report = false;
  return o;
}

}  // namespace

TEST_CASE("cv with trees: each fold averages its networks and its trees, fitted on the fold's training rows") {
  const fs::path dir = temp_dir("cv_trees");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const varstar::train::PreparedData data = simulated(dir);
  const auto& folds = data.folds();
  const auto for_fold = [&](int k) -> const Dataset& { return data.for_fold(k); };
  REQUIRE(data.for_fold(0).n_features > 0);

  const auto networks = varstar::train::cross_validate(options(dir / "networks", false), folds, for_fold, quiet);
  const auto both = varstar::train::cross_validate(options(dir / "both", true), folds, for_fold, quiet);
  REQUIRE(both.metrics.at("summary").contains("trees"));
  CHECK_FALSE(networks.metrics.at("summary").contains("trees"));
  for (size_t k = 0; k < folds.size(); ++k) {
    CAPTURE(k);
    const Dataset& d = data.for_fold(static_cast<int>(k));
    const fs::path file = dir / "both" / "checkpoints" / fmt::format("fold{}", k + 1) / "trees.json";
    REQUIRE(fs::exists(file));
    const nlohmann::json description = {{"classes", d.class_names}, {"representation", d.description}};
    const auto saved = varstar::train::load_trees_file(file.string(), description);
    // Fitted on the training rows: refitting them gives the saved trees, all rows other trees.
    CHECK(saved.to_json() == varstar::train::fit_trees(d, folds[k].train, options(dir, true).train.trees_options).to_json());
    std::vector<int64_t> all(static_cast<size_t>(d.size()));
    for (int64_t i = 0; i < d.size(); ++i) all[i] = i;
    CHECK(saved.to_json() != varstar::train::fit_trees(d, all, options(dir, true).train.trees_options).to_json());

    const auto& n = networks.folds[k].test_predictions;
    const auto t = varstar::train::predict_trees(saved, d, n.rows);
    const auto& mean = both.folds[k].test_predictions;
    REQUIRE(mean.probabilities.size() == n.probabilities.size());
    for (size_t i = 0; i < n.probabilities.size(); ++i)
      CHECK(mean.probabilities[i] == n.probabilities[i] / 2.0f + t.probabilities[i] / 2.0f);
    CHECK(both.folds[k].networks_accuracy == networks.folds[k].test.accuracy);
    CHECK(both.folds[k].trees_accuracy == varstar::train::report_on(t, d).accuracy);
  }

  // Trees added on --resume to folds whose networks finished without them
  // (fold results copied into a new run folder) give the same run.
  const fs::path later = dir / "later";
  for (size_t k = 1; k <= folds.size(); ++k) {
    const fs::path fold = later / "checkpoints" / fmt::format("fold{}", k);
    fs::create_directories(fold);
    fs::copy_file(dir / "networks" / "checkpoints" / fmt::format("fold{}", k) / "result.json", fold / "result.json");
  }
  auto o = options(later, true);
  o.resume = true;
  const auto added = varstar::train::cross_validate(o, folds, for_fold, quiet);
  for (size_t k = 0; k < folds.size(); ++k) {
    CHECK(added.folds[k].test_predictions.probabilities == both.folds[k].test_predictions.probabilities);
    CHECK(added.folds[k].trees_accuracy == both.folds[k].trees_accuracy);
  }
  CHECK(added.metrics.at("summary").at("trees") == both.metrics.at("summary").at("trees"));

  // A trees file for other classes, or another representation, is refused.
  const Dataset& d = data.for_fold(0);
  const fs::path file = dir / "both" / "checkpoints" / "fold1" / "trees.json";
  nlohmann::json other = {{"classes", {"a", "b"}}, {"representation", d.description}};
  CHECK_THROWS_WITH_AS(varstar::train::load_trees_file(file.string(), other), doctest::Contains("the trees know classes"),
                       varstar::DataError);
  other = {{"classes", d.class_names}, {"representation", d.description}};
  other["representation"]["n_points"] = 32;
  CHECK_THROWS_WITH_AS(varstar::train::load_trees_file(file.string(), other),
                       doctest::Contains("the trees were fitted on representation"), varstar::DataError);
  fs::remove_all(dir);
}

TEST_CASE("trees need per-star features: a representation without them is a clear error") {
  const fs::path dir = temp_dir("cv_trees_none");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset plain = varstar::train::make_dataset("plain", {"a", "b", "c", "d"}, {0, 1, 0, 1}, {"x", "y"}, {1, 4},
                                                     std::vector<float>(16, 0.f));
  const auto folds = varstar::data::kfold(plain.size(), 2, true, 42);
  CHECK_THROWS_WITH_AS(varstar::train::cross_validate(options(dir, true), folds,
                                                      [&](int) -> const Dataset& { return plain; }, quiet),
                       doctest::Contains("--trees reads per-star features"), varstar::Error);
  fs::remove_all(dir);
}
