// CPU max pooling, planes in parallel.
#include <algorithm>

#include "kernels/cpu/parallel.h"
#include "kernels/pool.h"
#include "kernels/pool_math.h"

namespace varstar::cpu {

template <class T>
void maxpool2d_forward(const T* x, T* y, int32_t* argmax, const PoolShape& s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w;
  parallel_for(s.planes, kParallelGrain / (in_plane + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* plane = x + p * in_plane;
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t o = p * out_plane + oh * s.out_w + ow;
          maxpool_window(plane, s, oh, ow, y[o], argmax[o]);
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
