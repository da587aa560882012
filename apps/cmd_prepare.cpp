// `varstar prepare`: catalog or light curves in; cleaning report, balanced set,
// folds and (optionally) cached representations out. All logic is in
// data/dataset.h; this file maps options and prints.
#include <cstdio>
#include <memory>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "apps/data_args.h"
#include "apps/device_choice.h"
#include "data/dataset.h"
#include "data/represent/represent.h"

namespace {

using namespace varstar::data;

struct PrepareArgs {
  varstar::app::DataArgs data;
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
};

void run(const PrepareArgs& a) {
  PrepareOptions o = a.data.resolve();
  o.device = varstar::app::choose_device(a.device, a.threads);
  if (!a.quiet) o.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const PreparedDataset d = prepare(o);

  if (d.simulated) std::printf("*** %s ***\n\n", kSimulatedDataNotice);
  if (!d.representation_warning.empty()) std::printf("*** WARNING: %s ***\n\n", d.representation_warning.c_str());
  std::printf("%s\n", d.cleaning.table().c_str());
  std::printf("Balanced set: %zu stars, %zu classes (%s)\n", d.rows.size(), d.classes.size(),
              o.per_class == kKeepAll ? "every star kept; class weights below"
                                      : fmt::format("at most {} per class, seed {}", o.per_class, o.seed).c_str());
  for (size_t c = 0; c < d.classes.size(); ++c)
    std::printf("  %-8s %7lld  weight %.4f\n", d.classes[c].c_str(), static_cast<long long>(d.class_counts[c]),
                d.class_weights[c]);
  std::printf("Folds: %zu, %s, seed %u; test sizes:", d.folds.size(),
              o.fold_method == FoldMethod::thesis ? "KFold(shuffle=True) as the thesis" : "StratifiedKFold(shuffle=True)",
              o.seed);
  for (const auto& f : d.folds) std::printf(" %zu", f.test.size());
  std::printf("\nWritten:\n");
  for (const auto& f : d.written) std::printf("  %s\n", f.c_str());
  if (!d.cache_path.empty()) std::printf("  %s (representation cache, memory-mapped by training)\n", d.cache_path.c_str());
  if (!d.representation_warning.empty()) std::printf("\n*** WARNING: %s ***\n", d.representation_warning.c_str());
  if (d.simulated) std::printf("\n*** %s ***\n", kSimulatedDataNotice);
}

varstar::app::RegisterCommand register_prepare{{"prepare",
                                   "Clean, balance and split a catalog or light curves (the thesis protocol); "
                                   "write the cleaning report, the balanced set, the folds and cached representations",
                                   30, [](CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  a->data.add_to(app, true, true);
  app.add_option("--out", a->data.o.out_dir, "Output directory")->capture_default_str();
  app.add_option("--device", a->device, varstar::app::kRepresentationDeviceHelp)->capture_default_str();
  app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
      ->capture_default_str()
      ->check(varstar::app::kNonNegative);
  app.add_flag("--quiet", a->quiet, "No progress lines on stderr");
  app.callback([a] { run(*a); });
}}};

}  // namespace
