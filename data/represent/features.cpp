// Band-wise Fourier descriptions of catalog rows, the shape feature vector and
// row/curve matching (see features.h).
#include "data/represent/features.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/ranges.h>

#include "data/represent/fourier_fit.h"
#include "engine/error.h"

namespace varstar::data::repr {

BandFourier band_r(const CatalogRow& row) {
  BandFourier b;
  b.mean_mag = row.rmag;
  b.amp = row.amp_r;
  b.r21 = row.r21_r != 0 ? row.r21_r : row.r21;
  b.phi21 = row.phi21_r != 0 ? row.phi21_r : row.phi21;
  return b;
}

BandFourier band_g(const CatalogRow& row) {
  BandFourier b;
  b.mean_mag = row.gmag;
  b.amp = row.amp_g;
  b.r21 = row.r21_g;
  b.phi21 = row.phi21_g;
  return b;
}

void catalog_convention_coefficients(const BandFourier& band, double* coeffs_out) {
  const double a1 = 0.5 * band.amp;
  const double a2 = a1 * band.r21;
  coeffs_out[0] = band.mean_mag;
  coeffs_out[1] = a1;
  coeffs_out[2] = 0.0;
  coeffs_out[3] = a2 * std::cos(band.phi21);
  coeffs_out[4] = -a2 * std::sin(band.phi21);
}

std::vector<std::string> shape_feature_names(bool magnitudes) {
  std::vector<std::string> names = {"log10_period", "log10_amp_r", "log10_amp_g", "color_g_minus_r", "r21_r",
                                    "cos_phi21_r",  "sin_phi21_r", "r21_g",       "cos_phi21_g",     "sin_phi21_g"};
  if (magnitudes) names.insert(names.end(), {"mean_mag_r", "mean_mag_g"});
  return names;
}

void shape_features(const CatalogRow& row, float* out, bool magnitudes) {
  constexpr double kMinAmp = 1e-3;     // mag; floor before the logarithm
  constexpr double kMinPeriod = 1e-4;  // days
  const BandFourier r = band_r(row), g = band_g(row);
  out[0] = static_cast<float>(std::log10(std::max(row.period, kMinPeriod)));
  out[1] = static_cast<float>(std::log10(std::max(r.amp, kMinAmp)));
  out[2] = static_cast<float>(std::log10(std::max(g.amp, kMinAmp)));
  out[3] = static_cast<float>(g.mean_mag != 0 && r.mean_mag != 0 ? g.mean_mag - r.mean_mag : 0.0);
  out[4] = static_cast<float>(r.r21);
  out[5] = static_cast<float>(std::cos(r.phi21));
  out[6] = static_cast<float>(std::sin(r.phi21));
  out[7] = static_cast<float>(g.r21);
  out[8] = static_cast<float>(std::cos(g.phi21));
  out[9] = static_cast<float>(std::sin(g.phi21));
  if (magnitudes) {
    out[10] = static_cast<float>(r.mean_mag);
    out[11] = static_cast<float>(g.mean_mag);
  }
}

void add_shape_features(const std::vector<CatalogRow>& rows, bool magnitudes, RepresentationBatch& batch) {
  batch.feature_names = shape_feature_names(magnitudes);
  const size_t nf = batch.feature_names.size();
  batch.features.assign(rows.size() * nf, 0.0f);
  for (size_t s = 0; s < rows.size(); ++s) shape_features(rows[s], &batch.features[s * nf], magnitudes);
}

namespace {

// One band's observations of one star, in the curve's order.
struct BandPoints {
  std::vector<double> t, m, err;  // err empty when the curve has no errors
};

// Appends names.size() / bands.size() feature columns per band to batch
// (band b's at old width + b x per band). fill(s, points, out) writes star s's
// columns of one band from its points; stars without a curve keep zeros.
template <class Fill>
void append_band_features(const LightCurveSet& curves, std::span<const int64_t> curve_index,
                          std::span<const int32_t> bands, std::vector<std::string> names, const char* who,
                          RepresentationBatch& batch, Fill fill) {
  const size_t old_width = batch.feature_names.size(), per_band = names.size() / bands.size();
  const size_t width = old_width + names.size(), n = curve_index.size();
  VARSTAR_CHECK(batch.features.size() == n * old_width, "{}: {} feature values for {} rows of {}", who,
                batch.features.size(), n, old_width);
  std::vector<float> features(n * width, 0.0f);
  BandPoints points;
  for (size_t s = 0; s < n; ++s) {
    std::copy_n(&batch.features[s * old_width], old_width, &features[s * width]);
    if (curve_index[s] < 0) continue;
    const LightCurve& c = curves.curves[curve_index[s]];
    for (size_t b = 0; b < bands.size(); ++b) {
      points.t.clear(), points.m.clear(), points.err.clear();
      for (size_t i = 0; i < c.mag.size(); ++i)
        if (c.band[i] == bands[b]) {
          points.t.push_back(c.time[i]);
          points.m.push_back(c.mag[i]);
          if (!c.mag_err.empty()) points.err.push_back(c.mag_err[i]);
        }
      fill(s, points, &features[s * width + old_width + b * per_band]);
    }
  }
  for (auto& name : names) batch.feature_names.push_back(std::move(name));
  batch.features = std::move(features);
}

// Mean and the second and third central moments (divided by n) of m.
struct Moments {
  double mean = 0, m2 = 0, m3 = 0;
};
Moments central_moments(std::span<const double> m) {
  Moments r;
  for (double v : m) r.mean += v;
  r.mean /= static_cast<double>(m.size());
  for (double v : m) {
    const double d = v - r.mean;
    r.m2 += d * d, r.m3 += d * d * d;
  }
  r.m2 /= static_cast<double>(m.size()), r.m3 /= static_cast<double>(m.size());
  return r;
}

// Quantile q in [0, 1] of sorted values, linear between order statistics (NumPy's default).
double sorted_quantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(position);
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

// The six curve features of one band's points (curve_feature_names' order).
void band_curve_features(const BandPoints& p, double period, const FourierFitOptions& fit_options, float* out) {
  if (p.m.size() < 2) return;
  out[4] = static_cast<float>(std::sqrt(central_moments(p.m).m2));
  std::vector<double> sorted = p.m;
  std::sort(sorted.begin(), sorted.end());
  out[5] = static_cast<float>(sorted_quantile(sorted, 0.95) - sorted_quantile(sorted, 0.05));

  const FourierFit fit = fit_fourier(p.t, p.m, p.err, period, p.t.front(), fit_options);
  if (!fit.ok) return;
  out[3] = static_cast<float>(std::sqrt(std::max(0.0, 1.0 - fit.r2)));
  if (fit.n_harmonics < 3) return;
  const double* c = fit.coeffs.data();  // [a0, c1, s1, c2, s2, c3, s3, ...]
  const double a1 = std::hypot(c[1], c[2]), a3 = std::hypot(c[5], c[6]);
  if (!(a1 > 0)) return;
  // c cos x + s sin x = A cos(x + phi) with phi = atan2(-s, c).
  const double phi1 = std::atan2(-c[2], c[1]), phi3 = std::atan2(-c[6], c[5]);
  const double phi31 = phi3 - 3.0 * phi1;
  out[0] = static_cast<float>(a3 / a1);
  out[1] = static_cast<float>(std::cos(phi31));
  out[2] = static_cast<float>(std::sin(phi31));
}

std::vector<std::string> band_names_of(const LightCurveSet& curves, std::span<const int32_t> bands) {
  std::vector<std::string> names;
  for (int32_t b : bands) names.push_back(curves.band_names[b]);
  return names;
}

}  // namespace

void append_skewness(const LightCurveSet& curves, std::span<const int64_t> curve_index,
                     std::span<const int32_t> bands, RepresentationBatch& batch) {
  std::vector<std::string> names;
  for (const auto& b : band_names_of(curves, bands)) names.push_back("skew_" + b);
  append_band_features(curves, curve_index, bands, std::move(names), "append_skewness", batch,
                       [](size_t, const BandPoints& p, float* out) {
                         if (p.m.size() < 3) return;
                         const Moments r = central_moments(p.m);
                         if (r.m2 > 0) *out = static_cast<float>(r.m3 / std::pow(r.m2, 1.5));
                       });
}

std::vector<std::string> curve_feature_names(std::span<const std::string> band_names) {
  std::vector<std::string> names;
  for (const auto& b : band_names)
    for (const char* stem : {"r31_", "cos_phi31_", "sin_phi31_", "fit_residual_", "std_", "range90_"})
      names.push_back(stem + b);
  return names;
}

void append_curve_features(const LightCurveSet& curves, std::span<const int64_t> curve_index,
                           std::span<const int32_t> bands, const std::vector<CatalogRow>& rows, double clip_sigma,
                           RepresentationBatch& batch) {
  VARSTAR_CHECK(rows.size() == curve_index.size(), "append_curve_features: {} rows for {} curve indices",
                rows.size(), curve_index.size());
  FourierFitOptions fit_options;
  fit_options.n_harmonics = 4;
  fit_options.select_harmonics = false;
  fit_options.clip_sigma = clip_sigma;
  append_band_features(curves, curve_index, bands, curve_feature_names(band_names_of(curves, bands)),
                       "append_curve_features", batch, [&](size_t s, const BandPoints& p, float* out) {
                         band_curve_features(p, rows[s].period, fit_options, out);
                       });
}

std::vector<int64_t> match_curves(const std::vector<CatalogRow>& rows, const LightCurveSet& curves) {
  std::unordered_map<std::string_view, int64_t> by_id;
  by_id.reserve(curves.curves.size());
  for (size_t i = 0; i < curves.curves.size(); ++i) by_id.emplace(curves.curves[i].id, static_cast<int64_t>(i));
  std::vector<int64_t> index(rows.size(), -1);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = by_id.find(rows[i].id);
    if (it != by_id.end()) index[i] = it->second;
  }
  return index;
}

std::vector<int32_t> select_bands(const RepresentationSpec& spec, const LightCurveSet& curves) {
  auto find = [&](const std::string& name) -> int32_t {
    for (size_t i = 0; i < curves.band_names.size(); ++i)
      if (curves.band_names[i] == name) return static_cast<int32_t>(i);
    return -1;
  };
  std::vector<int32_t> out;
  if (!spec.bands.empty()) {
    for (const auto& name : spec.bands) {
      const int32_t b = find(name);
      VARSTAR_CHECK(b >= 0, "band '{}' asked for by the representation is not in the light curves (bands: {})",
                    name, fmt::join(curves.band_names, ","));
      out.push_back(b);
    }
    return out;
  }
  const int32_t g = find("g"), r = find("r");
  if (g >= 0 && r >= 0) return {g, r};
  for (size_t i = 0; i < curves.band_names.size() && out.size() < 2; ++i) out.push_back(static_cast<int32_t>(i));
  VARSTAR_CHECK(!out.empty(), "the light-curve set names no bands");
  return out;
}

}  // namespace varstar::data::repr
