// `varstar train`: fit a network on every prepared star (optionally holding out
// a validation share) and write model.safetensors for `varstar predict`.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/command.h"
#include "apps/train_args.h"
#include "train/prepared.h"

namespace {

void run_train(varstar::app::TrainArgs& a) {
  using namespace varstar;
  a.finalise();
  train::Progress progress(a.progress_mode());
  data::PrepareOptions o = a.prepare_options(progress);
  o.folds = 2;  // folds are not used; prepare still writes them
  train::PreparedData data(data::prepare(o));
  const train::Dataset& d = data.for_fold(0);
  VARSTAR_CHECK(!d.uses_labels,
                "representation '{}' is built from the labels of the stars being classified, so a model trained on it "
                "cannot classify new stars; use it with `varstar cv` to reproduce the thesis, or choose another "
                "--representation", o.representation);
  if (data.prepared().simulated) progress.message(std::string("*** ") + data::kSimulatedDataNotice + " ***", true);
  train::FoldJob job;
  for (int64_t i = 0; i < d.size(); ++i) job.train_rows.push_back(i);
  job.checkpoint_dir = a.out;
  job.resume = a.resume;
  std::filesystem::create_directories(a.out);
  std::ofstream(a.out + "/config.json") << nlohmann::json{{"train", a.config.to_json()},
                                                          {"data", data.data_report()},
                                                          {"representation", d.description}}.dump(2)
                                        << "\n";
  a.start_profile();
  const train::FoldOutcome r = train::train_fold(a.config, d, job, progress);
  a.finish_profile();
  std::string history = "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,samples_per_s\n";
  for (const auto& e : r.history)
    history += fmt::format("{},{},{},{},{},{},{:.3f},{:.1f}\n", e.epoch, e.lr, e.train_loss, e.train_accuracy,
                           e.val_loss, e.val_accuracy, e.seconds, e.samples_per_s);
  std::ofstream(a.out + "/history.csv") << history;
  const auto& last = r.history.back();
  if (a.json) {
    std::printf("%s\n", nlohmann::json{{"model", a.out + "/model.safetensors"}, {"last_epoch", last.to_json()}}.dump().c_str());
    return;
  }
  std::printf("trained %s on %lld stars for %zu epochs: train accuracy %.2f%%%s\n", a.config.model.c_str(),
              static_cast<long long>(d.size()), r.history.size(), 100 * last.train_accuracy,
              last.val_accuracy >= 0 ? fmt::format(", validation accuracy {:.2f}%", 100 * last.val_accuracy).c_str() : "");
  std::printf("model: %s/model.safetensors (classify new stars: varstar predict --model %s/model.safetensors "
              "--catalog FILE)\n", a.out.c_str(), a.out.c_str());
}

varstar::app::RegisterCommand reg{{"train",
                                   "Train a network on every prepared star and write a model for `varstar predict`", 40,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<varstar::app::TrainArgs>();
                                     a->add_to(app, false);
                                     app.callback([a] { run_train(*a); });
                                   }}};

}  // namespace
