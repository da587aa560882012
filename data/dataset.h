#pragma once
// The `varstar prepare` pipeline: input -> cleaning -> class set -> balancing
// -> folds -> (cached representations) -> files in an output directory.
//
// Inputs (one of):
//   a catalog (CDS Table2 or CSV, auto-detected), optionally with light curves
//     matched by ID (for representations that need them);
//   light curves + labels + periods (id,time,mag,mag_err,band / id,Type /
//     id,Per[,more]); catalog columns named as in Table2 (gmag, Amp_r, ...) in
//     the periods file fill the star's catalog row;
//   nothing: the built-in SIMULATED data set that `varstar simulate` writes to
//     kBuiltinDir (kBuiltinCatalog, and kBuiltinCurves when present).
// An input whose header, or whose README.txt / Table2.txt beside it, says
// SIMULATED is treated as simulated: every output then says so.
// Outputs in PrepareOptions::out_dir:
//   cleaning_report.txt / .json  rows in, removed per rule, rows out, per type and class
//   dataset.csv                  the balanced set in row order (Table2 columns; Type = class)
//   labels.csv                   id,Type,class_index of the balanced set
//   lightcurves.csv              (light-curve input) the balanced set's curves
//   folds.json / folds.csv       train/test row indices per fold; id,fold
//   manifest.json                options, inputs, classes, counts, class weights, warnings,
//                                representation and its cache file
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/balance.h"
#include "data/catalog_io.h"
#include "data/cleaning.h"
#include "data/folds.h"
#include "data/lightcurve_io.h"
#include "engine/device.h"

namespace varstar::data {

inline constexpr std::string_view kBuiltinDir = "varstar-data/builtin";
inline constexpr std::string_view kBuiltinCatalog = "Table2.txt";
inline constexpr std::string_view kBuiltinCurves = "lightcurves.csv";

struct PrepareOptions {
  std::string catalog;                          // catalog file
  CatalogFormat catalog_format = CatalogFormat::automatic;
  int64_t skip_lines = -1;                      // CDS header lines (-1: find them)
  std::string lightcurves, labels, periods;     // light-curve input (lightcurves alone: curves for a catalog)
  std::string builtin_dir{kBuiltinDir};
  std::string classes;                          // "10" | "5" | "all" | mapping file; "" = 10 (catalog) or all (curves)
  std::string zero_columns = "cnn-lstm";        // see parse_zero_columns
  bool quality_filters = true;
  int64_t min_observations = 10;                // light-curve input
  int64_t per_class = 1000;                     // kKeepAll keeps every star
  int32_t folds = 5;
  FoldMethod fold_method = FoldMethod::stratified;
  uint32_t seed = 42;
  OnBadRow on_bad_row = OnBadRow::error;
  std::string out_dir = "varstar-data/prepared";
  std::string representation;                   // "" = none, else RepresentationSpec text
  std::string cache_dir;                        // "" = out_dir + "/cache"
  // Where the representation kernels run (build_representation's device; a
  // usable one: resolve the user's choice with resolve_device()). Not part of
  // the cache key: see build_cached_representation in dataset.cpp.
  Device device = Device::cpu();
  std::function<void(const std::string&)> log;  // progress and notes, one line each (may be empty)
};

struct PreparedDataset {
  std::vector<CatalogRow> rows;       // balanced set in row order; type = target class
  std::vector<int32_t> labels;        // (rows) class index
  std::vector<std::string> classes;   // class names in index order
  std::vector<int64_t> class_counts;  // (classes) rows per class after balancing
  std::vector<double> class_weights;  // (classes) "balanced" weights of the set
  std::vector<Fold> folds;
  CleaningReport cleaning;
  std::vector<std::string> input_reports;  // reader summaries
  std::optional<LightCurveSet> curves;     // light curves of `rows` when read
  bool simulated = false;                  // built-in / simulated input: said in every output
  std::string representation_warning;      // non-empty: the representation uses labels
  std::string cache_path;                  // representation cache file ("" when none)
  std::vector<std::string> written;        // files written
};

// Runs the pipeline and writes the outputs. Throws DataError / Error.
PreparedDataset prepare(const PrepareOptions& options);

// The notice printed and written with every simulated data set.
extern const char* const kSimulatedDataNotice;

// Whether an input file is simulated: its own header, or a README.txt /
// Table2.txt beside it (what `varstar simulate` writes), says SIMULATED.
bool input_says_simulated(const std::string& path);

}  // namespace varstar::data
