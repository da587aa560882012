// CUDA batch normalisation: one block per channel for the statistics and the
// gradient sums (fixed-order shared-memory reductions, so results repeat).
#include "kernels/batch_norm.h"
#include "kernels/cuda/check.cuh"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__device__ float block_sum(float v, float* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) scratch[threadIdx.x] += scratch[threadIdx.x + stride];
    __syncthreads();
  }
  const float total = scratch[0];
  __syncthreads();
  return total;
}

__device__ int64_t element(const NormShape& s, int64_t ch, int64_t k) {
  return ((k / s.s) * s.c + ch) * s.s + k % s.s;  // k runs over (N, S)
}

__global__ void forward_train_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                                     const float* __restrict__ beta, float* __restrict__ y, float* __restrict__ mean,
                                     float* __restrict__ invstd, float eps, NormShape s) {
  __shared__ float scratch[kBlock];
  const int64_t ch = blockIdx.x, count = s.n * s.s;
  float sum = 0.f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) sum += x[element(s, ch, k)];
  const float m = block_sum(sum, scratch) / static_cast<float>(count);
  float sq = 0.f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const float d = x[element(s, ch, k)] - m;
    sq += d * d;
  }
  const float var = block_sum(sq, scratch) / static_cast<float>(count);
  const float is = rsqrtf(var + eps);
  if (threadIdx.x == 0) {
    mean[ch] = m;
    invstd[ch] = is;
  }
  const float g = gamma != nullptr ? gamma[ch] : 1.f, b = beta != nullptr ? beta[ch] : 0.f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = element(s, ch, k);
    y[e] = g * (x[e] - m) * is + b;
  }
}

__global__ void forward_eval_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                                    const float* __restrict__ beta, const float* __restrict__ running_mean,
                                    const float* __restrict__ running_var, float* __restrict__ y, float eps,
                                    NormShape s) {
  const int64_t total = s.n * s.c * s.s;
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < total; e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t ch = (e / s.s) % s.c;
    const float g = gamma != nullptr ? gamma[ch] : 1.f, b = beta != nullptr ? beta[ch] : 0.f;
    y[e] = g * (x[e] - running_mean[ch]) * rsqrtf(running_var[ch] + eps) + b;
  }
}

__global__ void backward_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                const float* __restrict__ gamma, const float* __restrict__ mean,
                                const float* __restrict__ invstd, bool training, float* __restrict__ dx,
                                float* __restrict__ dgamma, float* __restrict__ dbeta, NormShape s) {
  __shared__ float scratch[kBlock];
  const int64_t ch = blockIdx.x, count = s.n * s.s;
  const float m = mean[ch], is = invstd[ch];
  float sdy = 0.f, sdx = 0.f;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = element(s, ch, k);
    sdy += dy[e];
    sdx += dy[e] * (x[e] - m) * is;
  }
  const float sum_dy = block_sum(sdy, scratch);
  const float sum_dy_xhat = block_sum(sdx, scratch);
  if (threadIdx.x == 0) {
    if (dgamma != nullptr) dgamma[ch] = sum_dy_xhat;
    if (dbeta != nullptr) dbeta[ch] = sum_dy;
  }
  if (dx == nullptr) return;
  const float g = gamma != nullptr ? gamma[ch] : 1.f;
  const float n = static_cast<float>(count);
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const int64_t e = element(s, ch, k);
    if (training) {
      const float xhat = (x[e] - m) * is;
      dx[e] = g * is / n * (n * dy[e] - sum_dy - xhat * sum_dy_xhat);
    } else {
      dx[e] = g * is * dy[e];
    }
  }
}
}  // namespace

void batch_norm_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                              float* invstd, float eps, const NormShape& s, cuda_stream stream) {
  if (s.c == 0) return;
  forward_train_kernel<<<static_cast<unsigned>(s.c), kBlock, 0, stream>>>(x, gamma, beta, y, mean, invstd, eps, s);
  VARSTAR_CUDA_CHECK_LAUNCH("batch_norm_forward_train");
}

void batch_norm_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                             const float* running_var, float* y, float eps, const NormShape& s, cuda_stream stream) {
  const int64_t total = s.n * s.c * s.s;
  if (total == 0) return;
  forward_eval_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(x, gamma, beta, running_mean,
                                                                              running_var, y, eps, s);
  VARSTAR_CUDA_CHECK_LAUNCH("batch_norm_forward_eval");
}

void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean, const float* invstd,
                         bool training, float* dx, float* dgamma, float* dbeta, const NormShape& s,
                         cuda_stream stream) {
  if (s.c == 0) return;
  backward_kernel<<<static_cast<unsigned>(s.c), kBlock, 0, stream>>>(dy, x, gamma, mean, invstd, training, dx, dgamma,
                                                                     dbeta, s);
  VARSTAR_CUDA_CHECK_LAUNCH("batch_norm_backward");
}

}  // namespace varstar::cuda
