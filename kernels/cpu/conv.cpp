// CPU convolution: im2col + GEMM (OpenBLAS), one sample per thread in the
// forward and input-gradient passes; the weight gradient is one large GEMM
// over the batch (all samples' columns side by side), or, for windows of at
// most kDirectWindow values (the networks' first layers), dot products of
// dy's rows with each sample's columns, output channels over threads; either
// way its result does not depend on the number of threads. Shapes that suit
// Winograd go to conv_winograd.cpp instead.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cpu/parallel.h"
#include "kernels/gemm.h"

namespace varstar::cpu {

namespace {

bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0;
}

// Grow-only scratch buffer per thread and purpose: the OpenMP pool threads
// persist, so a training step reuses the previous step's pages.
template <class T>
T* scratch(size_t n, int slot) {
  thread_local std::vector<T> buffers[3];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Windows of Cin * KH * KW up to this many values take the direct weight
// gradient: the GEMM's few columns (9 for a 3 x 3 window on one channel) run
// far below its peak (7.5 GFLOP/s for the 2D-CNN's first layer, 2 threads).
constexpr int64_t kDirectWindow = 32;

}  // namespace

template <class T>
void im2col(const T* x, const ConvShape& s, T* col, int64_t ld) {
  for (int64_t c = 0; c < s.c_in; ++c) {
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        T* dst = col + ((c * s.kh + i) * s.kw + j) * ld;
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          const int64_t ih = oh * s.stride_h - s.pad_h + i;
          T* row = dst + oh * s.out_w;
          if (ih < 0 || ih >= s.h) {
            std::fill(row, row + s.out_w, T(0));
            continue;
          }
          const T* src = x + (c * s.h + ih) * s.w;
          if (s.stride_w == 1) {
            // Contiguous run with zero padding on either side.
            const int64_t shift = j - s.pad_w;  // iw = ow + shift
            const int64_t lo = std::clamp<int64_t>(-shift, 0, s.out_w);
            const int64_t hi = std::clamp<int64_t>(s.w - shift, lo, s.out_w);
            std::fill(row, row + lo, T(0));
            std::memcpy(row + lo, src + lo + shift, sizeof(T) * (hi - lo));
            std::fill(row + hi, row + s.out_w, T(0));
          } else {
            for (int64_t ow = 0; ow < s.out_w; ++ow) {
              const int64_t iw = ow * s.stride_w - s.pad_w + j;
              row[ow] = (iw < 0 || iw >= s.w) ? T(0) : src[iw];
            }
          }
        }
      }
    }
  }
}

template <class T>
void col2im(const T* col, const ConvShape& s, T* dx) {
  std::fill(dx, dx + s.c_in * s.h * s.w, T(0));
  const int64_t np = s.out_pixels();
  for (int64_t c = 0; c < s.c_in; ++c) {
    for (int64_t i = 0; i < s.kh; ++i) {
      for (int64_t j = 0; j < s.kw; ++j) {
        const T* src_row = col + ((c * s.kh + i) * s.kw + j) * np;
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          const int64_t ih = oh * s.stride_h - s.pad_h + i;
          if (ih < 0 || ih >= s.h) continue;
          T* dst = dx + (c * s.h + ih) * s.w;
          const T* src = src_row + oh * s.out_w;
          for (int64_t ow = 0; ow < s.out_w; ++ow) {
            const int64_t iw = ow * s.stride_w - s.pad_w + j;
            if (iw >= 0 && iw < s.w) dst[iw] += src[ow];
          }
        }
      }
    }
  }
}

template <class T>
void conv2d_forward(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s) {
  if (winograd_suits(s)) return conv2d_forward_winograd(x, weight, bias, y, s);
  const int64_t nr = s.col_rows(), np = s.out_pixels();
  const bool pointwise = is_pointwise(s);
  parallel_for(s.batch, 1, [&](int64_t begin, int64_t end) {
    T* col = pointwise ? nullptr : scratch<T>(nr * np, 0);
    for (int64_t b = begin; b < end; ++b) {
      const T* xb = x + b * s.c_in * s.in_pixels();
      T* yb = y + b * s.c_out * np;
      const T* cols = xb;
      if (!pointwise) {
        im2col(xb, s, col, np);
        cols = col;
      }
      T beta = 0;
      if (bias != nullptr) {
        for (int64_t o = 0; o < s.c_out; ++o) std::fill(yb + o * np, yb + (o + 1) * np, bias[o]);
        beta = 1;
      }
      gemm<T>(false, false, s.c_out, np, nr, T(1), weight, nr, cols, np, beta, yb, np);
    }
  });
}

template <class T>
void conv2d_backward_input(const T* dy, const T* weight, T* dx, const ConvShape& s) {
  if (winograd_suits(s)) return conv2d_backward_input_winograd(dy, weight, dx, s);
  const int64_t nr = s.col_rows(), np = s.out_pixels();
  const bool pointwise = is_pointwise(s);
  parallel_for(s.batch, 1, [&](int64_t begin, int64_t end) {
    T* col = pointwise ? nullptr : scratch<T>(nr * np, 0);
    for (int64_t b = begin; b < end; ++b) {
      const T* dyb = dy + b * s.c_out * np;
      T* dxb = dx + b * s.c_in * s.in_pixels();
      // dcol (nr, np) = W^T (nr, Cout) x dy_b (Cout, np)
      T* dcol = pointwise ? dxb : col;
      gemm<T>(true, false, nr, np, s.c_out, T(1), weight, nr, dyb, np, T(0), dcol, np);
      if (!pointwise) col2im(dcol, s, dxb);
    }
  });
}

