#pragma once
// Harmonic (Fourier) synthesis shared by the CPU and CUDA kernels:
//   m(phi) = M + sum_{k=1..K} a_k cos(2 pi k phi) + b_k sin(2 pi k phi)
// and the thesis's mapping from catalog columns to coefficients
// (THESIS.md: M = rmag, A1 = Amp_r / 2, A2 = A1 * R21, phi1 = 0, phi2 = phi21,
// a_i = A_i cos(phi_i), b_i = A_i sin(phi_i)).
// Coefficient layout of one star: [M, a_1, b_1, a_2, b_2, ..., a_K, b_K]
// (2K + 1 doubles). Arithmetic is double precision on both backends and follows
// the operation order of the thesis scripts' NumPy expression
// (M + a1*cos(2*pi*phi) + b1*sin(2*pi*phi) + a2*cos(4*pi*phi) + ...), with the
// angle formed as (2*pi*k) * phi, so results match NumPy to a few ulp.
#include <math.h>

#include "kernels/common.h"

namespace varstar {

inline constexpr int kMaxHarmonics = 16;
inline constexpr double kTwoPi = 6.283185307179586;  // 2 * numpy.pi, exactly as NumPy forms it

// Number of doubles per star in the coefficient layout.
VARSTAR_HD int harmonic_coeff_stride(int n_harmonics) { return 2 * n_harmonics + 1; }

// m(phase) for one star. coeffs: (2K + 1).
VARSTAR_HD double harmonic_eval(const double* coeffs, int n_harmonics, double phase) {
  double m = coeffs[0];
  for (int k = 1; k <= n_harmonics; ++k) {
    const double angle = (kTwoPi * k) * phase;
    m = m + coeffs[2 * k - 1] * cos(angle);
    m = m + coeffs[2 * k] * sin(angle);
  }
  return m;
}

// The thesis's coefficients from catalog values (two harmonics).
// coeffs_out: (5) = [M, a1, b1, a2, b2].
VARSTAR_HD void thesis_harmonic_coefficients(double mean_mag, double amp, double r21, double phi21,
                                             double* coeffs_out) {
  const double a1_amp = 0.5 * amp;
  const double a2_amp = a1_amp * r21;
  coeffs_out[0] = mean_mag;
  coeffs_out[1] = a1_amp * cos(0.0);
  coeffs_out[2] = a1_amp * sin(0.0);
  coeffs_out[3] = a2_amp * cos(phi21);
  coeffs_out[4] = a2_amp * sin(phi21);
}

// numpy.linspace(start, stop, num)[i] (endpoint included): i * step + start,
// with the last point exactly `stop`, as NumPy computes it.
VARSTAR_HD double linspace_point(double start, double stop, int num, int i) {
  if (num == 1) return start;
  if (i == num - 1) return stop;
  const double step = (stop - start) / (num - 1);
  return i * step + start;
}

}  // namespace varstar
