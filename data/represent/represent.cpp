// build_representation(): validates the inputs, resolves each row's catalog
// quantities (fitting light curves where a row has none), then hands over to
// the mode's builder (modes.h). Also the spec's text form and JSON.
#include "data/represent/represent.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "data/represent/device_compute.h"
#include "data/represent/features.h"
#include "data/represent/fourier_fit.h"
#include "data/represent/modes.h"
#include "engine/error.h"

namespace varstar::data {

const char* const kClasspairWarning =
    "dmdt-thesis-classpair uses the labels of the stars being classified. Each image is built "
    "from differences to the OTHER stars of the SAME class (as the thesis scripts did), so the image "
    "encodes the label; it cannot classify an unlabelled star and accuracy measured on it is not a "
    "classification accuracy.";

const std::vector<RepresentationInfo>& representation_names() {
  static const std::vector<RepresentationInfo> names = {
      {"harmonic-thesis", "thesis scripts' CNN-LSTM input: 359 points, phase 0..2 (two cycles), raw r magnitudes",
       false, false},
      {"harmonic-text", "thesis text's CNN-LSTM input: 360 points over one cycle, raw r magnitudes", false, false},
      {"harmonic-shape",
       "ours: r and g shapes (mean removed, /peak-to-peak, max light at phase 0), 128 points + period/amplitude/"
       "colour features",
       false, false},
      {"folded", "light curve folded at the period, median per phase bin, one channel per band + features", true,
       false},
      {"dmdt-lightcurve",
       "Mahabal et al. 2017 dm-dt image of the star's own observations per band (thesis |dm| and/or signed edges)",
       true, false},
      {"dmdt-catalog", "dm-dt image of the catalog's harmonic model sampled at a simulated ZTF cadence", false,
       false},
      {"dmdt-thesis-classpair",
       "thesis scripts' 2D-CNN input (90x53x3) from same-class star pairs: USES THE LABELS of the star classified",
       false, true},
  };
  return names;
}

bool representation_uses_gpu(std::string_view mode) {
  return mode.starts_with("harmonic-") || mode == "dmdt-lightcurve" || mode == "dmdt-catalog";
}

namespace {

const RepresentationInfo* find_mode(const std::string& mode) {
  for (const auto& info : representation_names())
    if (info.name == mode) return &info;
  return nullptr;
}

std::string mode_list() {
  std::vector<std::string> names;
  for (const auto& info : representation_names()) names.push_back(info.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

template <class T>
T parse_number(std::string_view key, std::string_view value) {
  T out{};
  const auto* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  VARSTAR_CHECK(ec == std::errc() && ptr == end, "representation parameter {}: '{}' is not a valid number", key,
                value);
  return out;
}

void check_choice(std::string_view key, const std::string& value, std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (value == a) return;
  throw Error(fmt::format("representation parameter {}: '{}' is not one of {}", key, value, fmt::join(allowed, ", ")));
}

// Divides each light-curve star's period by the multiple its curve fits best
// (spec.period_multiples, repr::find_period_multiple). Returns which rows
// changed; the note and the description say how many, per multiple.
std::vector<char> divide_period_multiples(const RepresentationSpec& spec, std::vector<CatalogRow>& rows,
                                          const LightCurveSet& curves, const std::vector<int64_t>& curve_index,
                                          std::span<const int32_t> bands, RepresentationBatch& out) {
  repr::PeriodMultipleOptions options;
  options.max_multiple = spec.period_multiples;
  const int64_t n = static_cast<int64_t>(rows.size());
  std::vector<int> multiple(rows.size(), 0);  // 0: no light curve, not searched
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; ++i)
    if (curve_index[i] >= 0)
      multiple[i] = repr::find_period_multiple(curves.curves[curve_index[i]], rows[i].period, bands, options).multiple;
  std::vector<int64_t> stars_with(spec.period_multiples + 1, 0);
  std::vector<char> changed(rows.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    ++stars_with[multiple[i]];
    if (multiple[i] > 1) {
      rows[i].period /= multiple[i];
      changed[i] = 1;
    }
  }
  std::vector<std::string> parts;
  for (int k = 2; k <= spec.period_multiples; ++k)
    if (stars_with[k] > 0) parts.push_back(fmt::format("/{}: {}", k, stars_with[k]));
  const int64_t searched = n - stars_with[0];
  out.notes.push_back(fmt::format("period search (period_multiples={}): {} of {} stars' periods divided ({})",
                                  spec.period_multiples, searched - stars_with[1], searched,
                                  parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "))));
  out.description["period_divided_by"] = stars_with;  // [k]: stars whose period was divided by k; [0]: not searched
  return changed;
}

}  // namespace

nlohmann::json RepresentationSpec::to_json() const {
  nlohmann::json j;
  j["mode"] = mode;
  j["n_points"] = n_points;
  j["fit_harmonics"] = fit_harmonics;
  j["clip_sigma"] = clip_sigma;
  j["phase_bins"] = phase_bins;
  j["dmdt_edges"] = dmdt_edges;
  j["dmdt_norm"] = dmdt_norm;
  j["image_height"] = image_height;
  j["image_width"] = image_width;
  j["seed"] = seed;
  j["catalog_noise"] = catalog_noise;
  j["bands"] = bands;
  if (magnitudes) j["magnitudes"] = true;  // absent when off: earlier cache keys stay valid
  if (features) j["features"] = true;
  if (skewness) j["skewness"] = true;
  if (curve_features) j["curve_features"] = true;
  if (period_multiples != 1) j["period_multiples"] = period_multiples;
  return j;
}

RepresentationSpec RepresentationSpec::from_json(const nlohmann::json& j) {
  RepresentationSpec spec;
  spec.mode = j.at("mode").get<std::string>();
  VARSTAR_CHECK(find_mode(spec.mode) != nullptr, "unknown representation '{}' (known: {})", spec.mode, mode_list());
  spec.n_points = j.value("n_points", spec.n_points);
  spec.fit_harmonics = j.value("fit_harmonics", spec.fit_harmonics);
  spec.clip_sigma = j.value("clip_sigma", spec.clip_sigma);
  spec.phase_bins = j.value("phase_bins", spec.phase_bins);
  spec.dmdt_edges = j.value("dmdt_edges", spec.dmdt_edges);
  spec.dmdt_norm = j.value("dmdt_norm", spec.dmdt_norm);
  spec.image_height = j.value("image_height", spec.image_height);
  spec.image_width = j.value("image_width", spec.image_width);
  spec.seed = j.value("seed", spec.seed);
  spec.catalog_noise = j.value("catalog_noise", spec.catalog_noise);
  spec.bands = j.value("bands", spec.bands);
  spec.magnitudes = j.value("magnitudes", spec.magnitudes);
  spec.features = j.value("features", spec.features);
  spec.skewness = j.value("skewness", spec.skewness);
  spec.curve_features = j.value("curve_features", spec.curve_features);
  spec.period_multiples = j.value("period_multiples", spec.period_multiples);
  return spec;
}

std::string RepresentationSpec::to_text() const {
  std::string text = fmt::format(
      "{}:n_points={},fit_harmonics={},clip_sigma={},phase_bins={},dmdt_edges={},dmdt_norm={},image_height={},"
      "image_width={},seed={},catalog_noise={}",
      mode, n_points, fit_harmonics, clip_sigma, phase_bins, dmdt_edges, dmdt_norm, image_height, image_width, seed,
      catalog_noise ? "true" : "false");
  if (!bands.empty()) text += ",bands=" + fmt::format("{}", fmt::join(bands, "+"));
  if (magnitudes) text += ",magnitudes=true";
  if (features) text += ",features=true";
  if (skewness) text += ",skewness=true";
  if (curve_features) text += ",curve_features=true";
  if (period_multiples != 1) text += fmt::format(",period_multiples={}", period_multiples);
  return text;
}

RepresentationSpec RepresentationSpec::parse(std::string_view text) {
  RepresentationSpec spec;
  const size_t colon = text.find(':');
  spec.mode = std::string(text.substr(0, colon));
  VARSTAR_CHECK(find_mode(spec.mode) != nullptr, "unknown representation '{}' (known: {})", spec.mode, mode_list());
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    VARSTAR_CHECK(eq != std::string_view::npos, "representation parameter '{}' must be key=value", item);
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "n_points") spec.n_points = parse_number<int>(key, value);
    else if (key == "fit_harmonics") spec.fit_harmonics = parse_number<int>(key, value);
    else if (key == "clip_sigma") spec.clip_sigma = parse_number<double>(key, value);
    else if (key == "phase_bins") spec.phase_bins = parse_number<int>(key, value);
    else if (key == "dmdt_edges") spec.dmdt_edges = std::string(value);
    else if (key == "dmdt_norm") spec.dmdt_norm = std::string(value);
    else if (key == "image_height") spec.image_height = parse_number<int>(key, value);
    else if (key == "image_width") spec.image_width = parse_number<int>(key, value);
    else if (key == "seed") spec.seed = parse_number<uint64_t>(key, value);
    else if (key == "period_multiples") spec.period_multiples = parse_number<int>(key, value);
    else if (key == "catalog_noise" || key == "magnitudes" || key == "features" || key == "skewness" ||
             key == "curve_features") {
      VARSTAR_CHECK(value == "true" || value == "false", "{} must be true or false, got '{}'", key, value);
      bool& flag = key == "magnitudes"  ? spec.magnitudes
                   : key == "features"  ? spec.features
                   : key == "skewness"  ? spec.skewness
                   : key == "curve_features" ? spec.curve_features
                                        : spec.catalog_noise;
      flag = value == "true";
    } else if (key == "bands") {
      spec.bands.clear();
      std::string_view b = value;
      while (!b.empty()) {
        const size_t plus = b.find('+');
        spec.bands.emplace_back(b.substr(0, plus));
        b = plus == std::string_view::npos ? std::string_view{} : b.substr(plus + 1);
      }
    } else {
      throw Error(fmt::format("unknown representation parameter '{}'", key));
    }
  }
  return spec;
}

RepresentationBatch build_representation(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows,
                                         const LightCurveSet* curves, std::span<const int32_t> labels,
                                         std::span<const int32_t> split_of, const RepresentationProgress& progress,
                                         Device device) {
  const RepresentationInfo* info = find_mode(spec.mode);
  if (device.is_cuda()) repr::check_representation_device(device);
  VARSTAR_CHECK(info != nullptr, "unknown representation '{}' (known: {})", spec.mode, mode_list());
  check_choice("dmdt_edges", spec.dmdt_edges, {"thesis", "mahabal", "both"});
  check_choice("dmdt_norm", spec.dmdt_norm, {"fraction", "max", "mahabal255", "counts"});
  VARSTAR_CHECK(spec.fit_harmonics >= 1 && spec.fit_harmonics <= 8, "fit_harmonics must be in [1, 8], got {}",
                spec.fit_harmonics);
  VARSTAR_CHECK(spec.n_points >= 0 && spec.phase_bins > 0 && spec.image_height >= 0 && spec.image_width >= 0,
                "representation sizes must be non-negative (n_points {}, phase_bins {}, image {}x{})", spec.n_points,
                spec.phase_bins, spec.image_height, spec.image_width);
  VARSTAR_CHECK((spec.image_height == 0) == (spec.image_width == 0),
                "image_height and image_width must be given together (got {}x{})", spec.image_height,
                spec.image_width);
  const bool dmdt_mode = spec.mode == "dmdt-catalog" || spec.mode == "dmdt-lightcurve";
  VARSTAR_CHECK(!spec.features || dmdt_mode,
                "representation parameter features applies to dmdt-catalog and dmdt-lightcurve only, not to '{}' "
                "(harmonic-shape and folded always have them)",
                spec.mode);
  const bool has_features = spec.mode == "harmonic-shape" || spec.mode == "folded" || spec.features;
  VARSTAR_CHECK(!spec.magnitudes || has_features,
                "representation parameter magnitudes applies to modes with features (harmonic-shape, folded, dm-dt "
                "modes with features=true), not to '{}'",
                spec.mode);
  VARSTAR_CHECK(spec.period_multiples >= 1 && spec.period_multiples <= kMaxPeriodMultiples,
                "period_multiples must be in [1, {}], got {}", kMaxPeriodMultiples, spec.period_multiples);
  VARSTAR_CHECK(spec.period_multiples == 1 || curves != nullptr,
                "representation parameter period_multiples searches the light curves: give --lightcurves");
  VARSTAR_CHECK(spec.period_multiples == 1 || spec.mode != "dmdt-lightcurve" || spec.features,
                "representation parameter period_multiples: dmdt-lightcurve uses the period only with features=true");
  // Features measured on each star's light curve.
  for (const auto& [on, name] :
       {std::pair{spec.skewness, "skewness"}, std::pair{spec.curve_features, "curve_features"}}) {
    VARSTAR_CHECK(!on || has_features,
                  "representation parameter {} applies to modes with features (harmonic-shape, folded, dm-dt modes "
                  "with features=true), not to '{}'",
                  name, spec.mode);
    VARSTAR_CHECK(!on || curves != nullptr,
                  "representation parameter {} is measured on the light curves: give --lightcurves", name);
  }
  VARSTAR_CHECK(labels.empty() || labels.size() == rows.size(), "{} labels for {} rows", labels.size(), rows.size());
  VARSTAR_CHECK(split_of.empty() || split_of.size() == rows.size(), "{} split indices for {} rows", split_of.size(),
                rows.size());
  VARSTAR_CHECK(!info->needs_curves || curves != nullptr, "representation '{}' needs light curves, none were given",
                spec.mode);

  RepresentationBatch out;
  out.mode = spec.mode;
  out.n_samples = static_cast<int64_t>(rows.size());
  out.uses_labels = info->uses_labels;
  if (info->uses_labels) out.warning = kClasspairWarning;
  out.description = spec.to_json();

  // Rows with their catalog quantities; light-curve stars get theirs from a fit.
  std::vector<int64_t> curve_index;
  std::vector<int32_t> bands;
  std::vector<CatalogRow> resolved;
  const std::vector<CatalogRow>* use_rows = &rows;
  if (curves != nullptr) {
    curve_index = repr::match_curves(rows, *curves);
    bands = repr::select_bands(spec, *curves);
    std::vector<std::string> band_names;
    for (int32_t b : bands) band_names.push_back(curves->band_names[b]);
    out.description["bands_used"] = band_names;
    if (info->needs_curves) {
      for (size_t i = 0; i < rows.size(); ++i)
        VARSTAR_CHECK(curve_index[i] >= 0, "representation '{}': star '{}' has no light curve", spec.mode,
                      rows[i].id);
    }
    repr::FourierFitOptions fit_options;
    fit_options.n_harmonics = spec.fit_harmonics;
    fit_options.clip_sigma = spec.clip_sigma;
    int64_t derived = 0;
    std::vector<char> period_changed(rows.size(), 0);
    if (spec.period_multiples > 1) {
      resolved = rows;
      period_changed = divide_period_multiples(spec, resolved, *curves, curve_index, bands, out);
    }
    // dmdt-lightcurve bins the observations only, unless it adds the features.
    const bool uses_catalog_values = spec.mode != "dmdt-lightcurve" || spec.features;
    for (size_t i = 0; i < rows.size() && uses_catalog_values; ++i) {
      // A changed period invalidates the row's Fourier columns: fit them again.
      if ((!repr::row_lacks_fourier(rows[i]) && !period_changed[i]) || curve_index[i] < 0) continue;
      if (resolved.empty()) resolved = rows;
      resolved[i] = repr::derive_catalog_row(resolved[i], curves->curves[curve_index[i]], bands, fit_options);
      ++derived;
      if (progress && derived % 1000 == 0) progress("fourier fits", derived, static_cast<int64_t>(rows.size()));
    }
    if (!resolved.empty()) use_rows = &resolved;
    out.description["rows_derived_from_light_curves"] = derived;
  }
  for (const auto& row : *use_rows)
    VARSTAR_CHECK(std::isfinite(row.period) && row.period > 0,
                  "representation '{}': star '{}' has period {} (must be a positive number)", spec.mode, row.id,
                  row.period);

  if (spec.mode.starts_with("harmonic-")) {
    repr::build_harmonic(spec, *use_rows, device, out);
  } else if (spec.mode == "folded") {
    repr::build_folded(spec, *use_rows, *curves, curve_index, bands, progress, out);
  } else if (spec.mode == "dmdt-lightcurve") {
    repr::build_dmdt(spec, *use_rows, curves, curve_index, bands, progress, device, out);
  } else if (spec.mode == "dmdt-catalog") {
    repr::build_dmdt(spec, *use_rows, nullptr, {}, {}, progress, device, out);
  } else if (spec.mode == "dmdt-thesis-classpair") {
    VARSTAR_CHECK(labels.size() == rows.size(), "dmdt-thesis-classpair needs one label per row ({} labels, {} rows)",
                  labels.size(), rows.size());
    repr::build_classpair(spec, *use_rows, labels, split_of, progress, out);
  } else {
    throw Error(fmt::format("representation '{}' is not implemented yet", spec.mode));
  }
  if (spec.skewness) repr::append_skewness(*curves, curve_index, bands, out);
  if (spec.curve_features) repr::append_curve_features(*curves, curve_index, bands, *use_rows, spec.clip_sigma, out);
  out.description["sample_shape"] = out.sample_shape;
  out.description["feature_names"] = out.feature_names;
  out.description["uses_labels"] = out.uses_labels;
  out.description["warning"] = out.warning;
  VARSTAR_CHECK(static_cast<int64_t>(out.values.size()) == out.n_samples * out.sample_size(),
                "internal: {} values for {} samples of size {}", out.values.size(), out.n_samples, out.sample_size());
  return out;
}

}  // namespace varstar::data
