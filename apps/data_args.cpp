// Shared data options (see data_args.h).
#include "apps/data_args.h"

#include "apps/option_checks.h"
#include "data/represent/represent.h"

namespace varstar::app {

std::string representation_help() {
  std::string s = "Representation to compute and cache (MODE or MODE:key=value,...); one of:";
  for (const auto& r : data::representation_names())
    s += fmt::format("\n  {}{}: {}", r.name, r.uses_labels ? " [USES THE TEST STARS' LABELS]" : "", r.summary);
  return s;
}

void DataArgs::add_to(CLI::App& app, bool with_folds, bool with_representation) {
  app.add_option("--catalog", o.catalog, "ZTF catalog: CDS Table2.txt (byte-by-byte header) or CSV with the Table2 column names");
  app.add_option("--catalog-format", catalog_format, "auto | cds | csv")->capture_default_str();
  app.add_option("--skip-lines", o.skip_lines, "CDS: header lines to skip (the thesis scripts: 34); default: read the header");
  app.add_option("--lightcurves", o.lightcurves, "Observations CSV id,time,mag,mag_err,band (with --catalog: curves for its stars)");
  app.add_option("--labels", o.labels, "Labels CSV id,Type (light-curve input)");
  app.add_option("--periods", o.periods, "Periods CSV id,Per[,Table2 columns] (light-curve input)");
  app.add_option("--builtin-dir", o.builtin_dir, "Where `varstar simulate` wrote the built-in data set (used when no input is given)")
      ->capture_default_str();
  app.add_option("--classes", o.classes, "Class set: 10 | 5 (LPV = Mira + SR) | all | mapping FILE (default: 10 for catalogs, all for light curves)");
  app.add_option("--zero-columns", o.zero_columns, "Drop rows with a 0 in these columns: cnn-lstm | 2d-cnn | none | comma list")
      ->capture_default_str();
  app.add_flag("--no-quality-filters", no_quality, "Skip the Num > 50, R^2 > 0.3, log(FAP) < -3 filters");
  app.add_option("--min-observations", o.min_observations, "Light curves: drop stars with fewer observations")
      ->capture_default_str()
      ->check(kNonNegative);
  app.add_option("--per-class", per_class, "Under-sample to at most N stars per class, or 'all' (class weights instead)")
      ->capture_default_str();
  if (with_folds) {
    app.add_option("--folds", o.folds, "Number of cross-validation folds")->capture_default_str();
    app.add_option("--fold-method", fold_method, "thesis (KFold, shuffled, as the thesis) | stratified (recommended)")
        ->capture_default_str();
  }
  app.add_option("--data-seed", o.seed, "Seed of the under-sampling and the folds (the thesis: 42)")->capture_default_str();
  app.add_option("--on-bad-row", on_bad_row, "error: stop at the first bad row; skip: count and report them")
      ->capture_default_str();
  if (with_representation) app.add_option("--representation", o.representation, representation_help());
  app.add_option("--cache-dir", o.cache_dir, "Representation cache directory (default: the prepared folder's cache/)");
}

data::PrepareOptions DataArgs::resolve() const {
  data::PrepareOptions r = o;
  r.catalog_format = data::parse_catalog_format(catalog_format);
  r.per_class = data::parse_per_class(per_class);
  r.fold_method = data::parse_fold_method(fold_method);
  r.on_bad_row = data::parse_on_bad_row(on_bad_row);
  r.quality_filters = !no_quality;
  return r;
}

}  // namespace varstar::app