namespace {

// dW[o][r] = sum over samples b of dy_b[o] . col_b[r], db[o] = the sum of
// dy's rows: each thread takes whole output channels and every sample in
// order (its own copy of each sample's columns), so the sums do not depend
// on the thread count.
template <class T>
void weight_grad_direct(const T* dy, const T* x, T* dweight, T* dbias, const ConvShape& s) {
  const int64_t nr = s.col_rows(), np = s.out_pixels();
  parallel_for(s.c_out, 1, [&](int64_t begin, int64_t end) {
    T* col = scratch<T>(nr * np, 0);
    std::fill(dweight + begin * nr, dweight + end * nr, T(0));
    if (dbias != nullptr) std::fill(dbias + begin, dbias + end, T(0));
    for (int64_t b = 0; b < s.batch; ++b) {
      im2col(x + b * s.c_in * s.in_pixels(), s, col, np);
      for (int64_t o = begin; o < end; ++o) {
        const T* g = dy + (b * s.c_out + o) * np;
        for (int64_t r = 0; r < nr; ++r) {
          const T* c = col + r * np;
          T acc = 0;
#pragma omp simd reduction(+ : acc)
          for (int64_t q = 0; q < np; ++q) acc += g[q] * c[q];
          dweight[o * nr + r] += acc;
        }
        if (dbias != nullptr) {
          T acc = 0;
#pragma omp simd reduction(+ : acc)
          for (int64_t q = 0; q < np; ++q) acc += g[q];
          dbias[o] += acc;
        }
      }
    }
  });
}

}  // namespace

template <class T>
void conv2d_backward_weight(const T* dy, const T* x, T* dweight, T* dbias, const ConvShape& s) {
  if (winograd_suits(s)) return conv2d_backward_weight_winograd(dy, x, dweight, dbias, s);
  if (s.col_rows() <= kDirectWindow) return weight_grad_direct(dy, x, dweight, dbias, s);
  const int64_t nr = s.col_rows(), np = s.out_pixels();
  const int64_t total = s.batch * np;
  // Samples side by side: dy2 (Cout, B*P), cols (nr, B*P); dW = dy2 cols^T in
  // one GEMM whose reduction runs over the whole batch.
  T* dy2 = scratch<T>(s.c_out * total, 1);
  T* cols = scratch<T>(nr * total, 2);
  parallel_for(s.batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      im2col(x + b * s.c_in * s.in_pixels(), s, cols + b * np, total);
      for (int64_t o = 0; o < s.c_out; ++o)
        std::memcpy(dy2 + o * total + b * np, dy + (b * s.c_out + o) * np, sizeof(T) * np);
    }
  });
  gemm<T>(false, true, s.c_out, nr, total, T(1), dy2, total, cols, total, T(0), dweight, nr);
  if (dbias != nullptr) {
    for (int64_t o = 0; o < s.c_out; ++o) {
      const T* row = dy2 + o * total;
      T acc = 0;
      for (int64_t p = 0; p < total; ++p) acc += row[p];
      dbias[o] = acc;
    }
  }
}

template <class T>
void conv2d_backward(const T* dy, const T* x, const T* weight, T* dx, T* dweight, T* dbias, const ConvShape& s) {
  if (winograd_suits(s)) return conv2d_backward_winograd(dy, x, weight, dx, dweight, dbias, s);
  if (dx != nullptr) conv2d_backward_input(dy, weight, dx, s);
  if (dweight != nullptr) conv2d_backward_weight(dy, x, dweight, dbias, s);
}

template <class T>
void conv2d_forward_naive(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s) {
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t o = 0; o < s.c_out; ++o)
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          T acc = bias != nullptr ? bias[o] : T(0);
          for (int64_t c = 0; c < s.c_in; ++c)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j) {
                const int64_t ih = oh * s.stride_h - s.pad_h + i, iw = ow * s.stride_w - s.pad_w + j;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                acc += weight[((o * s.c_in + c) * s.kh + i) * s.kw + j] * x[((b * s.c_in + c) * s.h + ih) * s.w + iw];
              }
          y[((b * s.c_out + o) * s.out_h + oh) * s.out_w + ow] = acc;
        }
}

#define VARSTAR_INSTANTIATE(T)                                                                    \
  template void im2col<T>(const T*, const ConvShape&, T*, int64_t);                               \
  template void col2im<T>(const T*, const ConvShape&, T*);                                        \
  template void conv2d_forward<T>(const T*, const T*, const T*, T*, const ConvShape&);            \
  template void conv2d_backward_input<T>(const T*, const T*, T*, const ConvShape&);               \
  template void conv2d_backward_weight<T>(const T*, const T*, T*, T*, const ConvShape&);          \
  template void conv2d_backward<T>(const T*, const T*, const T*, T*, T*, T*, const ConvShape&);   \
  template void conv2d_forward_naive<T>(const T*, const T*, const T*, T*, const ConvShape&);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
