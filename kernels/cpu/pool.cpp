// CPU max pooling, planes in parallel. The networks' windows (2 x 2 and
// 1 x 2, stride = kernel) run row by row without the general window loop,
// as SIMD loops without branches (docs/PERFORMANCE.md).
#include <algorithm>
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/select.h"
#include "kernels/pool.h"
#include "kernels/pool_math.h"

namespace varstar::cpu {

namespace {

bool tiled_by(const PoolShape& s, int64_t kh, int64_t kw) {
  return s.kh == kh && s.kw == kw && s.stride_h == kh && s.stride_w == kw;
}

// One output row of KH x 2 windows, stride = kernel: the same rule as
// maxpool_window (candidates in row-major order), straight-line and
// branch-free (select.h) so that it vectorises; GCC's branches in the scalar
// remainder, most of a 2-d row (12 or 6 windows), mispredicted on data.
template <int KH, class T>
void maxpool_row_x2(const T* plane, int64_t w, int64_t oh, int64_t out_w, T* y, int32_t* argmax) {
  const T* r0 = plane + oh * KH * w;
  const T* r1 = KH == 2 ? r0 + w : r0;
  const int32_t base = static_cast<int32_t>(oh * KH * w), below = static_cast<int32_t>(w);
#pragma omp simd
  for (int64_t ow = 0; ow < out_w; ++ow) {
    T best = r0[2 * ow];
    const T right = r0[2 * ow + 1];
    bool take = maxpool_takes(right, best);
    best = select(take, right, best);
    int32_t offset = select(take, 1, 0);
    if constexpr (KH == 2) {
      const T down = r1[2 * ow], diagonal = r1[2 * ow + 1];
      take = maxpool_takes(down, best);
      best = select(take, down, best);
      offset = select(take, below, offset);
      take = maxpool_takes(diagonal, best);
      best = select(take, diagonal, best);
      offset = select(take, below + 1, offset);
    }
    y[ow] = best;
    argmax[ow] = base + static_cast<int32_t>(2 * ow) + offset;
  }
}

}  // namespace

template <class T>
void maxpool2d_forward(const T* x, T* y, int32_t* argmax, const PoolShape& s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w;
  const bool x2 = tiled_by(s, 2, 2), x1 = tiled_by(s, 1, 2);
  parallel_for(s.planes, kParallelGrain / (in_plane + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* plane = x + p * in_plane;
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const int64_t o = p * out_plane + oh * s.out_w;
        if (x2) {
          maxpool_row_x2<2>(plane, s.w, oh, s.out_w, y + o, argmax + o);
        } else if (x1) {
          maxpool_row_x2<1>(plane, s.w, oh, s.out_w, y + o, argmax + o);
        } else {
          for (int64_t ow = 0; ow < s.out_w; ++ow) {
            T best;  // locals, not y[o]: kept in registers
            int32_t best_idx;
            maxpool_window(plane, s, oh, ow, best, best_idx);
            y[o + ow] = best;
            argmax[o + ow] = best_idx;
          }
        }
      }
    }
  });
}

template <class T>
void maxpool2d_backward(const T* dy, const int32_t* argmax, T* dx, const PoolShape& s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w;
  parallel_for(s.planes, kParallelGrain / (in_plane + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      T* plane = dx + p * in_plane;
      std::fill(plane, plane + in_plane, T(0));
      for (int64_t o = 0; o < out_plane; ++o) plane[argmax[p * out_plane + o]] += dy[p * out_plane + o];
    }
  });
}

template void maxpool2d_forward<float>(const float*, float*, int32_t*, const PoolShape&);
template void maxpool2d_forward<double>(const double*, double*, int32_t*, const PoolShape&);
template void maxpool2d_backward<float>(const float*, const int32_t*, float*, const PoolShape&);
template void maxpool2d_backward<double>(const double*, const int32_t*, double*, const PoolShape&);

}  // namespace varstar::cpu
