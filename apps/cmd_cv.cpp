// `varstar cv`: prepare the data (thesis protocol), cross-validate a network,
// write the run folder and report.
#include <algorithm>
#include <cstdio>
#include <thread>

#include "apps/command.h"
#include "apps/run_output.h"
#include "apps/train_args.h"
#include "train/prepared.h"
#include "train/presets.h"

namespace {

void run_cv(varstar::app::TrainArgs& a) {
  using namespace varstar;
  a.finalise();
  train::Progress progress(a.progress_mode());
  data::PrepareOptions o = a.prepare_options(progress);
  train::PreparedData data(data::prepare(o), nullptr, a.config.feature_bins,
                           train::parse_feature_statistics(a.feature_statistics));
  const auto& p = data.prepared();
  if (p.simulated) progress.message(std::string("*** ") + data::kSimulatedDataNotice + " ***", true);
  if (progress.mode() != train::ProgressMode::quiet && progress.mode() != train::ProgressMode::json)
    std::fprintf(stderr, "%s\n", p.cleaning.table().c_str());
  train::RunOptions ro;
  ro.train = a.config;
  ro.out_dir = a.out;
  ro.resume = a.resume;
  ro.title = a.run_title();
  ro.data_report = data.data_report();
  ro.folds_spec = {{"k", o.folds}, {"method", std::string(data::to_string(o.fold_method))}, {"seed", o.seed}};
  ro.jobs = a.jobs;
  if (a.jobs > 1) {
    if (!a.profile.empty()) throw Error("--profile follows one training: use it with --jobs 1");
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    if (a.config.threads == 0) ro.threads_per_job = std::max(1, cores / a.jobs);
    progress.message(fmt::format("{} networks at once, {} CPU thread(s) each", a.jobs,
                                 ro.threads_per_job > 0 ? ro.threads_per_job : a.config.threads));
  }
  progress.message(fmt::format("cross-validating {} on {} stars ({} classes), {} folds, run folder {}", a.config.model,
                               p.rows.size(), p.classes.size(), p.folds.size(), a.out));
  a.start_profile();
  const train::RunResult r = train::cross_validate(
      ro, data.folds(), [&](int k) -> const train::Dataset& { return data.for_fold(k); }, progress);
  a.finish_profile();
  if (a.json) {
    std::printf("%s\n", nlohmann::json{{"summary", r.metrics.at("summary")}, {"out", r.out_dir},
                                       {"warning", r.metrics.at("warning")}}.dump().c_str());
  } else {
    varstar::app::print_cv_summary(ro.title, r, a.thesis_result(), data.for_fold(0).warning, ro.data_report);
  }
}

varstar::app::RegisterCommand register_cv{{"cv",
                                   "Cross-validate a network on a catalog, light curves or the built-in set "
                                   "(thesis protocol; --preset names each thesis experiment)",
                                   50, [](CLI::App& app) {
                                     auto a = std::make_shared<varstar::app::TrainArgs>();
                                     a->add_to(app, true);
                                     app.callback([a] { run_cv(*a); });
                                   }}};

}  // namespace
