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

// A whole geometry from the input, kernel, padding and stride.
VARSTAR_HD ConvShape make_conv_shape(int64_t batch, int64_t c_in, int64_t c_out, int64_t h, int64_t w, int64_t kh,
                                     int64_t kw, int64_t pad_h, int64_t pad_w, int64_t stride_h = 1,
                                     int64_t stride_w = 1) {
  ConvShape s;
  s.batch = batch;
  s.c_in = c_in;
  s.c_out = c_out;
  s.h = h;
  s.w = w;
  s.kh = kh;
  s.kw = kw;
  s.pad_h = pad_h;
  s.pad_w = pad_w;
  s.stride_h = stride_h;
  s.stride_w = stride_w;
  s.out_h = conv_out_size(h, kh, stride_h, pad_h);
  s.out_w = conv_out_size(w, kw, stride_w, pad_w);
  return s;
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
