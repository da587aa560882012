#pragma once
// Convolution geometry shared by the CPU and CUDA backends. A 1-d convolution
// is the 2-d one with h = kh = 1, stride_h = 1, pad_h = 0.
// Layouts: x (B, Cin, H, W), weight (Cout, Cin, KH, KW), y (B, Cout, OH, OW).
// im2col column matrix of one sample: (Cin*KH*KW, OH*OW), row r = (c*KH + i)*KW + j.
#include "kernels/common.h"

namespace varstar {

struct ConvShape {
  int64_t batch = 1, c_in = 1, h = 1, w = 1;
  int64_t c_out = 1, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  int64_t out_h = 1, out_w = 1;

  VARSTAR_HD int64_t col_rows() const { return c_in * kh * kw; }
  VARSTAR_HD int64_t out_pixels() const { return out_h * out_w; }
  VARSTAR_HD int64_t in_pixels() const { return h * w; }
};

// Output length of a convolution or pooling window along one dimension.
VARSTAR_HD int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

// The input element read by column-matrix entry (row, pixel); -1 for padding.
VARSTAR_HD int64_t im2col_source(const ConvShape& s, int64_t row, int64_t pixel) {
  const int64_t j = row % s.kw;
  const int64_t i = (row / s.kw) % s.kh;
  const int64_t c = row / (s.kw * s.kh);
  const int64_t oh = pixel / s.out_w, ow = pixel % s.out_w;
  const int64_t ih = oh * s.stride_h - s.pad_h + i;
  const int64_t iw = ow * s.stride_w - s.pad_w + j;
  if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return -1;
  return (c * s.h + ih) * s.w + iw;
}

}  // namespace varstar
