#pragma once
// Max over one pooling window, shared by the CPU and CUDA backends. The first
// maximum wins on ties; NaN propagates (as PyTorch).
#include "kernels/common.h"
#include "kernels/pool.h"

namespace varstar {

template <class T>
VARSTAR_HD void maxpool_window(const T* plane, const PoolShape& s, int64_t oh, int64_t ow, T& best, int32_t& best_idx) {
  const int64_t h0 = oh * s.stride_h, w0 = ow * s.stride_w;
  best_idx = static_cast<int32_t>(h0 * s.w + w0);
  best = plane[best_idx];
  for (int64_t i = 0; i < s.kh; ++i) {
    for (int64_t j = 0; j < s.kw; ++j) {
      const int32_t idx = static_cast<int32_t>((h0 + i) * s.w + w0 + j);
      const T v = plane[idx];
      if (v > best || v != v) {
        best = v;
        best_idx = idx;
        if (v != v) return;
      }
    }
  }
}

}  // namespace varstar
