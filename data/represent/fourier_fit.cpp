// Robust least-squares Fourier fit of a folded light curve (fourier_fit.h):
// normal equations solved by Cholesky in double precision, iterative sigma
// clipping on the MAD of the residuals, catalog quantities from the fitted model.
#include "data/represent/fourier_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/error.h"
#include "kernels/harmonic_math.h"

namespace varstar::data::repr {

namespace {

constexpr double kErrorFloor = 0.005;     // mag, added in quadrature to each error
constexpr int kModelGrid = 1000;          // phases on which amplitude and max light are found
constexpr double kMadToSigma = 1.4826;    // Gaussian sigma from the median absolute deviation
constexpr double kRidge = 1e-10;          // relative ridge keeping the normal matrix positive definite
// R21 of a catalog row is capped: a larger ratio means the fundamental is lost
// in the noise (e.g. a contact binary with equal minima at its orbital period).
constexpr double kMaxCatalogR21 = 10.0;

double frac(double x) { return x - std::floor(x); }

// Solves (A + ridge) x = b in place for a symmetric positive definite p x p A
// (row-major). Returns false when A is singular.
bool cholesky_solve(std::vector<double>& a, std::vector<double>& b, int p) {
  double trace = 0;
  for (int i = 0; i < p; ++i) trace += a[i * p + i];
  const double ridge = kRidge * (trace / p + 1e-300);
  for (int i = 0; i < p; ++i) a[i * p + i] += ridge;
  for (int j = 0; j < p; ++j) {
    double d = a[j * p + j];
    for (int k = 0; k < j; ++k) d -= a[j * p + k] * a[j * p + k];
    if (!(d > 0)) return false;
    d = std::sqrt(d);
    a[j * p + j] = d;
    for (int i = j + 1; i < p; ++i) {
      double s = a[i * p + j];
      for (int k = 0; k < j; ++k) s -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = s / d;
    }
  }
  for (int i = 0; i < p; ++i) {  // L y = b
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= a[i * p + k] * b[k];
    b[i] = s / a[i * p + i];
  }
  for (int i = p - 1; i >= 0; --i) {  // L^T x = y
    double s = b[i];
    for (int k = i + 1; k < p; ++k) s -= a[k * p + i] * b[k];
    b[i] = s / a[i * p + i];
  }
  return true;
}

double median_of(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lo + hi);
}

// Amplitude A and phase phi of c cos x + s sin x = A cos(x + phi).
void amp_phase(double c, double s, double& amp, double& phase) {
  amp = std::hypot(c, s);
  phase = std::atan2(-s, c);
}

}  // namespace

double fourier_model(const FourierFit& fit, double phase) {
  if (!fit.ok) return 0;
  return harmonic_eval(fit.coeffs.data(), fit.n_harmonics, phase);
}

