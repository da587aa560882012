// CPU sum along one dimension. Rows (inner == 1) use a 4-way unrolled
// accumulation; otherwise whole inner rows are added, which vectorises.
#include "kernels/reduce.h"

#include <algorithm>

#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

template <class T>
void sum_dim(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    parallel_for(outer, kParallelGrain / (n + 1) + 1, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const T* row = x + o * n;
        T acc[4] = {0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 4 <= n; k += 4) {
          acc[0] += row[k];
          acc[1] += row[k + 1];
          acc[2] += row[k + 2];
          acc[3] += row[k + 3];
        }
        for (; k < n; ++k) acc[0] += row[k];
        out[o] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      }
    });
    return;
  }
  parallel_for(outer * inner, kParallelGrain / (n + 1) + 1, [&](int64_t begin, int64_t end) {
    // Split [begin, end) of the (outer, inner) outputs into per-outer pieces.
    int64_t idx = begin;
    while (idx < end) {
      const int64_t o = idx / inner;
      const int64_t i0 = idx % inner;
      const int64_t i1 = std::min(inner, i0 + (end - idx));
      T* dst = out + o * inner;
      for (int64_t i = i0; i < i1; ++i) dst[i] = T(0);
      for (int64_t k = 0; k < n; ++k) {
        const T* src = x + (o * n + k) * inner;
        for (int64_t i = i0; i < i1; ++i) dst[i] += src[i];
      }
      idx += i1 - i0;
    }
  });
}

template void sum_dim<float>(const float*, float*, int64_t, int64_t, int64_t);
template void sum_dim<double>(const double*, double*, int64_t, int64_t, int64_t);

}  // namespace varstar::cpu
