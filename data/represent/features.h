#pragma once
// Per-star helpers shared by the representation modes: the band-wise Fourier
// description of a catalog row, the extra feature vector of the harmonic-shape
// and folded modes, and matching light curves to rows.
#include <array>
#include <span>
#include <string>
#include <vector>

#include "data/represent/represent.h"
#include "data/types.h"

namespace varstar::data::repr {

// One band of a catalog row: mean magnitude, peak-to-peak amplitude, R21, phi21.
struct BandFourier {
  double mean_mag = 0, amp = 0, r21 = 0, phi21 = 0;
};
BandFourier band_r(const CatalogRow& row);  // rmag, Amp_r, R21_r (else R21), phi21_r (else phi21)
BandFourier band_g(const CatalogRow& row);  // gmag, Amp_g, R21_g, phi21_g

// Catalog-convention coefficients of the two-harmonic model, with phase 0 at
// the fundamental's maximum: m = M + A1 cos(2 pi phi) + A2 cos(4 pi phi + phi21)
// (A1 = amp / 2, A2 = A1 * R21), i.e. a2 = A2 cos(phi21), b2 = -A2 sin(phi21).
// coeffs_out: (5).
void catalog_convention_coefficients(const BandFourier& band, double* coeffs_out);

// Names and values of the extra features (harmonic-shape and folded modes);
// with `magnitudes`, also the mean apparent magnitudes of both bands
// (mean_mag_r, mean_mag_g), which describe the star only when every star
// shares one distance (one galaxy or cluster, e.g. EROS-1 LMC).
std::vector<std::string> shape_feature_names(bool magnitudes = false);
// out: (shape_feature_names(magnitudes).size())
void shape_features(const CatalogRow& row, float* out, bool magnitudes = false);
// Sets batch.feature_names and batch.features: shape_features of every row.
void add_shape_features(const std::vector<CatalogRow>& rows, bool magnitudes, RepresentationBatch& batch);

// Appends one feature per band in `bands`, "skew_<band name>": the sample
// skewness of the band's magnitudes in the row's curve (curve_index[row] into
// curves.curves); 0 without a curve, with fewer than 3 points or no spread.
void append_skewness(const LightCurveSet& curves, std::span<const int64_t> curve_index,
                     std::span<const int32_t> bands, RepresentationBatch& batch);

// Appends six features per band in `bands`, measured on the row's curve
// (curve_index[row] into curves.curves) at the row's period (rows[s].period):
//   r31_<b>, cos_phi31_<b>, sin_phi31_<b>: A3 / A1 and phi31 = (phi3 - 3 phi1) mod 2 pi
//     of a 4-harmonic fit (fit_fourier with sigma clipping at `clip_sigma`, no
//     harmonic selection; 0 when the fit has fewer than 3 harmonics);
//   fit_residual_<b>: sqrt(1 - R^2) of that fit (0: the model explains the curve);
//   std_<b>: standard deviation of the band's magnitudes;
//   range90_<b>: 95th minus 5th percentile of them (linear interpolation).
// All 0 for a band without a curve or a fit.
std::vector<std::string> curve_feature_names(std::span<const std::string> band_names);
void append_curve_features(const LightCurveSet& curves, std::span<const int64_t> curve_index,
                           std::span<const int32_t> bands, const std::vector<CatalogRow>& rows, double clip_sigma,
                           RepresentationBatch& batch);

// Index into curves->curves of each row (by id), or -1 when absent.
std::vector<int64_t> match_curves(const std::vector<CatalogRow>& rows, const LightCurveSet& curves);
// Band indices (into curves.band_names) the spec selects; throws when a named band is absent.
std::vector<int32_t> select_bands(const RepresentationSpec& spec, const LightCurveSet& curves);

// True when a row carries no Fourier quantities (light-curve-only star).
inline bool row_lacks_fourier(const CatalogRow& row) { return row.amp_g == 0 && row.amp_r == 0; }

}  // namespace varstar::data::repr
