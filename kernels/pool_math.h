#pragma once
// Max pooling arithmetic shared by the CPU and CUDA backends: the max over one
// window (the first maximum wins on ties; NaN propagates, as PyTorch), and the
// window geometry the CUDA backward kernels index with.
#include "kernels/common.h"
#include "kernels/pool.h"

namespace varstar {

// Whether v takes the place of the window's best so far: a larger value or
// the first NaN; nothing replaces a NaN. Bitwise, so that loops over windows
// compile to blends rather than branches on the data.
template <class T>
VARSTAR_HD bool maxpool_takes(T v, T best) {
  return ((v > best) | (v != v)) & (best == best);
}

template <class T>
VARSTAR_HD void maxpool_window(const T* plane, const PoolShape& s, int64_t oh, int64_t ow, T& best, int32_t& best_idx) {
  const int64_t h0 = oh * s.stride_h, w0 = ow * s.stride_w;
  best_idx = static_cast<int32_t>(h0 * s.w + w0);
  best = plane[best_idx];
  for (int64_t i = 0; i < s.kh; ++i) {
    for (int64_t j = 0; j < s.kw; ++j) {
      const int32_t idx = static_cast<int32_t>((h0 + i) * s.w + w0 + j);
      const T v = plane[idx];
      const bool take = maxpool_takes(v, best);
      best = take ? v : best;
      best_idx = take ? idx : best_idx;
    }
  }
}

// Along one axis (input size implied, kernel k, stride, out windows): the
// windows lo..hi that contain input position i (none when lo > hi). I is the
// index type (int64_t, or int32_t where the sizes fit).
template <class I>
VARSTAR_HD void maxpool_windows_containing(I i, I k, I stride, I out, I& lo, I& hi) {
  lo = i >= k ? (i - k) / stride + 1 : 0;
  hi = i / stride < out - 1 ? i / stride : out - 1;
}

// Along one axis with stride == kernel k (windows tile the input): the input
// positions [begin, end) that window o owns; the last window also owns the
// uncovered edge (size - out k < k positions no window reads).
template <class I>
VARSTAR_HD void maxpool_tile_extent(I o, I k, I out, I size, I& begin, I& end) {
  begin = o * k;
  end = o + 1 == out ? size : begin + k;
}

// KH, KW > 0: s with a KH x KW window and stride = kernel, as compile-time
// constants the compiler can unroll and divide by; 0, 0: s unchanged.
template <int KH, int KW>
VARSTAR_HD PoolShape fixed_window(PoolShape s) {
  if constexpr (KH > 0) {
    s.kh = KH;
    s.kw = KW;
    s.stride_h = KH;
    s.stride_w = KW;
  }
  return s;
}

}  // namespace varstar
