// `varstar simulate`: writes the built-in SIMULATED ZTF-like data set
// (data/sim/simulate.h) as the Table2 catalog (CDS and CSV), per-observation
// light curves, labels and periods - the formats `varstar prepare` reads.
#include <cstdio>
#include <filesystem>

#include "apps/command.h"
#include "data/catalog_io.h"
#include "data/csv.h"
#include "data/lightcurve_io.h"
#include "data/sim/simulate.h"
#include "engine/error.h"

namespace {

struct SimulateArgs {
  int64_t stars_per_class = 1000;
  uint64_t seed = 42;
  double label_noise = 0.02;
  std::string out = "varstar-data/builtin";
};

void run_simulate(const SimulateArgs& args) {
  namespace fs = std::filesystem;
  varstar::sim::SimOptions options;
  options.stars_per_class = args.stars_per_class;
  options.seed = args.seed;
  options.label_noise = args.label_noise;
  std::fprintf(stderr, "%s\n", varstar::sim::kSimulatedNotice);
  const auto data = varstar::sim::simulate(options, [](int64_t done, int64_t total) {
    std::fprintf(stderr, "\rsimulating stars: %lld / %lld", static_cast<long long>(done), static_cast<long long>(total));
    if (done == total) std::fprintf(stderr, "\n");
  });
  const auto baseline = varstar::sim::nearest_centroid_baseline(data.rows, 5, options.seed);
  const std::string summary = varstar::sim::summary_text(data, options, baseline);

  fs::create_directories(args.out);
  const fs::path dir(args.out);
  std::fprintf(stderr, "writing %s ...\n", args.out.c_str());
  varstar::data::CdsWriteOptions cds;
  cds.title = "SIMULATED ZTF-like catalog of periodic variables (varstar built-in data set; not observations)";
  cds.authors = "varstar simulator (docs/SIMULATOR.md), seed " + std::to_string(options.seed);
  varstar::data::write_catalog_cds((dir / "Table2.txt").string(), data.rows, cds);
  varstar::data::write_catalog_csv((dir / "Table2.csv").string(), data.rows);
  varstar::data::write_lightcurves_csv((dir / "lightcurves.csv").string(), data.curves);
  std::vector<std::string> ids, types;
  varstar::data::StarTable periods;
  periods.numeric_names = {"Per"};
  periods.numeric.resize(1);
  for (const auto& row : data.rows) {
    ids.push_back(row.id);
    types.push_back(row.type);
    periods.ids.push_back(row.id);
    periods.numeric[0].push_back(row.period);
  }
  varstar::data::write_labels_csv((dir / "labels.csv").string(), ids, types);
  varstar::data::write_star_table_csv((dir / "catalog.csv").string(), periods);
  std::string readme = summary;
  readme +=
      "\nFiles (all simulated):\n"
      "  Table2.txt       catalog, CDS format of Chen et al. 2020's Table 2 (34-line header)\n"
      "  Table2.csv       the same columns as CSV\n"
      "  lightcurves.csv  id,time,mag,mag_err,band (g, r)\n"
      "  labels.csv       id,Type\n"
      "  catalog.csv      id,Per (the light-curve path's period table)\n"
      "Command: varstar simulate --stars-per-class " +
      std::to_string(args.stars_per_class) + " --seed " + std::to_string(args.seed) + "\n";
  varstar::data::write_text_file((dir / "README.txt").string(), readme);
  std::printf("%s", summary.c_str());
  std::printf("wrote %s (Table2.txt, Table2.csv, lightcurves.csv, labels.csv, catalog.csv, README.txt)\n",
              args.out.c_str());
}

varstar::app::RegisterCommand reg{{"simulate",
                                   "Write the built-in SIMULATED ZTF-like data set (catalog + light curves, 10 classes)",
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
