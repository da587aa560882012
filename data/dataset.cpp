// The `varstar prepare` pipeline; see dataset.h.
#include "data/dataset.h"

#include <chrono>
#include <filesystem>
#include <unordered_map>

#include "data/cache.h"
#include "data/stars.h"
#include "data/hash.h"
#include "data/represent/represent.h"
#include "varstar_version.h"

namespace varstar::data {

const char* const kSimulatedDataNotice =
    "SIMULATED DATA: this data set comes from varstar's built-in simulator, not from a survey; "
    "accuracies on it say nothing about real stars.";

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Logs progress lines at most once a second (and the final one).
class Progress {
 public:
  Progress(const PrepareOptions& o, std::string what) : log_(o.log), what_(std::move(what)) {}
  void bytes(int64_t done, int64_t total) {
    if (!log_ || !due(done >= total && total > 0)) return;
    if (total > 0)
      log_(fmt::format("  {}: {:.0f}% ({:.0f} of {:.0f} MB)", what_, 100.0 * static_cast<double>(done) / static_cast<double>(total),
                       static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6));
    else
      log_(fmt::format("  {}: {:.0f} MB", what_, static_cast<double>(done) / 1e6));
  }
  void items(std::string_view stage, int64_t done, int64_t total) {
    if (!log_ || !due(done >= total)) return;
    log_(fmt::format("  {} {}: {} of {}", what_, stage, done, total));
  }

