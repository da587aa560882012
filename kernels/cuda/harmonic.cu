// CUDA batched harmonic synthesis: one thread per (star, point), grid-stride,
// with the CPU's own harmonic_eval (kernels/harmonic_math.h, double precision),
// so the two backends agree to rounding of the final float conversion.
#include "kernels/cuda/check.cuh"
#include "kernels/harmonic.h"

namespace varstar::cuda {

namespace {

constexpr unsigned kBlock = 256;

__global__ void harmonic_synthesis_kernel(const double* __restrict__ coeffs, int64_t n_stars, int n_harmonics,
                                          const double* __restrict__ phase, int64_t n_points,
                                          float* __restrict__ out) {
  const int64_t total = n_stars * n_points;
  const int stride = harmonic_coeff_stride(n_harmonics);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t s = i / n_points;
    const int64_t p = i - s * n_points;
    out[i] = static_cast<float>(harmonic_eval(coeffs + s * stride, n_harmonics, phase[p]));
  }
}

}  // namespace

void harmonic_synthesis_forward(const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                                int64_t n_points, float* out, cuda_stream stream) {
  const int64_t total = n_stars * n_points;
  if (total == 0) return;
  harmonic_synthesis_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(coeffs, n_stars, n_harmonics,
                                                                                    phase, n_points, out);
  VARSTAR_CUDA_CHECK_LAUNCH("harmonic_synthesis_kernel");
}

}  // namespace varstar::cuda
