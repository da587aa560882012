// CUDA memory-movement kernels: strided gather, fill, cast.
#include "kernels/copy.h"
#include "kernels/cuda/check.cuh"
#include "kernels/philox_math.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

template <class T>
__global__ void copy_strided_kernel(const T* __restrict__ src, StridedGeometry g, T* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    int64_t rem = i, offset = 0;
    for (int d = g.ndim - 1; d >= 0; --d) {
      offset += (rem % g.shape[d]) * g.strides[d];
      rem /= g.shape[d];
    }
    dst[i] = src[offset];
  }
}

template <class T>
__global__ void scatter_strided_kernel(const T* __restrict__ src, StridedGeometry g, T* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    int64_t rem = i, offset = 0;
    for (int d = g.ndim - 1; d >= 0; --d) {
      offset += (rem % g.shape[d]) * g.strides[d];
      rem /= g.shape[d];
    }
    dst[offset] = src[i];
  }
}

template <class T>
__global__ void fill_kernel(T* __restrict__ dst, int64_t n, T value) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = value;
}

__global__ void cast_kernel(const int32_t* __restrict__ src, float* __restrict__ dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = static_cast<float>(src[i]);
}
__global__ void fill_uniform_kernel(float* __restrict__ dst, int64_t n, uint64_t seed, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = lo + (hi - lo) * philox_uniform(seed, static_cast<uint64_t>(i));
}
}  // namespace

void fill_uniform(float* dst, int64_t n, uint64_t seed, float lo, float hi, cuda_stream stream) {
  if (n == 0) return;
  fill_uniform_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(dst, n, seed, lo, hi);
  VARSTAR_CUDA_CHECK_LAUNCH("fill_uniform");
}

void copy_strided(const void* src, size_t element_size, const StridedGeometry& g, void* dst, cuda_stream stream) {
  int64_t n = 1;
  for (int d = 0; d < g.ndim; ++d) n *= g.shape[d];
  if (n == 0) return;
  const unsigned grid = detail::grid_for(n, kBlock);
  if (element_size == 4) {
    copy_strided_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const uint32_t*>(src), g,
                                                     static_cast<uint32_t*>(dst), n);
  } else {
    copy_strided_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const uint64_t*>(src), g,
                                                     static_cast<uint64_t*>(dst), n);
  }
  VARSTAR_CUDA_CHECK_LAUNCH("copy_strided");
}

void scatter_strided(const void* src, size_t element_size, const StridedGeometry& g, void* dst, cuda_stream stream) {
  int64_t n = 1;
  for (int d = 0; d < g.ndim; ++d) n *= g.shape[d];
  if (n == 0) return;
  const unsigned grid = detail::grid_for(n, kBlock);
  if (element_size == 4) {
    scatter_strided_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const uint32_t*>(src), g,
                                                        static_cast<uint32_t*>(dst), n);
  } else {
    scatter_strided_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const uint64_t*>(src), g,
                                                        static_cast<uint64_t*>(dst), n);
  }
  VARSTAR_CUDA_CHECK_LAUNCH("scatter_strided");
}

void fill(float* dst, int64_t n, float value, cuda_stream stream) {
  if (n == 0) return;
  fill_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(dst, n, value);
  VARSTAR_CUDA_CHECK_LAUNCH("fill");
}

void fill(int32_t* dst, int64_t n, int32_t value, cuda_stream stream) {
  if (n == 0) return;
  fill_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(dst, n, value);
  VARSTAR_CUDA_CHECK_LAUNCH("fill");
}

void cast(const int32_t* src, float* dst, int64_t n, cuda_stream stream) {
  if (n == 0) return;
  cast_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(src, dst, n);
  VARSTAR_CUDA_CHECK_LAUNCH("cast");
}

}  // namespace varstar::cuda
