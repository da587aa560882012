// Writing the simulated data set (see write.h).
#include "data/sim/write.h"

#include <filesystem>

#include "data/catalog_io.h"
#include "data/csv.h"
#include "data/lightcurve_io.h"

namespace varstar::sim {

std::string write_simulated_set(const SimOptions& options, const std::string& dir, const SimProgress& progress) {
  namespace fs = std::filesystem;
  const auto data = simulate(options, progress);
  const auto baseline = nearest_centroid_baseline(data.rows, 5, options.seed);
  const std::string summary = summary_text(data, options, baseline);
  fs::create_directories(dir);
  const fs::path d(dir);
  data::CdsWriteOptions cds;
  cds.title = "SIMULATED ZTF-like catalog of periodic variables (varstar built-in data set; not observations)";
  cds.authors = "varstar simulator (docs/SIMULATOR.md), seed " + std::to_string(options.seed);
  data::write_catalog_cds((d / "Table2.txt").string(), data.rows, cds);
  data::write_catalog_csv((d / "Table2.csv").string(), data.rows);
  data::write_lightcurves_csv((d / "lightcurves.csv").string(), data.curves);
  std::vector<std::string> ids, types;
  data::StarTable periods;
  periods.numeric_names = {"Per"};
  periods.numeric.resize(1);
  for (const auto& row : data.rows) {
    ids.push_back(row.id);
    types.push_back(row.type);
    periods.ids.push_back(row.id);
    periods.numeric[0].push_back(row.period);
  }
  data::write_labels_csv((d / "labels.csv").string(), ids, types);
  data::write_star_table_csv((d / "catalog.csv").string(), periods);
  std::string readme = summary;
  readme +=
      "\nFiles (all simulated):\n"
      "  Table2.txt       catalog, CDS format of Chen et al. 2020's Table 2 (34-line header)\n"
      "  Table2.csv       the same columns as CSV\n"
      "  lightcurves.csv  id,time,mag,mag_err,band (g, r)\n"
      "  labels.csv       id,Type\n"
      "  catalog.csv      id,Per (the light-curve path's period table)\n"
      "Command: varstar simulate --stars-per-class " +
      std::to_string(options.stars_per_class) + " --seed " + std::to_string(options.seed) + "\n";
  data::write_text_file((d / "README.txt").string(), readme);
  return summary;
}

}  // namespace varstar::sim
