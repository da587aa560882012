// CUDA max pooling: one thread per output; the backward pass gathers, per
// input element, the windows whose maximum it was (deterministic, no atomics).
#include "kernels/cuda/check.cuh"
#include "kernels/pool.h"
#include "kernels/pool_math.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void maxpool_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ argmax,
                                       PoolShape s) {
  const int64_t out_plane = s.out_h * s.out_w, total = s.planes * out_plane;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx / out_plane, o = idx % out_plane;
    maxpool_window(x + p * s.h * s.w, s, o / s.out_w, o % s.out_w, y[idx], argmax[idx]);
  }
}

__global__ void maxpool_backward_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                        float* __restrict__ dx, PoolShape s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w, total = s.planes * in_plane;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx / in_plane, e = idx % in_plane;
    const int64_t ih = e / s.w, iw = e % s.w;
    // Windows (oh, ow) that contain (ih, iw).
    const int64_t oh_lo = ih >= s.kh ? (ih - s.kh) / s.stride_h + 1 : 0;
    const int64_t oh_hi = ih / s.stride_h < s.out_h - 1 ? ih / s.stride_h : s.out_h - 1;
    const int64_t ow_lo = iw >= s.kw ? (iw - s.kw) / s.stride_w + 1 : 0;
    const int64_t ow_hi = iw / s.stride_w < s.out_w - 1 ? iw / s.stride_w : s.out_w - 1;
    float acc = 0.f;
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = p * out_plane + oh * s.out_w + ow;
        if (argmax[o] == e) acc += dy[o];
      }
    dx[idx] = acc;
  }
}
}  // namespace

void maxpool2d_forward(const float* x, float* y, int32_t* argmax, const PoolShape& s, cuda_stream stream) {
  const int64_t total = s.planes * s.out_h * s.out_w;
  if (total == 0) return;
  maxpool_forward_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(x, y, argmax, s);
  VARSTAR_CUDA_CHECK_LAUNCH("maxpool_forward");
}

void maxpool2d_backward(const float* dy, const int32_t* argmax, float* dx, const PoolShape& s, cuda_stream stream) {
  const int64_t total = s.planes * s.h * s.w;
  if (total == 0) return;
  maxpool_backward_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(dy, argmax, dx, s);
  VARSTAR_CUDA_CHECK_LAUNCH("maxpool_backward");
}

}  // namespace varstar::cuda
