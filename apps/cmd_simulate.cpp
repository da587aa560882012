// `varstar simulate`: writes the built-in SIMULATED ZTF-like data set
// (data/sim/simulate.h) as the Table2 catalog (CDS and CSV), per-observation
// light curves, labels and periods - the formats `varstar prepare` reads.
#include <cstdio>

#include "apps/command.h"
#include "data/sim/write.h"

namespace {

struct SimulateArgs {
  int64_t stars_per_class = 1000;
  uint64_t seed = 42;
  double label_noise = 0.02;
  std::string out = "varstar-data/builtin";
};

void run_simulate(const SimulateArgs& args) {
  varstar::sim::SimOptions options;
  options.stars_per_class = args.stars_per_class;
  options.seed = args.seed;
  options.label_noise = args.label_noise;
  std::fprintf(stderr, "%s\n", varstar::sim::kSimulatedNotice);
  const std::string summary = varstar::sim::write_simulated_set(options, args.out, [](int64_t done, int64_t total) {
    std::fprintf(stderr, "\rsimulating stars: %lld / %lld", static_cast<long long>(done), static_cast<long long>(total));
    if (done == total) std::fprintf(stderr, "\n");
  });
  std::printf("%s", summary.c_str());
  std::printf("wrote %s (Table2.txt, Table2.csv, lightcurves.csv, labels.csv, catalog.csv, README.txt)\n",
              args.out.c_str());
}

varstar::app::RegisterCommand register_simulate{{"simulate",
                                   "Write the built-in SIMULATED ZTF-like data set (catalog + light curves, 10 classes); runs on the CPU",
                                   20, [](CLI::App& app) {
                                     auto args = std::make_shared<SimulateArgs>();
                                     app.add_option("--stars-per-class", args->stars_per_class,
                                                    "stars simulated per class (before any cleaning)")
                                         ->capture_default_str()
                                         ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
                                     app.add_option("--seed", args->seed, "random seed (same seed, same data)")
                                         ->capture_default_str();
                                     app.add_option("--label-noise", args->label_noise,
                                                    "share of each class generated from a confusable class")
                                         ->capture_default_str()
                                         ->check(CLI::Range(0.0, 0.5));
                                     app.add_option("--out", args->out, "output directory")->capture_default_str();
                                     app.callback([args] { run_simulate(*args); });
                                   }}};

}  // namespace