 private:
  bool due(bool final) {
    const auto now = Clock::now();
    if (!final && now - last_ < std::chrono::seconds(1)) return false;
    if (final && finished_) return false;
    finished_ = final;
    last_ = now;
    return true;
  }
  std::function<void(const std::string&)> log_;
  std::string what_;
  Clock::time_point last_ = Clock::now() - std::chrono::seconds(2);
  bool finished_ = false;
};

void say(const PrepareOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

// Whether a catalog file says it is simulated (the simulator writes SIMULATED in its title).
bool file_says_simulated(const std::string& path) {
  try {
    LineSource src = LineSource::open_file(path, 1 << 16);
    std::string_view line;
    for (int i = 0; i < 40 && src.next(line); ++i)
      if (line.find("SIMULATED") != std::string_view::npos) return true;
  } catch (const DataError&) {
  }
  return false;
}

struct Cleaned {
  std::vector<CatalogRow> rows;  // kept rows, type = target class, input order
  std::optional<LightCurveSet> curves;
  CleaningReport report;
  std::vector<std::string> inputs;  // files that determine the data
  std::vector<std::string> reports;
  bool simulated = false;
};

// Reads light curves and keeps those of `ids` (all when ids is empty).
LightCurveSet read_curves(const PrepareOptions& o, const std::string& path, std::vector<std::string>& reports) {
  Progress p(o, "reading " + path);
  LightCurveReadOptions lo;
  lo.on_bad_row = o.on_bad_row;
  lo.progress = [&](int64_t d, int64_t t) { p.bytes(d, t); };
  LightCurveData d = read_lightcurves(path, lo);
  reports.push_back(d.report.summary(d.set.band_names));
  say(o, "  " + reports.back());
  return std::move(d.set);
}

Cleaned clean_catalog(const PrepareOptions& o, const std::string& path, const std::string& curves_path) {
  Cleaned out;
  ClassMap classes = ClassMap::from_spec(o.classes.empty() ? "10" : o.classes);
  CatalogCleaningOptions co;
  co.classes = classes;
  co.zero_columns = parse_zero_columns(o.zero_columns);
  co.quality_filters = o.quality_filters;
  CatalogCleaner cleaner(co, path);
  CatalogReadOptions ro;
  ro.format = o.catalog_format;
  ro.skip_lines = o.skip_lines;
  ro.on_bad_row = o.on_bad_row;
  ro.known_types = classes.unlisted() == ClassMap::Unlisted::error ? classes.sources() : std::vector<std::string>{};
  Progress p(o, "reading " + path);
  ro.progress = [&](int64_t d, int64_t t) { p.bytes(d, t); };
  const CatalogReadReport rep = read_catalog(path, ro, [&](CatalogRow&& row) {
    if (cleaner.accept(row)) out.rows.push_back(std::move(row));
  });
  out.reports.push_back(rep.summary());
  say(o, "  " + out.reports.back());
  out.report = cleaner.report();
  if (rep.bad_rows.count > 0)
    out.report.notes.push_back(fmt::format("{} bad rows of {} were skipped (--on-bad-row skip); first: {}",
                                           rep.bad_rows.count, path, rep.bad_rows.examples.front()));
  out.inputs.push_back(path);
  out.simulated = input_says_simulated(path);
  if (!curves_path.empty()) {
    out.curves = read_curves(o, curves_path, out.reports);
    out.inputs.push_back(curves_path);
  }
  return out;
}

Cleaned clean_curves(const PrepareOptions& o) {
  Cleaned out;
  if (o.labels.empty() || o.periods.empty())
    throw Error("light-curve input needs --lightcurves, --labels and --periods (or give --catalog)");
  const ClassMap classes = ClassMap::from_spec(o.classes.empty() ? "all" : o.classes);
  TableReadOptions to;
  to.on_bad_row = o.on_bad_row;
  if (classes.unlisted() == ClassMap::Unlisted::error) to.known_types = classes.sources();
  const LabelTable labels = read_labels(o.labels, to);
  TableReadOptions po;
  po.on_bad_row = o.on_bad_row;
  const StarTable periods = read_star_table(o.periods, po);
  out.reports.push_back(fmt::format("{}: {} labels{}", o.labels, labels.ids.size(),
                                    labels.bad_rows.count ? fmt::format(", {} bad rows skipped", labels.bad_rows.count) : ""));
  out.reports.push_back(fmt::format("{}: {} periods{}", o.periods, periods.ids.size(),
                                    periods.bad_rows.count ? fmt::format(", {} bad rows skipped", periods.bad_rows.count) : ""));
  for (const auto& r : out.reports) say(o, "  " + r);
  LightCurveSet all = read_curves(o, o.lightcurves, out.reports);
  out.inputs = {o.lightcurves, o.labels, o.periods};
  for (const auto& f : out.inputs) out.simulated = out.simulated || input_says_simulated(f);

  std::unordered_map<std::string, size_t> curve_of, period_of;
  for (size_t i = 0; i < all.curves.size(); ++i) curve_of.emplace(all.curves[i].id, i);
  for (size_t i = 0; i < periods.ids.size(); ++i) period_of.emplace(periods.ids[i], i);
  BadRowLog unmatched;
  auto missing = [&](const std::string& file, const std::string& what) {
    unmatched.handle(o.on_bad_row, DataError(file, 0, "id", what));
  };
  LightCurveCleaningOptions lo;
  lo.min_observations = o.min_observations;
  lo.classes = classes;
  LightCurveCleaner cleaner(lo, o.lightcurves);
  LightCurveSet kept;
  kept.band_names = all.band_names;
  std::unordered_map<std::string, bool> labelled;
  for (size_t i = 0; i < labels.ids.size(); ++i) {
    const std::string& id = labels.ids[i];
    labelled.emplace(id, true);
    const auto c = curve_of.find(id);
    const auto p = period_of.find(id);
    if (c == curve_of.end()) {
      missing(o.lightcurves, fmt::format("star {} of {} has no light curve", quote_field(id), o.labels));
      continue;
    }
    if (p == period_of.end()) {
      missing(o.periods, fmt::format("star {} of {} has no period", quote_field(id), o.labels));
      continue;
    }
    std::string type = labels.types[i];
    CatalogRow row;
    row.id = id;
    row.type = type;
    fill_row_from_table(row, periods, p->second);
    if (!cleaner.accept(all.curves[c->second], type)) continue;
    row.type = type;
    out.rows.push_back(std::move(row));
    kept.curves.push_back(std::move(all.curves[c->second]));
  }
  for (const auto& curve : all.curves)
    if (!curve.id.empty() && !labelled.count(curve.id))
      missing(o.labels, fmt::format("star {} of {} has no label", quote_field(curve.id), o.lightcurves));
  out.report = cleaner.report();
  if (unmatched.count > 0)
    out.report.notes.push_back(fmt::format("{} stars skipped for a missing light curve, label or period; first: {}",
                                           unmatched.count, unmatched.examples.front()));
  out.curves = std::move(kept);
  return out;
}

nlohmann::json options_json(const PrepareOptions& o) {
  return {{"catalog", o.catalog}, {"catalog_format", std::string(to_string(o.catalog_format))},
          {"skip_lines", o.skip_lines}, {"lightcurves", o.lightcurves}, {"labels", o.labels},
          {"periods", o.periods}, {"classes", o.classes}, {"zero_columns", o.zero_columns},
          {"quality_filters", o.quality_filters}, {"min_observations", o.min_observations},
          {"per_class", o.per_class == kKeepAll ? nlohmann::json("all") : nlohmann::json(o.per_class)},
          {"folds", o.folds}, {"fold_method", std::string(to_string(o.fold_method))}, {"seed", o.seed},
          {"on_bad_row", std::string(to_string(o.on_bad_row))}, {"representation", o.representation}};
}

void write_outputs(const PrepareOptions& o, PreparedDataset& d) {
  fs::create_directories(o.out_dir);
  auto path = [&](const char* name) {
    const std::string p = (fs::path(o.out_dir) / name).string();
    d.written.push_back(p);
    return p;
  };
  write_text_file(path("cleaning_report.txt"), d.cleaning.table());
  write_text_file(path("cleaning_report.json"), d.cleaning.json().dump(2) + "\n");
  write_catalog_csv(path("dataset.csv"), d.rows);
  {
    FileWriter w(path("labels.csv"));
    fmt::format_to(std::back_inserter(w.buf()), "id,Type,class_index\n");
    for (size_t i = 0; i < d.rows.size(); ++i) {
      append_csv_field(w.buf(), d.rows[i].id);
      w.buf().push_back(',');
      append_csv_field(w.buf(), d.rows[i].type);
      fmt::format_to(std::back_inserter(w.buf()), ",{}\n", d.labels[i]);
      w.flush_if_full();
    }
    w.close();
  }
  if (d.curves) write_lightcurves_csv(path("lightcurves.csv"), *d.curves);
  nlohmann::json fj = folds_json(d.folds, o.fold_method, o.seed);
  std::vector<std::string> ids;
  for (const auto& r : d.rows) ids.push_back(r.id);
  fj["ids"] = ids;
  if (d.simulated) fj["notice"] = kSimulatedDataNotice;
  if (!d.representation_warning.empty()) fj["warning"] = d.representation_warning;
  write_text_file(path("folds.json"), fj.dump() + "\n");
  {
    const std::vector<int32_t> fold_of = test_fold_of(d.folds, static_cast<int64_t>(d.rows.size()));
    FileWriter w(path("folds.csv"));
    fmt::format_to(std::back_inserter(w.buf()), "id,fold\n");
    for (size_t i = 0; i < d.rows.size(); ++i) {
      append_csv_field(w.buf(), d.rows[i].id);
      fmt::format_to(std::back_inserter(w.buf()), ",{}\n", fold_of[i] + 1);
      w.flush_if_full();
    }
    w.close();
  }
}

// Builds (or maps from the cache) the representation of the balanced set.
void build_cached_representation(const PrepareOptions& o, PreparedDataset& d, const std::vector<std::string>& inputs,
                                 nlohmann::json& manifest) {
  const RepresentationSpec spec = RepresentationSpec::parse(o.representation);
  const RepresentationInfo* info = nullptr;
  for (const auto& r : representation_names())
    if (r.name == spec.mode) info = &r;
  VARSTAR_CHECK(info != nullptr, "unknown representation '{}'", spec.mode);
  if (info->needs_curves && !d.curves)
    throw Error(fmt::format("representation {} needs light curves: give --lightcurves", spec.mode));
  CacheKey key;
  for (const auto& f : inputs) key.add_file(f);
  key.add_json("prepare", options_json(o));
  key.add_json("representation", spec.to_json());
  uint64_t rows_hash = 0;
  for (size_t i = 0; i < d.rows.size(); ++i) rows_hash = hash_string(d.rows[i].id + "/" + d.rows[i].type, rows_hash + static_cast<uint64_t>(d.labels[i]));
  key.add_string("rows", fmt::format("{:016x}", rows_hash));
  key.add_code_version();
  const std::string cache_dir = o.cache_dir.empty() ? (fs::path(o.out_dir) / "cache").string() : o.cache_dir;
  const int64_t n = static_cast<int64_t>(d.rows.size());
  nlohmann::json description = {{"representation", spec.to_json()}, {"rows", n}, {"classes", d.classes}};
  if (d.simulated) description["notice"] = kSimulatedDataNotice;
  if (info->uses_labels) description["warning"] = kClasspairWarning;
  // The device is deliberately not in the key: dm-dt images are bit-identical
  // on the CPU and a GPU, harmonic-* values differ by at most
  // kHarmonicDeviceTolerance (an ulp or so of float32, far below anything a
  // network or a metric can resolve), so a cache built on either device serves
  // both instead of being rebuilt. The file records where it was computed.
  const bool on_gpu = o.device.is_cuda() && representation_uses_gpu(spec.mode);
  description["computed_on"] = on_gpu ? o.device.str() : "cpu";
  Progress p(o, spec.mode);
  const auto progress = [&](std::string_view stage, int64_t done, int64_t total) { p.items(stage, done, total); };
  auto build = [&] {
    std::vector<CacheArray> arrays;
    arrays.push_back(cache_array_i32("labels", {n}, d.labels));
    auto add_batch = [&](const RepresentationBatch& b, const std::string& suffix) {
      std::vector<int64_t> shape{b.n_samples};
      shape.insert(shape.end(), b.sample_shape.begin(), b.sample_shape.end());
      arrays.push_back(cache_array_f32("x" + suffix, shape, b.values));
      if (!b.feature_names.empty())
        arrays.push_back(cache_array_f32("features" + suffix, {b.n_samples, static_cast<int64_t>(b.feature_names.size())}, b.features));
      for (const auto& note : b.notes) say(o, "  note: " + note);
    };
    if (!info->uses_labels) {
      add_batch(build_representation(spec, d.rows, d.curves ? &*d.curves : nullptr, d.labels, {}, progress, o.device), "");
    } else {
      // The thesis's class-pair images depend on the split: one set per fold (train 0, test 1).
      for (size_t f = 0; f < d.folds.size(); ++f) {
        std::vector<int32_t> split(d.rows.size(), 0);
        for (int64_t i : d.folds[f].test) split[static_cast<size_t>(i)] = 1;
        add_batch(build_representation(spec, d.rows, d.curves ? &*d.curves : nullptr, d.labels, split, progress),
                  fmt::format("_fold{}", f + 1));
      }
    }
    return arrays;
  };
  say(o, fmt::format("representation {}: cache {}{}", spec.mode, cache_dir,
                     on_gpu ? fmt::format(" (kernels on {})", o.device.str())
                     : o.device.is_cuda() ? " (this mode is computed on the CPU)" : ""));
  const CacheLoad load = load_or_build(cache_dir, "prepared-" + spec.mode, key, description, build);
  d.cache_path = load.path;
  say(o, fmt::format("  {} ({})", load.path, load.rebuilt ? load.reason : "reused: inputs unchanged"));
  if (info->uses_labels) d.representation_warning = kClasspairWarning;
  nlohmann::json arrays = nlohmann::json::array();
  for (const auto& e : load.cache.arrays()) arrays.push_back({{"name", e.name}, {"dtype", e.dtype}, {"shape", e.shape}});
  manifest["representation"] = {{"spec", spec.to_json()}, {"cache", load.path}, {"key", key.hex()},
                                {"rebuilt", load.rebuilt}, {"arrays", arrays}, {"uses_labels", info->uses_labels},
                                {"computed_on", load.cache.description().value("computed_on", "cpu")}};
  if (info->uses_labels) manifest["representation"]["warning"] = kClasspairWarning;
}

}  // namespace

bool input_says_simulated(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  return file_says_simulated(path) || file_says_simulated((dir / "README.txt").string()) ||
         file_says_simulated((dir / kBuiltinCatalog).string());
}

PreparedDataset prepare(const PrepareOptions& o) {
  VARSTAR_CHECK(o.folds >= 2, "--folds must be at least 2, got {}", o.folds);
  PrepareOptions opt = o;
  bool builtin = false;
  if (opt.catalog.empty() && opt.lightcurves.empty()) {
    const fs::path cat = fs::path(opt.builtin_dir) / kBuiltinCatalog;
    if (!fs::exists(cat))
      throw Error(fmt::format("no input given and no built-in data set at {}: run `varstar simulate` first, or give "
                              "--catalog FILE, or --lightcurves FILE --labels FILE --periods FILE", cat.string()));
    opt.catalog = cat.string();
    const fs::path curves = fs::path(opt.builtin_dir) / kBuiltinCurves;
    if (fs::exists(curves)) opt.lightcurves = curves.string();
    builtin = true;
    say(opt, fmt::format("no input given: using the built-in simulated data set in {}", opt.builtin_dir));
  }
  const auto t0 = Clock::now();
  Cleaned c = opt.catalog.empty() ? clean_curves(opt) : clean_catalog(opt, opt.catalog, opt.lightcurves);
  PreparedDataset d;
  d.simulated = builtin || c.simulated;
  if (d.simulated) c.report.notes.insert(c.report.notes.begin(), kSimulatedDataNotice);
  d.cleaning = std::move(c.report);
  d.input_reports = std::move(c.reports);
  say(opt, fmt::format("read and cleaned in {:.2f} s", std::chrono::duration<double>(Clock::now() - t0).count()));

  // Classes (sorted names), balancing, folds.
  std::vector<std::string> types;
  for (const auto& r : c.rows) types.push_back(r.type);
  d.classes = sorted_classes(types);
  if (d.classes.size() < 2)
    throw Error(fmt::format("after cleaning {} class(es) remain; need at least 2. The cleaning:\n{}", d.classes.size(),
                            d.cleaning.table()));
  std::vector<int32_t> label_of(c.rows.size());
  for (size_t i = 0; i < c.rows.size(); ++i)
    label_of[i] = static_cast<int32_t>(std::lower_bound(d.classes.begin(), d.classes.end(), c.rows[i].type) - d.classes.begin());
  const std::vector<int64_t> order =
      undersample_thesis(label_of, static_cast<int32_t>(d.classes.size()), opt.per_class, opt.seed);
  std::unordered_map<std::string, size_t> curve_index;
  if (c.curves)
    for (size_t i = 0; i < c.curves->curves.size(); ++i) curve_index.emplace(c.curves->curves[i].id, i);
  if (c.curves) {
    d.curves = LightCurveSet{};
    d.curves->band_names = c.curves->band_names;
  }
  for (int64_t i : order) {
    d.rows.push_back(c.rows[static_cast<size_t>(i)]);
    d.labels.push_back(label_of[static_cast<size_t>(i)]);
    if (c.curves) {
      const auto it = curve_index.find(d.rows.back().id);
      if (it != curve_index.end()) d.curves->curves.push_back(c.curves->curves[it->second]);
    }
  }
  if (d.curves && d.curves->curves.size() < d.rows.size())
    say(opt, fmt::format("  note: {} of {} stars have no light curve", d.rows.size() - d.curves->curves.size(), d.rows.size()));
  d.class_counts = class_counts(d.labels, static_cast<int32_t>(d.classes.size()));
  d.class_weights = balanced_class_weights(d.class_counts);
  const int64_t n = static_cast<int64_t>(d.rows.size());
  d.folds = opt.fold_method == FoldMethod::thesis ? kfold(n, opt.folds, true, opt.seed)
                                                  : stratified_kfold(d.labels, opt.folds, true, opt.seed);
  check_folds(d.folds, n);

  // A label-using representation is announced in every file written, not only in its cache.
  if (!opt.representation.empty()) {
    const RepresentationSpec spec = RepresentationSpec::parse(opt.representation);
    for (const auto& r : representation_names())
      if (r.name == spec.mode && r.uses_labels) {
        d.representation_warning = kClasspairWarning;
        d.cleaning.notes.push_back(fmt::format("representation {}: WARNING: {}", spec.mode, kClasspairWarning));
        say(opt, fmt::format("*** WARNING: {} ***", kClasspairWarning));
      }
  }
  write_outputs(opt, d);
  nlohmann::json manifest;
  manifest["varstar"] = fmt::format("{} ({})", VARSTAR_VERSION, VARSTAR_GIT_DESCRIBE);
  manifest["options"] = options_json(opt);
  manifest["inputs"] = c.inputs;
  manifest["simulated"] = d.simulated;
  if (d.simulated) manifest["notice"] = kSimulatedDataNotice;
  manifest["rows"] = n;
  manifest["classes"] = d.classes;
  manifest["class_counts"] = d.class_counts;
  manifest["class_weights"] = d.class_weights;
  manifest["fold_class_weights"] = nlohmann::json::array();
  for (const auto& f : d.folds) {
    std::vector<int32_t> train_labels;
    for (int64_t i : f.train) train_labels.push_back(d.labels[static_cast<size_t>(i)]);
    manifest["fold_class_weights"].push_back(
        balanced_class_weights(class_counts(train_labels, static_cast<int32_t>(d.classes.size()))));
  }
  manifest["balancing"] = opt.per_class == kKeepAll
                              ? "every star kept; use class_weights (n / (classes * count))"
                              : fmt::format("at most {} per class, pandas groupby.sample(random_state={}) order", opt.per_class, opt.seed);
  if (!opt.representation.empty()) build_cached_representation(opt, d, c.inputs, manifest);
  manifest["files"] = d.written;
  const std::string mpath = (fs::path(opt.out_dir) / "manifest.json").string();
  write_text_file(mpath, manifest.dump(2) + "\n");
  d.written.push_back(mpath);
  return d;
}

}  // namespace varstar::data
