// CPU memory-movement kernels: strided gather into contiguous memory, fill, cast.
#include "kernels/copy.h"

#include <cstring>

#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

namespace {

// A strided view seen as rows of its last dimension.
struct RowGeometry {
  int last = 0;
  int64_t inner = 0, inner_stride = 0, rows = 0;
  explicit RowGeometry(const StridedGeometry& g) : last(g.ndim - 1), inner(g.shape[last]), inner_stride(g.strides[last]) {
    rows = 1;
    for (int d = 0; d < last; ++d) rows *= g.shape[d];
  }
  // Offset of row r's first element in the view.
  int64_t offset(const StridedGeometry& g, int64_t r) const {
    int64_t off = 0;
    for (int d = last - 1; d >= 0; --d) {
      off += (r % g.shape[d]) * g.strides[d];
      r /= g.shape[d];
    }
    return off;
  }
};

}  // namespace

template <class T>
void copy_strided(const T* src, const StridedGeometry& g, T* dst) {
  if (g.ndim == 0) {
    dst[0] = src[0];
    return;
  }
  const RowGeometry rg(g);
  if (rg.inner == 0 || rg.rows == 0) return;
  parallel_for(rg.rows, kParallelGrain / (rg.inner + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* s = src + rg.offset(g, r);
      T* o = dst + r * rg.inner;
      if (rg.inner_stride == 1) {
        std::memcpy(o, s, sizeof(T) * rg.inner);
      } else {
        for (int64_t i = 0; i < rg.inner; ++i) o[i] = s[i * rg.inner_stride];
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
  const RowGeometry rg(g);
  if (rg.inner == 0 || rg.rows == 0) return;
  for (int64_t r = 0; r < rg.rows; ++r) {  // serial: a view may write one element from several rows
    T* o = dst + rg.offset(g, r);
    const T* s = src + r * rg.inner;
    for (int64_t i = 0; i < rg.inner; ++i) o[i * rg.inner_stride] = s[i];
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
