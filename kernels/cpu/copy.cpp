// CPU memory-movement kernels: strided gather into contiguous memory, fill, cast.
#include "kernels/copy.h"

#include <cstring>

#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

template <class T>
void copy_strided(const T* src, const StridedGeometry& g, T* dst) {
  if (g.ndim == 0) {
    dst[0] = src[0];
    return;
  }
  const int last = g.ndim - 1;
  const int64_t inner = g.shape[last];
  const int64_t inner_stride = g.strides[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= g.shape[d];
  if (inner == 0 || rows == 0) return;
  parallel_for(rows, kParallelGrain / (inner + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t offset = 0, rem = r;
      for (int d = last - 1; d >= 0; --d) {
        offset += (rem % g.shape[d]) * g.strides[d];
        rem /= g.shape[d];
      }
      const T* s = src + offset;
      T* o = dst + r * inner;
      if (inner_stride == 1) {
        std::memcpy(o, s, sizeof(T) * inner);
      } else {
        for (int64_t i = 0; i < inner; ++i) o[i] = s[i * inner_stride];
      }
    }
  });
}

template <class T>
void scatter_strided(const T* src, const StridedGeometry& g, T* dst) {
  if (g.ndim == 0) {
    dst[0] = src[0];
    return;
  }
  const int last = g.ndim - 1;
  const int64_t inner = g.shape[last];
  const int64_t inner_stride = g.strides[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= g.shape[d];
  if (inner == 0 || rows == 0) return;
  for (int64_t r = 0; r < rows; ++r) {  // serial: a view may write one element from several rows
    int64_t offset = 0, rem = r;
    for (int d = last - 1; d >= 0; --d) {
      offset += (rem % g.shape[d]) * g.strides[d];
      rem /= g.shape[d];
    }
    T* o = dst + offset;
    const T* s = src + r * inner;
    for (int64_t i = 0; i < inner; ++i) o[i * inner_stride] = s[i];
  }
}

template <class T>
void fill(T* dst, int64_t n, T value) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dst[i] = value;
  });
}

template <class From, class To>
void cast(const From* src, To* dst, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dst[i] = static_cast<To>(src[i]);
  });
}

template void copy_strided<float>(const float*, const StridedGeometry&, float*);
template void copy_strided<double>(const double*, const StridedGeometry&, double*);
template void copy_strided<int32_t>(const int32_t*, const StridedGeometry&, int32_t*);
template void scatter_strided<float>(const float*, const StridedGeometry&, float*);
template void scatter_strided<double>(const double*, const StridedGeometry&, double*);
template void scatter_strided<int32_t>(const int32_t*, const StridedGeometry&, int32_t*);
template void fill<float>(float*, int64_t, float);
template void fill<double>(double*, int64_t, double);
template void fill<int32_t>(int32_t*, int64_t, int32_t);
template void cast<float, double>(const float*, double*, int64_t);
template void cast<double, float>(const double*, float*, int64_t);
template void cast<int32_t, float>(const int32_t*, float*, int64_t);
template void cast<int32_t, double>(const int32_t*, double*, int64_t);
template void cast<float, int32_t>(const float*, int32_t*, int64_t);
template void cast<double, int32_t>(const double*, int32_t*, int64_t);

}  // namespace varstar::cpu
