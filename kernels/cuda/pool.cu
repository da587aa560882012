// CUDA max pooling over (planes, H, W) (kernels/pool.h).
//   forward: one thread per output.
//   backward, deterministic (no atomics), bit-identical to the CPU:
//     stride == kernel (windows tile the plane) and planes * H * W < 2^31:
//       one thread per output writes its whole window of dx (dy at the argmax,
//       0 elsewhere; the last row and column of windows also zero the edge no
//       window reads); the networks' 2 x 2 and 1 x 2 windows are compile-time
//       constants;
//     overlapping or gapped windows, planes * H * W < 2^31: one thread per input
//       element gathers the windows that chose it, 32-bit index arithmetic;
//     larger: the same gather with 64-bit indices.
// Bench: bench_dev_maxpool (bench/dev/maxpool.cu) against the variants.
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

// dx[e] = sum of dy over the windows containing e (rows, then columns, ascending)
// whose argmax is e: the CPU's order of adds. I: int64_t or (sizes < 2^31) int32_t.
template <class I>
__device__ __forceinline__ float gather_input_grad(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                                   I base, I e, I w, const PoolShape& s) {
  const I ih = e / w, iw = e - ih * w, out_w = static_cast<I>(s.out_w);
  I oh_lo, oh_hi, ow_lo, ow_hi;
  maxpool_windows_containing<I>(ih, static_cast<I>(s.kh), static_cast<I>(s.stride_h), static_cast<I>(s.out_h),
                                oh_lo, oh_hi);
  maxpool_windows_containing<I>(iw, static_cast<I>(s.kw), static_cast<I>(s.stride_w), out_w, ow_lo, ow_hi);
  float acc = 0.f;
  for (I oh = oh_lo; oh <= oh_hi; ++oh)
    for (I ow = ow_lo; ow <= ow_hi; ++ow) {
      const I o = base + oh * out_w + ow;
      if (argmax[o] == e) acc += dy[o];
    }
  return acc;
}

// One thread per input element, 64-bit indices (any size).
__global__ void maxpool_backward_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                        float* __restrict__ dx, PoolShape s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w, total = s.planes * in_plane;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx / in_plane;
    dx[idx] = gather_input_grad<int64_t>(dy, argmax, p * out_plane, idx - p * in_plane, s.w, s);
  }
}

// As maxpool_backward_kernel in 32-bit index arithmetic. Precondition: planes * H * W < 2^31.
__global__ void maxpool_backward_idx32_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                              float* __restrict__ dx, PoolShape s) {
  const uint32_t in_plane = static_cast<uint32_t>(s.h * s.w), total = static_cast<uint32_t>(s.planes) * in_plane;
  const int32_t out_plane = static_cast<int32_t>(s.out_h * s.out_w);
  // idx < 2^31 and the stride <= 65535 * 32 * 256 < 2^31: idx + stride never wraps.
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t p = idx / in_plane;
    dx[idx] = gather_input_grad<int32_t>(dy, argmax, static_cast<int32_t>(p) * out_plane,
                                         static_cast<int32_t>(idx - p * in_plane), static_cast<int32_t>(s.w), s);
  }
}

// One thread per output writes the window of dx it owns: dy at its argmax, 0
// elsewhere. Preconditions: kh == stride_h, kw == stride_w; planes * H * W < 2^31.
template <int KH, int KW>
__global__ void maxpool_backward_scatter_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                                float* __restrict__ dx, PoolShape shape) {
  const PoolShape s = fixed_window<KH, KW>(shape);
  const uint32_t h = static_cast<uint32_t>(s.h), w = static_cast<uint32_t>(s.w);
  const uint32_t kh = static_cast<uint32_t>(s.kh), kw = static_cast<uint32_t>(s.kw);
  const uint32_t out_h = static_cast<uint32_t>(s.out_h), out_w = static_cast<uint32_t>(s.out_w);
  const uint32_t out_plane = out_h * out_w, total = static_cast<uint32_t>(s.planes) * out_plane;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t p = idx / out_plane, o = idx - p * out_plane, oh = o / out_w, ow = o - oh * out_w;
    uint32_t h0, h1, w0, w1;
    maxpool_tile_extent(oh, kh, out_h, h, h0, h1);
    maxpool_tile_extent(ow, kw, out_w, w, w0, w1);
    const uint32_t chosen = static_cast<uint32_t>(argmax[idx]);
    const float g = 0.f + dy[idx];  // the CPU's zero-then-add (-0 becomes +0)
    float* plane = dx + p * h * w;
    for (uint32_t r = h0; r < h1; ++r)
      for (uint32_t c = w0; c < w1; ++c) plane[r * w + c] = r * w + c == chosen ? g : 0.f;
  }
}

bool is_tile(const PoolShape& s, int64_t kh, int64_t kw) {
  return s.kh == kh && s.kw == kw && s.stride_h == kh && s.stride_w == kw;
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
  const bool fits_32bit = total < (int64_t{1} << 31);
  if (fits_32bit && s.kh == s.stride_h && s.kw == s.stride_w) {
    const unsigned grid = detail::grid_for(s.planes * s.out_h * s.out_w, kBlock);
    if (is_tile(s, 2, 2))
      maxpool_backward_scatter_kernel<2, 2><<<grid, kBlock, 0, stream>>>(dy, argmax, dx, s);
    else if (is_tile(s, 1, 2))
      maxpool_backward_scatter_kernel<1, 2><<<grid, kBlock, 0, stream>>>(dy, argmax, dx, s);
    else
      maxpool_backward_scatter_kernel<0, 0><<<grid, kBlock, 0, stream>>>(dy, argmax, dx, s);
    VARSTAR_CUDA_CHECK_LAUNCH("maxpool_backward_scatter");
  } else if (fits_32bit) {
    maxpool_backward_idx32_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(dy, argmax, dx, s);
    VARSTAR_CUDA_CHECK_LAUNCH("maxpool_backward_idx32");
  } else {
    maxpool_backward_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(dy, argmax, dx, s);
    VARSTAR_CUDA_CHECK_LAUNCH("maxpool_backward");
  }
}

}  // namespace varstar::cuda
