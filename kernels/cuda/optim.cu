// CUDA optimizer steps, one launch per parameter tensor (a multi-tensor
// fused launch is the CUDA backend issue's next step).
#include "kernels/cuda/check.cuh"
#include "kernels/optim.h"

namespace varstar::cuda {

namespace {
__global__ void adam_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                            float* __restrict__ v, int64_t n, AdamParams a) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    adam_update(p[i], g[i], m[i], v[i], a);
}

__global__ void sgd_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ buf, int64_t n,
                           SgdParams s) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    float unused = 0.f;
    sgd_update(p[i], g[i], buf != nullptr ? buf[i] : unused, s);
  }
}
}  // namespace

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a, cuda_stream stream) {
  if (n == 0) return;
  adam_kernel<<<detail::grid_for(n, 256), 256, 0, stream>>>(p, g, m, v, n, a);
  VARSTAR_CUDA_CHECK_LAUNCH("adam_step");
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, const SgdParams& s, cuda_stream stream) {
  if (n == 0) return;
  sgd_kernel<<<detail::grid_for(n, 256), 256, 0, stream>>>(p, g, buf, n, s);
  VARSTAR_CUDA_CHECK_LAUNCH("sgd_step");
}

}  // namespace varstar::cuda
