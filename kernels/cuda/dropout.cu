// CUDA dropout: the same Philox mask as the CPU (kernels/dropout.h).
#include "kernels/cuda/check.cuh"
#include "kernels/dropout.h"

namespace varstar::cuda {

namespace {
__global__ void dropout_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p, uint64_t seed,
                               uint64_t offset) {
  const float scale = 1.f / (1.f - p);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = dropout_keep(seed, offset + i, p) ? x[i] * scale : 0.f;
}
}  // namespace

void dropout_apply(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset, cuda_stream stream) {
  if (n == 0) return;
  dropout_kernel<<<detail::grid_for(n, 256), 256, 0, stream>>>(x, y, n, p, seed, offset);
  VARSTAR_CUDA_CHECK_LAUNCH("dropout");
}

}  // namespace varstar::cuda
