// CUDA GELU: grid-stride loops over the shared math of kernels/gelu_math.h.
// Memory-bound (8 bytes per element forward, 12 backward); the naive port is
// already at the bandwidth the loop can reach, so there is no bench/dev variant.
#include "kernels/cuda/check.cuh"
#include "kernels/gelu.h"
#include "kernels/gelu_math.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void gelu_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = gelu_value(x[i]);
}

__global__ void gelu_backward_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                     float* __restrict__ dx, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dx[i] = gelu_grad(x[i], dy[i]);
}
}  // namespace

void gelu_forward(const float* x, float* y, int64_t n, cuda_stream stream) {
  if (n == 0) return;
  gelu_forward_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(x, y, n);
  VARSTAR_CUDA_CHECK_LAUNCH("gelu_forward");
}

void gelu_backward(const float* x, const float* dy, float* dx, int64_t n, cuda_stream stream) {
  if (n == 0) return;
  gelu_backward_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(x, dy, dx, n);
  VARSTAR_CUDA_CHECK_LAUNCH("gelu_backward");
}

}  // namespace varstar::cuda