FourierFit fit_fourier(std::span<const double> t, std::span<const double> m, std::span<const double> err,
                       double period, double t_ref, const FourierFitOptions& options) {
  VARSTAR_CHECK(t.size() == m.size(), "fit_fourier: {} times but {} magnitudes", t.size(), m.size());
  VARSTAR_CHECK(err.empty() || err.size() == t.size(), "fit_fourier: {} errors for {} points", err.size(), t.size());
  VARSTAR_CHECK(options.n_harmonics >= 1 && options.n_harmonics <= kMaxHarmonics,
                "fit_fourier: n_harmonics must be in [1, {}], got {}", kMaxHarmonics, options.n_harmonics);
  FourierFit fit;
  const int64_t n = static_cast<int64_t>(t.size());
  if (!(period > 0) || !std::isfinite(period)) return fit;
  // Enough points for a stable fit: at least 3 per parameter.
  int k_harm = options.n_harmonics;
  while (k_harm >= 1 && n < 3 * (2 * k_harm + 1)) --k_harm;
  if (k_harm < 1) return fit;
  // Phase coverage: the highest harmonic's half period must exceed the widest
  // gap in phase, or the model is free to swing inside the gap.
  {
    std::vector<double> ph(n);
    for (int64_t i = 0; i < n; ++i) ph[i] = frac((t[i] - t_ref) / period);
    std::sort(ph.begin(), ph.end());
    double gap = ph.front() + 1.0 - ph.back();
    for (int64_t i = 1; i < n; ++i) gap = std::max(gap, ph[i] - ph[i - 1]);
    while (k_harm > 1 && gap > 0.5 / k_harm) --k_harm;
  }
  const int p = 2 * k_harm + 1;

  std::vector<double> phase(n), weight(n), basis(static_cast<size_t>(n) * p);
  const bool weighted = options.use_errors && !err.empty();
  for (int64_t i = 0; i < n; ++i) {
    phase[i] = frac((t[i] - t_ref) / period);
    weight[i] = weighted ? 1.0 / (err[i] * err[i] + kErrorFloor * kErrorFloor) : 1.0;
    double* row = &basis[static_cast<size_t>(i) * p];
    row[0] = 1.0;
    for (int k = 1; k <= k_harm; ++k) {
      const double angle = (kTwoPi * k) * phase[i];
      row[2 * k - 1] = std::cos(angle);
      row[2 * k] = std::sin(angle);
    }
  }

  std::vector<char> keep(n, 1);
  std::vector<double> coeffs, resid(n, 0.0);
  std::vector<double> ata, atb, scratch;
  // Weighted least squares with the first 2 kk + 1 basis columns on the kept
  // points, then (clip) rounds of sigma clipping. Returns false when unsolvable.
  auto solve = [&](int kk, bool clip) -> bool {
    const int q = 2 * kk + 1;
    bool solved = false;
    for (int iter = 0; iter <= std::max(0, options.max_iterations); ++iter) {
      ata.assign(static_cast<size_t>(q) * q, 0.0);
      atb.assign(q, 0.0);
      int64_t kept = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!keep[i]) continue;
        ++kept;
        const double* row = &basis[static_cast<size_t>(i) * p];
        const double w = weight[i];
        for (int a = 0; a < q; ++a) {
          const double wa = w * row[a];
          atb[a] += wa * m[i];
          for (int b = 0; b <= a; ++b) ata[a * q + b] += wa * row[b];
        }
      }
      if (kept < q + 2) break;
      for (int a = 0; a < q; ++a)
        for (int b = a + 1; b < q; ++b) ata[a * q + b] = ata[b * q + a];
      std::vector<double> rhs = atb;
      if (!cholesky_solve(ata, rhs, q)) break;
      coeffs = rhs;
      solved = true;
      for (int64_t i = 0; i < n; ++i) {
        const double* row = &basis[static_cast<size_t>(i) * p];
        double model = 0;
        for (int a = 0; a < q; ++a) model += coeffs[a] * row[a];
        resid[i] = m[i] - model;
      }
      if (!clip || options.clip_sigma <= 0 || iter == options.max_iterations) break;
      scratch.clear();
      for (int64_t i = 0; i < n; ++i)
        if (keep[i]) scratch.push_back(resid[i]);
      const double med = median_of(scratch);
      for (double& v : scratch) v = std::abs(v - med);
      const double sigma = kMadToSigma * median_of(scratch);
      if (!(sigma > 0)) break;
      const std::vector<char> previous = keep;
      bool changed = false;
      for (int64_t i = 0; i < n; ++i) {
        const bool k = std::abs(resid[i] - med) <= options.clip_sigma * sigma;
        if (static_cast<char>(k) != keep[i]) changed = true;
        keep[i] = k;
      }
      int64_t now_kept = 0;
      for (char k : keep) now_kept += k;
      if (now_kept < q + 2) {  // clipping would leave too little: keep the last solution
        keep = previous;
        break;
      }
      if (!changed) break;
    }
    return solved;
  };
  if (!solve(k_harm, true)) return fit;
  const int k_min = std::clamp(options.min_harmonics, 1, k_harm);
  if (options.select_harmonics && k_harm > k_min) {
    // Bayesian information criterion on the points kept by the full fit:
    // fewer harmonics where the data do not support more (gaps, few points).
    int64_t kept = 0;
    for (char k : keep) kept += k;
    int best = k_harm;
    double best_bic = 1e300;
    for (int kk = k_min; kk <= k_harm; ++kk) {
      if (!solve(kk, false)) continue;
      double rss = 0;
      for (int64_t i = 0; i < n; ++i)
        if (keep[i]) rss += weight[i] * resid[i] * resid[i];
      const double bic = static_cast<double>(kept) * std::log(std::max(rss, 1e-300) / static_cast<double>(kept)) +
                         (2 * kk + 1) * std::log(static_cast<double>(kept));
      if (bic < best_bic) best_bic = bic, best = kk;
    }
    k_harm = best;
    if (!solve(k_harm, true)) return fit;
  }

  fit.ok = true;
  fit.n_harmonics = k_harm;
  fit.period = period;
  fit.t_ref = t_ref;
  fit.coeffs = coeffs;
  fit.mean_mag = coeffs[0];
  // Goodness of fit on the kept points.
  double sw = 0, swm = 0;
  for (int64_t i = 0; i < n; ++i)
    if (keep[i]) {
      sw += weight[i];
      swm += weight[i] * m[i];
      ++fit.n_used;
    }
  fit.n_clipped = static_cast<int>(n - fit.n_used);
  const double wmean = swm / sw;
  double rss = 0, tss = 0, rss_plain = 0;
  for (int64_t i = 0; i < n; ++i)
    if (keep[i]) {
      rss += weight[i] * resid[i] * resid[i];
      tss += weight[i] * (m[i] - wmean) * (m[i] - wmean);
      rss_plain += resid[i] * resid[i];
    }
  fit.r2 = tss > 0 ? 1.0 - rss / tss : 0.0;
  fit.rms = std::sqrt(rss_plain / fit.n_used);
  // Amplitude and maximum light from the model on a fine grid.
  double lo = 1e300, hi = -1e300;
  for (int g = 0; g < kModelGrid; ++g) {
    const double ph = static_cast<double>(g) / kModelGrid;
    const double v = harmonic_eval(coeffs.data(), k_harm, ph);
    if (v < lo) {
      lo = v;
      fit.phase_max_light = ph;
    }
    hi = std::max(hi, v);
  }
  // Never more than the kept observations span (a model swinging between
  // sparse points is not an amplitude).
  double data_lo = 1e300, data_hi = -1e300;
  for (int64_t i = 0; i < n; ++i)
    if (keep[i]) data_lo = std::min(data_lo, m[i]), data_hi = std::max(data_hi, m[i]);
  fit.amplitude = std::min(hi - lo, data_hi - data_lo);
  if (k_harm >= 2) {
    double a1, p1, a2, p2;
    amp_phase(coeffs[1], coeffs[2], a1, p1);
    amp_phase(coeffs[3], coeffs[4], a2, p2);
    fit.r21 = a1 > 0 ? a2 / a1 : 0.0;
    const double two_pi = 2 * std::numbers::pi;
    fit.phi21 = std::fmod(p2 - 2 * p1, two_pi);
    if (fit.phi21 < 0) fit.phi21 += two_pi;
  }
  return fit;
}

