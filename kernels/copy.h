#pragma once
// Memory-movement kernels: strided -> contiguous copies (Tensor::contiguous),
// fills and dtype casts.
//   copy_strided: dst (contiguous, shape g.shape) = src viewed through g.strides.
#include "kernels/common.h"
#include "kernels/elementwise_math.h"

namespace varstar {

struct StridedGeometry {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};

}  // namespace varstar

namespace varstar::cpu {
template <class T> void copy_strided(const T* src, const StridedGeometry& g, T* dst);
// The inverse: dst viewed through g.strides = src (contiguous, shape g.shape).
template <class T> void scatter_strided(const T* src, const StridedGeometry& g, T* dst);
template <class T> void fill(T* dst, int64_t n, T value);
template <class From, class To> void cast(const From* src, To* dst, int64_t n);
}  // namespace varstar::cpu

namespace varstar::cuda {
// Element size 4 (float32, int32) or 8 bytes.
void copy_strided(const void* src, size_t element_size, const StridedGeometry& g, void* dst, cuda_stream stream);
void scatter_strided(const void* src, size_t element_size, const StridedGeometry& g, void* dst, cuda_stream stream);
void fill(float* dst, int64_t n, float value, cuda_stream stream);
void fill(int32_t* dst, int64_t n, int32_t value, cuda_stream stream);
void cast(const int32_t* src, float* dst, int64_t n, cuda_stream stream);
// dst[i] = lo + (hi - lo) * philox_uniform(seed, i): random data made on the
// device (benchmarks must not time zeros), the same numbers on every run.
void fill_uniform(float* dst, int64_t n, uint64_t seed, float lo, float hi, cuda_stream stream);
}  // namespace varstar::cuda
