// `varstar train`: fit a network on every prepared star (optionally holding out
// a validation share) and write model.safetensors for `varstar predict`.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/command.h"
#include "apps/train_args.h"
#include "train/prepared.h"
#include "train/tree_models.h"

namespace {

void run_train(varstar::app::TrainArgs& a) {
  using namespace varstar;
  a.finalise();
  train::Progress progress(a.progress_mode());
  data::PrepareOptions o = a.prepare_options(progress);
  o.folds = 2;  // folds are not used; prepare still writes them
  train::PreparedData data(data::prepare(o), nullptr, a.config.feature_bins,
                           train::FeatureStatistics::all_stars);  // every star is a training star
  const train::Dataset& d = data.for_fold(0);
  VARSTAR_CHECK(!d.uses_labels,
                "representation '{}' is built from the labels of the stars being classified, so a model trained on it "
                "cannot classify new stars; use it with `varstar cv` to reproduce the thesis, or choose another "
                "--representation", o.representation);
  if (a.config.trees) train::require_features(d);
  if (data.prepared().simulated) progress.message(std::string("*** ") + data::kSimulatedDataNotice + " ***", true);
  std::filesystem::create_directories(a.out);
  std::ofstream(a.out + "/config.json") << nlohmann::json{{"train", a.config.to_json()},
                                                          {"data", data.data_report()},
                                                          {"representation", d.description}}.dump(2)
                                        << "\n";
  const int n_members = a.config.ensemble;
  std::vector<std::string> model_files;
  std::vector<train::EpochRecord> last_epochs;
  a.start_profile();
  for (int m = 0; m < n_members; ++m) {
    train::TrainConfig config = a.config.member(m);
    train::FoldJob job;
    for (int64_t i = 0; i < d.size(); ++i) job.train_rows.push_back(i);
    job.checkpoint_dir = n_members == 1 ? a.out : fmt::format("{}/member{}", a.out, m + 1);
    job.resume = a.resume;
    std::filesystem::create_directories(job.checkpoint_dir);
    if (n_members > 1)
      progress.message(fmt::format("ensemble member {}/{} (seed {})", m + 1, n_members, config.seed));
    const train::FoldOutcome r = train::train_fold(config, d, job, progress);
    std::string history = "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,samples_per_s\n";
    for (const auto& e : r.history)
      history += fmt::format("{},{},{},{},{},{},{:.3f},{:.1f}\n", e.epoch, e.lr, e.train_loss, e.train_accuracy,
                             e.val_loss, e.val_accuracy, e.seconds, e.samples_per_s);
    std::ofstream(job.checkpoint_dir + "/history.csv") << history;
    model_files.push_back(job.checkpoint_dir + "/model.safetensors");
    last_epochs.push_back(r.history.back());
  }
  a.finish_profile();
  std::string trees_file;
  if (a.config.trees) {
    progress.message(fmt::format("boosted trees on the {} per-star features of {} stars", d.n_features, d.size()));
    std::vector<int64_t> rows(static_cast<size_t>(d.size()));
    for (int64_t i = 0; i < d.size(); ++i) rows[i] = i;
    trees_file = a.out + "/trees.json";
    train::save_trees_file(trees_file, train::fit_trees(d, rows, a.config.trees_options), d);
  }
  if (a.json) {
    nlohmann::json last = nlohmann::json::array();
    for (const auto& e : last_epochs) last.push_back(e.to_json());
    nlohmann::json out = {{"model", n_members == 1 ? nlohmann::json(model_files[0]) : nlohmann::json(model_files)},
                          {"last_epoch", n_members == 1 ? last[0] : last}};
    if (!trees_file.empty()) out["trees"] = trees_file;
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::string predict_models;
  for (const auto& f : model_files) predict_models += " --model " + f;
  if (!trees_file.empty()) predict_models += " --trees " + trees_file;
  for (int m = 0; m < n_members; ++m) {
    const auto& last = last_epochs[m];
    std::printf("trained %s%s on %lld stars for %d epochs: train accuracy %.2f%%%s\n", a.config.model.c_str(),
                n_members == 1 ? "" : fmt::format(" (member {}/{})", m + 1, n_members).c_str(),
                static_cast<long long>(d.size()), last.epoch, 100 * last.train_accuracy,
                last.val_accuracy >= 0 ? fmt::format(", validation accuracy {:.2f}%", 100 * last.val_accuracy).c_str()
                                       : "");
  }
  if (!trees_file.empty()) std::printf("boosted trees: %s\n", trees_file.c_str());
  std::printf("model: %s (classify new stars: varstar predict%s --catalog FILE)\n",
              fmt::format("{}", fmt::join(model_files, ", ")).c_str(), predict_models.c_str());
}

varstar::app::RegisterCommand register_train{{"train",
                                   "Train a network on every prepared star and write a model for `varstar predict`", 40,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<varstar::app::TrainArgs>();
                                     a->add_to(app, false);
                                     app.callback([a] { run_train(*a); });
                                   }}};

}  // namespace
