// CPU batched harmonic synthesis: stars split over OpenMP threads, each star's
// points evaluated with the shared harmonic_eval (kernels/harmonic_math.h).
#include "kernels/harmonic.h"

#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

void harmonic_synthesis_forward(const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                                int64_t n_points, float* out) {
  const int stride = harmonic_coeff_stride(n_harmonics);
  const int64_t grain = n_points > 0 ? kParallelGrain / (n_points * (n_harmonics + 1)) + 1 : 1;
  parallel_for(n_stars, grain, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const double* c = coeffs + s * stride;
      float* o = out + s * n_points;
      for (int64_t p = 0; p < n_points; ++p) o[p] = static_cast<float>(harmonic_eval(c, n_harmonics, phase[p]));
    }
  });
}

}  // namespace varstar::cpu