namespace {

void band_points(const LightCurve& curve, int32_t band, std::vector<double>& t, std::vector<double>& m,
                 std::vector<double>& e) {
  t.clear();
  m.clear();
  e.clear();
  for (size_t i = 0; i < curve.time.size(); ++i) {
    if (curve.band[i] != band) continue;
    t.push_back(curve.time[i]);
    m.push_back(curve.mag[i]);
    e.push_back(curve.mag_err.empty() ? 0.0 : curve.mag_err[i]);
  }
}

double first_time(const LightCurve& curve) {
  return curve.time.empty() ? 0.0 : *std::min_element(curve.time.begin(), curve.time.end());
}

}  // namespace

CatalogRow derive_catalog_row(const CatalogRow& base, const LightCurve& curve, std::span<const int32_t> bands,
                              const FourierFitOptions& options, FourierFit (*fits_out)[2]) {
  CatalogRow row = base;
  const double t_ref = first_time(curve);
  std::vector<double> t, m, e;
  auto fill = [&](int32_t band, bool is_r) {
    band_points(curve, band, t, m, e);
    FourierFit f = fit_fourier(t, m, e, row.period, t_ref, options);
    if (fits_out) (*fits_out)[is_r ? 1 : 0] = f;
    f.r21 = std::min(f.r21, kMaxCatalogR21);
    const int32_t count = static_cast<int32_t>(t.size());
    if (is_r) {
      row.num_r = count;
      row.period_r = row.period;
      row.rmag = f.mean_mag;
      row.amp_r = f.amplitude;
      row.r21_r = f.r21;
      row.phi21_r = f.phi21;
      row.r2_r = f.r2;
      row.r21 = f.r21;
      row.phi21 = f.phi21;
      row.t0 = f.ok ? t_ref + f.phase_max_light * row.period : 0.0;
    } else {
      row.num_g = count;
      row.period_g = row.period;
      row.gmag = f.mean_mag;
      row.amp_g = f.amplitude;
      row.r21_g = f.r21;
      row.phi21_g = f.phi21;
      row.r2_g = f.r2;
    }
  };
  if (bands.size() >= 2) {
    fill(bands[0], false);
    fill(bands[1], true);
  } else if (bands.size() == 1) {
    fill(bands[0], true);
  }
  return row;
}

