// CUDA log-softmax and fused cross-entropy: one thread per row (class counts
// are small), and a single-block deterministic reduction for the loss. A
// target outside [0, C) never indexes memory: it makes the loss and its row of
// the gradient NaN (the host-side check in engine/ops/loss.cpp names it, when
// it runs; it cannot inside a captured CUDA graph).
#include "kernels/cuda/check.cuh"
#include "kernels/softmax.h"
#include "kernels/softmax_math.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void log_softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const float lse = row_logsumexp(x + i * c, c);
    for (int64_t k = 0; k < c; ++k) y[i * c + k] = x[i * c + k] - lse;
  }
}

__global__ void log_softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                            float* __restrict__ dx, int64_t n, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    float s = 0.f;
    for (int64_t k = 0; k < c; ++k) s += dy[i * c + k];
    for (int64_t k = 0; k < c; ++k) dx[i * c + k] = dy[i * c + k] - vs_exp(y[i * c + k]) * s;
  }
}

// One block: each thread handles rows i = tid, tid + blockDim, ...; partial
// sums reduce in shared memory in a fixed order.
__global__ void cross_entropy_forward_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                                             const float* __restrict__ weights, float* __restrict__ probs,
                                             float* __restrict__ loss_sum, float* __restrict__ weight_sum, int64_t n,
                                             int64_t c) {
  __shared__ float loss_part[kBlock], weight_part[kBlock];
  float loss = 0.f, total = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float* row = logits + i * c;
    const float lse = row_logsumexp(row, c);
    for (int64_t k = 0; k < c; ++k) probs[i * c + k] = vs_exp(row[k] - lse);
    const int32_t t = targets[i];
    if (t < 0 || t >= c) {
      loss += __int_as_float(0x7fc00000);  // NaN
      continue;
    }
    const float w = weights != nullptr ? weights[t] : 1.f;
    loss += w * (lse - row[t]);
    total += w;
  }
  loss_part[threadIdx.x] = loss;
  weight_part[threadIdx.x] = total;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      loss_part[threadIdx.x] += loss_part[threadIdx.x + stride];
      weight_part[threadIdx.x] += weight_part[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *loss_sum = loss_part[0];
    *weight_sum = weight_part[0];
  }
}

__global__ void cross_entropy_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                                              const float* __restrict__ weights, const float* __restrict__ dloss,
                                              const float* __restrict__ weight_sum, float* __restrict__ dlogits,
                                              int64_t n, int64_t c) {
  const float scale = *dloss / *weight_sum;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < n * c; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = idx / c, k = idx % c;
    const int32_t t = targets[i];
    if (t < 0 || t >= c) {
      dlogits[idx] = __int_as_float(0x7fc00000);  // NaN
      continue;
    }
    const float w = (weights != nullptr ? weights[t] : 1.f) * scale;
    dlogits[idx] = w * (probs[idx] - (k == t ? 1.f : 0.f));
  }
}
}  // namespace

void log_softmax_forward(const float* x, float* y, int64_t n, int64_t c, cuda_stream stream) {
  if (n == 0) return;
  log_softmax_forward_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(x, y, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("log_softmax_forward");
}

void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t n, int64_t c, cuda_stream stream) {
  if (n == 0) return;
  log_softmax_backward_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(y, dy, dx, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("log_softmax_backward");
}

void cross_entropy_forward(const float* logits, const int32_t* targets, const float* weights, float* probs,
                           float* loss_sum, float* weight_sum, int64_t n, int64_t c, cuda_stream stream) {
  cross_entropy_forward_kernel<<<1, kBlock, 0, stream>>>(logits, targets, weights, probs, loss_sum, weight_sum, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_forward");
}

void cross_entropy_backward(const float* probs, const int32_t* targets, const float* weights, const float* dloss,
                            const float* weight_sum, float* dlogits, int64_t n, int64_t c, cuda_stream stream) {
  cross_entropy_backward_kernel<<<detail::grid_for(n * c, kBlock), kBlock, 0, stream>>>(probs, targets, weights, dloss,
                                                                                         weight_sum, dlogits, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_backward");
}

}  // namespace varstar::cuda
