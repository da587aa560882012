// `varstar prepare`: catalog or light curves in; cleaning report, balanced set,
// folds and (optionally) cached representations out. All logic is in
// data/dataset.h; this file maps options and prints.
#include <cstdio>
#include <memory>

#include "apps/command.h"
#include "data/dataset.h"
#include "data/represent/represent.h"

namespace {

using namespace varstar::data;

struct PrepareArgs {
  PrepareOptions o;
  std::string catalog_format = "auto", per_class = "1000", fold_method = "stratified", on_bad_row = "error";
  bool no_quality = false, quiet = false;
};

void run(const PrepareArgs& a) {
  PrepareOptions o = a.o;
  o.catalog_format = parse_catalog_format(a.catalog_format);
  o.per_class = parse_per_class(a.per_class);
  o.fold_method = parse_fold_method(a.fold_method);
  o.on_bad_row = parse_on_bad_row(a.on_bad_row);
  o.quality_filters = !a.no_quality;
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

std::string representation_help() {
  std::string s = "Representation to compute and cache (MODE or MODE:key=value,...); one of:";
  for (const auto& r : representation_names())
    s += fmt::format("\n  {}{}: {}", r.name, r.uses_labels ? " [USES THE TEST STARS' LABELS]" : "", r.summary);
  return s;
}

varstar::app::RegisterCommand reg{{"prepare",
                                   "Clean, balance and split a catalog or light curves (the thesis protocol); "
                                   "write the cleaning report, the balanced set, the folds and cached representations",
                                   30, [](CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  app.add_option("--catalog", a->o.catalog, "ZTF catalog: CDS Table2.txt (byte-by-byte header) or CSV with the Table2 column names");
  app.add_option("--catalog-format", a->catalog_format, "auto | cds | csv")->capture_default_str();
  app.add_option("--skip-lines", a->o.skip_lines, "CDS: header lines to skip (the thesis scripts: 34); default: read the header");
  app.add_option("--lightcurves", a->o.lightcurves, "Observations CSV id,time,mag,mag_err,band (with --catalog: curves for its stars)");
  app.add_option("--labels", a->o.labels, "Labels CSV id,Type (light-curve input)");
  app.add_option("--periods", a->o.periods, "Periods CSV id,Per[,Table2 columns] (light-curve input)");
  app.add_option("--builtin-dir", a->o.builtin_dir, "Where `varstar simulate` wrote the built-in data set (used when no input is given)")
      ->capture_default_str();
  app.add_option("--classes", a->o.classes, "Class set: 10 | 5 (LPV = Mira + SR) | all | mapping FILE (default: 10 for catalogs, all for light curves)");
  app.add_option("--zero-columns", a->o.zero_columns, "Drop rows with a 0 in these columns: cnn-lstm | 2d-cnn | none | comma list")
      ->capture_default_str();
  app.add_flag("--no-quality-filters", a->no_quality, "Skip the Num > 50, R^2 > 0.3, log(FAP) < -3 filters");
  app.add_option("--min-observations", a->o.min_observations, "Light curves: drop stars with fewer observations")->capture_default_str();
  app.add_option("--per-class", a->per_class, "Under-sample to at most N stars per class, or 'all' (class weights instead)")
      ->capture_default_str();
  app.add_option("--folds", a->o.folds, "Number of cross-validation folds")->capture_default_str();
  app.add_option("--fold-method", a->fold_method, "thesis (KFold, shuffled, as the thesis) | stratified (recommended)")
      ->capture_default_str();
  app.add_option("--seed", a->o.seed, "Seed of the under-sampling and the folds (the thesis: 42)")->capture_default_str();
  app.add_option("--on-bad-row", a->on_bad_row, "error: stop at the first bad row; skip: count and report them")
      ->capture_default_str();
  app.add_option("--out", a->o.out_dir, "Output directory")->capture_default_str();
  app.add_option("--representation", a->o.representation, representation_help());
  app.add_option("--cache-dir", a->o.cache_dir, "Representation cache directory (default: OUT/cache)");
  app.add_flag("--quiet", a->quiet, "No progress lines on stderr");
  app.callback([a] { run(*a); });
}}};

}  // namespace
