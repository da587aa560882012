#pragma once
// Batched harmonic synthesis: one Fourier series per star evaluated at a
// shared set of phases.
//   coeffs: (n_stars, 2K + 1) double, layout [M, a_1, b_1, ..., a_K, b_K]
//           (kernels/harmonic_math.h)
//   phase:  (n_points) double, in cycles (1.0 = one period)
//   out:    (n_stars, n_points) float, out[s, p] = m_s(phase[p])
// Preconditions: 0 <= n_harmonics <= kMaxHarmonics. Pointers of the CUDA twin
// are device pointers; it runs asynchronously on `stream`.
// Bench: bench/dmdt_vs_lightcurve.py covers dm-dt; synthesis is memory bound.
#include "kernels/common.h"
#include "kernels/harmonic_math.h"

namespace varstar::cpu {
void harmonic_synthesis_forward(const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                                int64_t n_points, float* out);
}  // namespace varstar::cpu

namespace varstar::cuda {
void harmonic_synthesis_forward(const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                                int64_t n_points, float* out, cuda_stream stream);
}  // namespace varstar::cuda
