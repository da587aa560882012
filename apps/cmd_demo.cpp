// `varstar demo`: the main job on the built-in SIMULATED data set. Simulates it
// when absent, prepares the 5-class set, cross-validates both thesis networks
// at a size that finishes in a few minutes on two CPU cores, and writes one
// run folder per network with its report.
#include <cstdio>
#include <filesystem>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "apps/run_output.h"
#include "data/sim/write.h"
#include "engine/device.h"
#include "train/prepared.h"

namespace {

struct DemoArgs {
  std::string builtin = "varstar-data/builtin";
  std::string out = "runs/demo";
  int64_t per_class = 120;
  int folds = 3;
  int epochs_cnnlstm = 12;
  int epochs_2dcnn = 10;
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
};

struct DemoModel {
  std::string name, model, representation, zero_columns;
  int epochs;
  int64_t batch;
  double lr;
};

void run_demo(const DemoArgs& a) {
  using namespace varstar;
  namespace fs = std::filesystem;
  train::Progress progress(a.quiet ? train::ProgressMode::quiet : train::ProgressMode::automatic);
  std::printf("*** %s ***\n", data::kSimulatedDataNotice);
  if (!fs::exists(fs::path(a.builtin) / "Table2.txt")) {
    progress.message(fmt::format("simulating the built-in data set into {} (once) ...", a.builtin));
    sim::SimOptions so;
    sim::write_simulated_set(so, a.builtin);
  }
  const std::vector<DemoModel> runs = {
      {"cnn-lstm", "cnn-lstm", "harmonic-shape", "cnn-lstm", a.epochs_cnnlstm, 32, 1e-3},
      // Small images, batch 16, and the catalog features as constant planes:
      // from 400 training stars the Table 3 network learns little from the
      // images alone (docs/RESULTS.md has both at demo and at full size).
      {"2d-cnn", "cnn2d", "dmdt-catalog:image_height=16,image_width=16,dmdt_norm=max,features=true", "2d-cnn",
       a.epochs_2dcnn, 16, 1e-3},
  };
  std::string device_note;
  const Device device = resolve_device(a.device, &device_note);
  if (!device_note.empty()) progress.message_once("varstar: " + device_note);
  std::vector<std::pair<std::string, train::RunResult>> results;
  for (const auto& m : runs) {
    data::PrepareOptions o;
    o.builtin_dir = a.builtin;
    o.classes = "5";
    o.per_class = a.per_class;
    o.folds = a.folds;
    o.fold_method = data::FoldMethod::stratified;
    o.zero_columns = m.zero_columns;
    o.representation = m.representation;
    o.device = device;
    o.out_dir = a.out + "/" + m.name + "/data";
    o.cache_dir = "varstar-data/cache";
    o.log = [&](const std::string& line) { progress.message(line); };
    train::PreparedData data(data::prepare(o));
    train::RunOptions ro;
    ro.train.model = m.model;
    ro.train.epochs = m.epochs;
    ro.train.batch = m.batch;
    ro.train.lr = m.lr;
    ro.train.lr_schedule = "cosine";
    ro.train.device = a.device;
    ro.train.threads = a.threads;
    ro.out_dir = a.out + "/" + m.name;
    ro.resume = true;  // a second `varstar demo` reuses finished folds
    ro.title = "demo " + m.name + " (" + m.representation + ", simulated data)";
    ro.data_report = data.data_report();
    ro.folds_spec = {{"k", a.folds}, {"method", "stratified"}, {"seed", o.seed}};
    if (const std::string mismatch = train::resume_mismatch(ro, data.for_fold(0)); !mismatch.empty()) {
      progress.message(fmt::format("{}: the earlier demo run there {}; starting it over", ro.out_dir, mismatch), true);
      fs::remove_all(fs::path(ro.out_dir) / "checkpoints");
      fs::remove(fs::path(ro.out_dir) / "config.json");
    }
    if (fs::exists(ro.out_dir + "/metrics.json")) fs::remove(ro.out_dir + "/metrics.json");
    progress.message(fmt::format("== {}: {} stars, {} classes, {} folds, {} epochs ==", m.name, data.prepared().rows.size(),
                                 data.prepared().classes.size(), a.folds, m.epochs), true);
    results.emplace_back(m.name, train::cross_validate(
                                     ro, data.folds(), [&](int k) -> const train::Dataset& { return data.for_fold(k); },
                                     progress));
    app::print_cv_summary(ro.title, results.back().second, "", "", ro.data_report);
  }
  std::printf("\nDone. Reports (open in a browser):\n");
  for (const auto& [name, r] : results) std::printf("  %s/report.html\n", r.out_dir.c_str());
  std::printf("*** %s ***\n", data::kSimulatedDataNotice);
}

varstar::app::RegisterCommand register_demo{{"demo",
                                   "The main job: simulate the built-in data set, cross-validate both thesis networks "
                                   "(1-3 minutes on 2 CPU cores), write reports",
                                   10, [](CLI::App& app) {
                                     auto a = std::make_shared<DemoArgs>();
                                     app.add_option("--builtin-dir", a->builtin, "Built-in data set (simulated when absent)")
                                         ->capture_default_str();
                                     app.add_option("--out", a->out, "Run folders go here")->capture_default_str();
                                     app.add_option("--per-class", a->per_class, "Stars per class")->capture_default_str();
                                     app.add_option("--folds", a->folds, "Cross-validation folds")->capture_default_str();
                                     app.add_option("--epochs-cnnlstm", a->epochs_cnnlstm, "Epochs of the CNN-LSTM")
                                         ->capture_default_str();
                                     app.add_option("--epochs-2dcnn", a->epochs_2dcnn, "Epochs of the 2D-CNN")->capture_default_str();
                                     app.add_option("--device", a->device, "cpu | cuda | cuda:N | auto: the network and the representation's GPU kernels")->capture_default_str();
                                     app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
                                         ->capture_default_str()
                                         ->check(varstar::app::kNonNegative);
                                     app.add_flag("--quiet", a->quiet, "Only the summaries");
                                     app.callback([a] { run_demo(*a); });
                                   }}};

}  // namespace
