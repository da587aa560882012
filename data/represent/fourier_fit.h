#pragma once
// Robust Fourier-series fit of one band of a light curve at a known period,
// and what is derived from it: the catalog quantities (mean magnitude,
// peak-to-peak amplitude, R21, phi21, R^2, epoch of maximum light) so that
// every catalog representation also exists for stars that arrive as light
// curves, and the folded light curve binned in phase.
//
// Model (catalog convention, as Chen et al. 2020 state it):
//   m(t) = a0 + sum_{k=1..K} A_k cos(2 pi k phi + phi_k),  phi = frac((t - t_ref) / P)
//   R21 = A_2 / A_1,  phi21 = (phi_2 - 2 phi_1) mod 2 pi  in [0, 2 pi)
// Fitted as linear least squares on the basis [1, cos(2 pi k phi), sin(2 pi k phi)]
// (weights 1 / (err^2 + floor^2)), with iterative sigma clipping of residuals
// (robust scale: 1.4826 * MAD) so outliers do not move the fit, and the number
// of harmonics chosen by BIC (at most n_harmonics; fewer with few points, and
// fewer when the widest gap in phase exceeds half the highest harmonic's period).
// The amplitude is the model's peak-to-peak, at most the kept points' range.
#include <cstdint>
#include <span>
#include <vector>

#include "data/represent/represent.h"
#include "data/types.h"

namespace varstar::data::repr {

struct FourierFitOptions {
  int n_harmonics = 4;
  double clip_sigma = 3.0;    // clip |residual| > clip_sigma * robust sigma; <= 0: no clipping
  int max_iterations = 10;    // clipping rounds
  bool use_errors = true;     // weight by 1 / (err^2 + kErrorFloor^2)
  // Choose the number of harmonics (min_harmonics..n_harmonics) by the
  // Bayesian information criterion on the points the full fit keeps. The
  // minimum is 2 because R21 and phi21 are defined by the second harmonic.
  bool select_harmonics = true;
  int min_harmonics = 2;
};

struct FourierFit {
  bool ok = false;            // false: too few points; every other field is zero
  int n_harmonics = 0;        // harmonics actually fitted (reduced when points are few)
  double period = 0, t_ref = 0;
  std::vector<double> coeffs; // (2K + 1): [a0, c_1, s_1, ..., c_K, s_K], cos/sin basis (kernels/harmonic_math.h)
  double mean_mag = 0;        // a0
  double amplitude = 0;       // peak-to-peak of the model over one cycle
  double r21 = 0, phi21 = 0;  // catalog convention (see above); 0 when K < 2
  double phase_max_light = 0; // phase (cycles, from t_ref) of the model's minimum magnitude
  double r2 = 0;              // 1 - weighted RSS / weighted TSS, on kept points
  double rms = 0;             // unweighted RMS of kept residuals
  int n_used = 0, n_clipped = 0;
};

// t, m, err: (n) one band's observations (err may be empty). period > 0.
FourierFit fit_fourier(std::span<const double> t, std::span<const double> m, std::span<const double> err,
                       double period, double t_ref, const FourierFitOptions& options);

// The fit's model at `phase` (cycles from t_ref).
double fourier_model(const FourierFit& fit, double phase);

// A catalog period that is an unknown integer multiple of the true one (EROS-1
// as the RAMP challenge published it: each period times a hidden integer 1-9).
// A curve of frequency f fits a Fourier series at f and almost as well at its
// subharmonics f/2, f/3, ..., but not at other multiples of 1 / period. So:
// fit n_harmonics harmonics (weighted least squares, no clipping, every band
// its own coefficients) at each k / period, k = 1..max_multiple; take the k
// of least weighted residual, then its largest multiple whose residual is
// within `tolerance` of that least one (the best k may be a subharmonic).
struct PeriodMultipleOptions {
  int max_multiple = 10;
  int n_harmonics = 3;
  double tolerance = 1.05;
};

struct PeriodMultiple {
  int multiple = 1;          // the true period is period / multiple
  std::vector<double> chi2;  // (max_multiple) weighted residual sum of squares at k / period; empty: no band could be fitted
};

// Bands with fewer than 3 points per parameter are left out; none left: multiple 1.
PeriodMultiple find_period_multiple(const LightCurve& curve, double period, std::span<const int32_t> bands,
                                    const PeriodMultipleOptions& options);

// Catalog row of a light-curve star: `base` (id, period, type, ...) with the
// Fourier columns filled from fits of the selected bands. bands[0] fills the
// g columns and bands[1] the r columns (one band: it fills the r columns).
// R21 is capped at 10 (beyond, the fundamental is lost in the noise).
// R21/phi21 (no band) are the r-band values; T_0 is the time of maximum light
// of the r band; Num_* count the band's observations; R^2_* come from the fits.
// fits_out (optional): the fits behind the g and r columns (g first).
CatalogRow derive_catalog_row(const CatalogRow& base, const LightCurve& curve, std::span<const int32_t> bands,
                              const FourierFitOptions& options, FourierFit (*fits_out)[2] = nullptr);

// Folded light curve binned in phase, one channel per selected band.
// Phase 0 = maximum light of the band with the most observations; each band is
// normalised as (m - mean) / amplitude of its own fit; a bin's value is the
// median of the kept points in it, and an empty bin takes the fitted model's
// value at the bin centre. A band with too few points for a fit is all zeros.
// out: (bands.size(), n_bins). Returns the number of bins filled from the model.
int64_t folded_binned(const LightCurve& curve, double period, std::span<const int32_t> bands, int n_bins,
                      const FourierFitOptions& options, float* out);

}  // namespace varstar::data::repr
