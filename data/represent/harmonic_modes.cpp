// Harmonic-synthesis representations (docs/REPRESENTATIONS.md):
//   harmonic-thesis: the scripts' input, 359 points at phase = linspace(0, 2, 359)
//                    (two cycles), raw r magnitudes, coefficients from rmag,
//                    Amp_r, R21, phi21 exactly as reconstruct_light_curve_full_fourier.
//   harmonic-text:   the thesis text's input, 360 points over one cycle (phase i/360).
//   harmonic-shape:  ours: per band (r, g) the two-harmonic shape in the catalog's
//                    phase convention, phase 0 at maximum light, (m - mean) /
//                    peak-to-peak, 128 points over one cycle; period, amplitudes,
//                    colour and Fourier parameters as extra features.
// All synthesis runs through the shared batched kernel (kernels/harmonic.h), on
// the CPU or a GPU (device_compute.h); the coefficients (and harmonic-shape's
// search for maximum light and peak-to-peak) are computed on the host.
#include <algorithm>
#include <cmath>

#include "data/represent/device_compute.h"
#include "data/represent/features.h"
#include "data/represent/modes.h"
#include "engine/error.h"
#include "kernels/harmonic.h"

namespace varstar::data::repr {

namespace {

constexpr int kThesisPoints = 359;
constexpr int kTextPoints = 360;
constexpr int kShapePoints = 128;
constexpr int kShapeSearchGrid = 2048;  // phases searched for maximum light and peak-to-peak

// Shifts the phase origin of a cos/sin coefficient set by `delta` cycles:
// the result evaluated at phi equals the input evaluated at phi + delta.
void shift_phase(double* coeffs, int n_harmonics, double delta) {
  for (int k = 1; k <= n_harmonics; ++k) {
    const double theta = (kTwoPi * k) * delta;
    const double c = coeffs[2 * k - 1], s = coeffs[2 * k];
    coeffs[2 * k - 1] = c * std::cos(theta) + s * std::sin(theta);
    coeffs[2 * k] = s * std::cos(theta) - c * std::sin(theta);
  }
}

// Normalised shape coefficients of one band: mean removed, phase 0 at the
// model's minimum magnitude (maximum light), divided by the peak-to-peak.
// coeffs: (5) in/out. A flat model (peak-to-peak 0) becomes all zeros.
void normalise_shape(double* coeffs) {
  double lo = 1e300, hi = -1e300, at = 0;
  for (int g = 0; g < kShapeSearchGrid; ++g) {
    const double ph = static_cast<double>(g) / kShapeSearchGrid;
    const double v = harmonic_eval(coeffs, 2, ph);
    if (v < lo) {
      lo = v;
      at = ph;
    }
    hi = std::max(hi, v);
  }
  const double ptp = hi - lo;
  coeffs[0] = 0;
  if (!(ptp > 0) || !std::isfinite(ptp)) {
    std::fill(coeffs, coeffs + 5, 0.0);
    return;
  }
  shift_phase(coeffs, 2, at);
  for (int i = 1; i < 5; ++i) coeffs[i] /= ptp;
}

}  // namespace

void build_harmonic(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, Device device,
                    RepresentationBatch& out) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const bool shape = spec.mode == "harmonic-shape";
  const bool thesis = spec.mode == "harmonic-thesis";
  const int points = spec.n_points > 0 ? spec.n_points : (thesis ? kThesisPoints : shape ? kShapePoints : kTextPoints);
  VARSTAR_CHECK(points <= 1'000'000, "{}: n_points {} is unreasonably large", spec.mode, points);
  std::vector<double> phase(points);
  for (int i = 0; i < points; ++i)
    phase[i] = thesis ? linspace_point(0.0, 2.0, points, i) : static_cast<double>(i) / points;

  const int channels = shape ? 2 : 1;
  std::vector<double> coeffs(static_cast<size_t>(n) * channels * 5);
  for (int64_t s = 0; s < n; ++s) {
    const CatalogRow& row = rows[s];
    double* c = &coeffs[static_cast<size_t>(s) * channels * 5];
    if (!shape) {
      // Exactly the scripts' columns: rmag, Amp_r, R21, phi21 (not the band-specific ones).
      thesis_harmonic_coefficients(row.rmag, row.amp_r, row.r21, row.phi21, c);
      continue;
    }
    catalog_convention_coefficients(band_r(row), c);
    catalog_convention_coefficients(band_g(row), c + 5);
    normalise_shape(c);
    normalise_shape(c + 5);
  }
  out.sample_shape = {channels, points};
  out.values.assign(static_cast<size_t>(n) * channels * points, 0.0f);
  harmonic_synthesis(device, coeffs.data(), n * channels, 2, phase.data(), points, out.values.data());

  out.description["n_points"] = points;
  out.description["phase"] = thesis ? "linspace(0, 2, n_points): two cycles, endpoint included"
                                    : "i / n_points, i = 0..n_points-1: one cycle";
  if (shape) {
    out.description["channels"] = {"r", "g"};
    out.description["values"] = "(m - mean) / peak-to-peak of the two-harmonic model, phase 0 at maximum light";
    add_shape_features(rows, spec.magnitudes, out);
  } else {
    out.description["channels"] = {"r"};
    out.description["values"] = "raw r magnitudes: rmag + two harmonics (A1 = Amp_r/2, A2 = A1*R21, phi2 = phi21)";
  }
}

}  // namespace varstar::data::repr
