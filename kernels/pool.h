#pragma once
// Max pooling over (planes, H, W), planes = B*C; 1-d pooling is H = KH = 1.
// No padding; out = (in - kernel) / stride + 1 (floor, as PyTorch).
//   forward:  y (planes, OH, OW), argmax (planes, OH, OW): flat index into the plane
//   backward: dx (planes, H, W) = scatter-add of dy at argmax (dx is overwritten)
#include "kernels/common.h"

namespace varstar {
struct PoolShape {
  int64_t planes = 1, h = 1, w = 1;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  int64_t out_h = 1, out_w = 1;
};

// A whole geometry from the planes, their size, the window and the stride.
VARSTAR_HD PoolShape make_pool_shape(int64_t planes, int64_t h, int64_t w, int64_t kh, int64_t kw,
                                     int64_t stride_h, int64_t stride_w) {
  PoolShape s;
  s.planes = planes;
  s.h = h;
  s.w = w;
  s.kh = kh;
  s.kw = kw;
  s.stride_h = stride_h;
  s.stride_w = stride_w;
  s.out_h = (h - kh) / stride_h + 1;
  s.out_w = (w - kw) / stride_w + 1;
  return s;
}
}  // namespace varstar

namespace varstar::cpu {
template <class T> void maxpool2d_forward(const T* x, T* y, int32_t* argmax, const PoolShape& s);
template <class T> void maxpool2d_backward(const T* dy, const int32_t* argmax, T* dx, const PoolShape& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
void maxpool2d_forward(const float* x, float* y, int32_t* argmax, const PoolShape& s, cuda_stream stream);
void maxpool2d_backward(const float* dy, const int32_t* argmax, float* dx, const PoolShape& s, cuda_stream stream);
}  // namespace varstar::cuda