PeriodMultiple find_period_multiple(const LightCurve& curve, double period, std::span<const int32_t> bands,
                                    const PeriodMultipleOptions& options) {
  VARSTAR_CHECK(options.max_multiple >= 1 && options.n_harmonics >= 1 && options.tolerance >= 1.0,
                "find_period_multiple: max_multiple {} and n_harmonics {} must be >= 1, tolerance {} >= 1",
                options.max_multiple, options.n_harmonics, options.tolerance);
  PeriodMultiple out;
  if (!(period > 0) || !std::isfinite(period)) return out;
  const int p = 2 * options.n_harmonics + 1;
  const double t_ref = first_time(curve);
  std::vector<double> t, m, e, w, ata, atb, basis;
  std::vector<double> chi2(options.max_multiple, 0.0);
  bool fitted = false;
  for (const int32_t band : bands) {
    band_points(curve, band, t, m, e);
    if (t.size() < static_cast<size_t>(3 * p)) continue;
    fitted = true;
    w.resize(t.size());
    for (size_t i = 0; i < t.size(); ++i) w[i] = 1.0 / (e[i] * e[i] + kErrorFloor * kErrorFloor);
    basis.resize(t.size() * p);
    for (int k = 1; k <= options.max_multiple; ++k) {
      const double frequency = k / period;
      for (size_t i = 0; i < t.size(); ++i) {
        double* row = &basis[i * p];
        const double phase = frac((t[i] - t_ref) * frequency);
        row[0] = 1.0;
        for (int h = 1; h <= options.n_harmonics; ++h) {
          row[2 * h - 1] = std::cos(kTwoPi * h * phase);
          row[2 * h] = std::sin(kTwoPi * h * phase);
        }
      }
      ata.assign(static_cast<size_t>(p) * p, 0.0);
      atb.assign(p, 0.0);
      for (size_t i = 0; i < t.size(); ++i) {
        const double* row = &basis[i * p];
        for (int a = 0; a < p; ++a) {
          atb[a] += w[i] * row[a] * m[i];
          for (int b = 0; b <= a; ++b) ata[a * p + b] += w[i] * row[a] * row[b];
        }
      }
      for (int a = 0; a < p; ++a)
        for (int b = a + 1; b < p; ++b) ata[a * p + b] = ata[b * p + a];
      if (!cholesky_solve(ata, atb, p)) {  // e.g. every point at one phase: this k cannot be judged
        chi2[k - 1] = std::numeric_limits<double>::infinity();
        continue;
      }
      double rss = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        const double* row = &basis[i * p];
        double model = 0;
        for (int a = 0; a < p; ++a) model += atb[a] * row[a];
        rss += w[i] * (m[i] - model) * (m[i] - model);
      }
      chi2[k - 1] += rss;
    }
  }
  if (!fitted) return out;
  const int best = static_cast<int>(std::min_element(chi2.begin(), chi2.end()) - chi2.begin()) + 1;
  if (!std::isfinite(chi2[best - 1])) return out;
  out.multiple = best;
  for (int k = 2 * best; k <= options.max_multiple; k += best)
    if (chi2[k - 1] <= options.tolerance * chi2[best - 1]) out.multiple = k;
  out.chi2 = std::move(chi2);
  return out;
}

int64_t folded_binned(const LightCurve& curve, double period, std::span<const int32_t> bands, int n_bins,
                      const FourierFitOptions& options, float* out) {
  VARSTAR_CHECK(n_bins > 0, "folded: phase_bins must be positive, got {}", n_bins);
  const size_t nb = bands.size();
  std::fill(out, out + nb * n_bins, 0.0f);
  const double t_ref = first_time(curve);
  std::vector<FourierFit> fits(nb);
  std::vector<std::vector<double>> ts(nb), ms(nb);
  std::vector<double> e;
  size_t ref = 0;
  for (size_t b = 0; b < nb; ++b) {
    band_points(curve, bands[b], ts[b], ms[b], e);
    fits[b] = fit_fourier(ts[b], ms[b], e, period, t_ref, options);
    if (fits[b].ok && (!fits[ref].ok || ts[b].size() > ts[ref].size())) ref = b;
  }
  if (!fits[ref].ok) return 0;
  const double shift = fits[ref].phase_max_light;  // phase 0 of the output = maximum light
  int64_t from_model = 0;
  std::vector<std::vector<double>> bins(n_bins);
  for (size_t b = 0; b < nb; ++b) {
    const FourierFit& f = fits[b];
    if (!f.ok || !(f.amplitude > 0)) continue;
    for (auto& v : bins) v.clear();
    const double sigma_cut = options.clip_sigma > 0 ? options.clip_sigma * std::max(f.rms, 1e-6) : 1e300;
    for (size_t i = 0; i < ts[b].size(); ++i) {
      const double ph = frac((ts[b][i] - t_ref) / period);
      if (std::abs(ms[b][i] - fourier_model(f, ph)) > sigma_cut) continue;  // outlier
      int bin = static_cast<int>(frac(ph - shift) * n_bins);
      bin = std::min(bin, n_bins - 1);
      bins[bin].push_back((ms[b][i] - f.mean_mag) / f.amplitude);
    }
    float* o = out + b * n_bins;
    for (int k = 0; k < n_bins; ++k) {
      if (!bins[k].empty()) {
        o[k] = static_cast<float>(median_of(bins[k]));
      } else {
        const double centre = (k + 0.5) / n_bins + shift;
        o[k] = static_cast<float>((fourier_model(f, frac(centre)) - f.mean_mag) / f.amplitude);
        ++from_model;
      }
    }
  }
  return from_model;
}

}  // namespace varstar::data::repr
