// CUDA convolution, GEMM path: the columns of all samples side by side
// (im2col, channel major), so each direction is one cuBLAS GEMM over the whole
// batch: forward y2 (Cout, B*P) = W x cols, then one pass to (B, Cout, P) with
// the bias; input gradient dcols = W^T x dy2, gathered back by col2im; weight
// gradient dW = dy2 x cols^T. The cuDNN path (conv_cudnn.cpp) times this path
// against its own algorithms per shape and direction and takes the faster;
// without cuDNN it is the only path, and the parity baseline. One GEMM over
// B*P columns tiles the GPU better than a GEMM per sample over P columns (the
// former forward, kept as bench_dev_conv's "batched"). Windows of at most
// kDirectMaxRows taps (the first layers) run direct kernels instead.
// Bench: bench_dev_conv; `varstar bench --device cuda --kernels`.
#include <algorithm>
#include <string>

#include "kernels/conv.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;
constexpr unsigned kPlaneBlock = 128;  // threads over the pixels of one (sample, row) or (sample, channel) plane
constexpr int64_t kMaxGridY = 65535;
constexpr int kDirectMaxRows = 32;  // Cin * KH * KW up to which the direct kernels run
constexpr int64_t kDirectGradBlocks = 512;  // blocks the direct weight gradient aims at

// The kernels below run over planes: blockIdx.x strides over the samples
// (swap_outer_kernel: its input's outer dimension), blockIdx.y over rows or
// channels (both grid-stride, both capped), and the threads over the pixels of
// the plane, so the index arithmetic per element is 32-bit and a division or
// two (check_plane_pixels checks the sizes).
dim3 plane_grid(int64_t x_planes, int64_t y_planes) {
  const int64_t cap = detail::max_grid_blocks();
  return dim3(static_cast<unsigned>(std::max<int64_t>(1, std::min(x_planes, cap))),
              static_cast<unsigned>(std::max<int64_t>(1, std::min({y_planes, cap, kMaxGridY}))));
}

void check_plane_pixels(const ConvShape& s) {
  constexpr int64_t kIntMax = 2147483647;
  if (s.in_pixels() > kIntMax || s.out_pixels() > kIntMax)
    detail::throw_error(("convolution: a plane of " + std::to_string(s.h) + " x " + std::to_string(s.w) +
                         " pixels (output " + std::to_string(s.out_h) + " x " + std::to_string(s.out_w) +
                         ") exceeds 2^31 - 1 elements")
                            .c_str());
}

// cols (rows, B, P) from x (B, Cin, H, W): all samples' columns side by side.
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, ConvShape s) {
  const int np = static_cast<int>(s.out_pixels()), out_w = static_cast<int>(s.out_w);
  const int h = static_cast<int>(s.h), w = static_cast<int>(s.w);
  for (int64_t r = blockIdx.y; r < s.col_rows(); r += gridDim.y) {
    const int j = static_cast<int>(r % s.kw), i = static_cast<int>((r / s.kw) % s.kh);
    const int64_t c = r / (s.kw * s.kh);
    for (int64_t b = blockIdx.x; b < s.batch; b += gridDim.x) {
      const float* plane = x + (b * s.c_in + c) * s.in_pixels();
      float* out = col + (r * s.batch + b) * np;
      for (int p = threadIdx.x; p < np; p += blockDim.x) {
        const int oh = p / out_w, ow = p - oh * out_w;
        const int ih = oh * static_cast<int>(s.stride_h) - static_cast<int>(s.pad_h) + i;
        const int iw = ow * static_cast<int>(s.stride_w) - static_cast<int>(s.pad_w) + j;
        out[p] = ih < 0 || ih >= h || iw < 0 || iw >= w ? 0.f : plane[ih * w + iw];
      }
    }
  }
}

// dx (B, Cin, H, W) gathered from dcol (rows, B, P): each input element sums
// the column entries that read it (taps in row order), so no atomics are needed.
__global__ void col2im_kernel(const float* __restrict__ dcol, float* __restrict__ dx, ConvShape s) {
  const int np = static_cast<int>(s.out_pixels()), w = static_cast<int>(s.w), n_in = static_cast<int>(s.in_pixels());
  const int kh = static_cast<int>(s.kh), kw = static_cast<int>(s.kw);
  const int stride_h = static_cast<int>(s.stride_h), stride_w = static_cast<int>(s.stride_w);
  for (int64_t c = blockIdx.y; c < s.c_in; c += gridDim.y) {
    for (int64_t b = blockIdx.x; b < s.batch; b += gridDim.x) {
      float* out = dx + (b * s.c_in + c) * n_in;
      for (int pix = threadIdx.x; pix < n_in; pix += blockDim.x) {
        const int ih = pix / w, iw = pix - ih * w;
        float acc = 0.f;
        for (int i = 0; i < kh; ++i) {
          const int oh_num = ih + static_cast<int>(s.pad_h) - i;
          if (oh_num < 0 || oh_num % stride_h != 0 || oh_num / stride_h >= s.out_h) continue;
          for (int j = 0; j < kw; ++j) {
            const int ow_num = iw + static_cast<int>(s.pad_w) - j;
            if (ow_num < 0 || ow_num % stride_w != 0 || ow_num / stride_w >= s.out_w) continue;
            const int64_t r = (c * kh + i) * kw + j;
            acc += dcol[(r * s.batch + b) * np + oh_num / stride_h * static_cast<int>(s.out_w) + ow_num / stride_w];
          }
        }
        out[pix] = acc;
      }
    }
  }
}

// y (B, Cout, P) += bias per channel.
__global__ void add_bias_kernel(float* __restrict__ y, const float* __restrict__ bias, int64_t batch, int64_t c,
                                int64_t np) {
  for (int64_t o = blockIdx.y; o < c; o += gridDim.y)
    for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
      float* plane = y + (b * c + o) * np;
      for (int64_t p = threadIdx.x; p < np; p += blockDim.x) plane[p] += bias[o];
    }
}

// out (inner, outer, P) from in (outer, inner, P): the two outer dimensions
// swapped, plus add[o] for in's outer index o when add is not null (a plain
// copy otherwise). blockIdx.x strides over outer, blockIdx.y over inner.
__global__ void swap_outer_kernel(const float* __restrict__ in, const float* __restrict__ add,
                                  float* __restrict__ out, int64_t outer, int64_t inner, int64_t np) {
  for (int64_t i = blockIdx.y; i < inner; i += gridDim.y)
    for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
      const float* src = in + (o * inner + i) * np;
      float* dst = out + (i * outer + o) * np;
      if (add != nullptr) {
        for (int64_t p = threadIdx.x; p < np; p += blockDim.x) dst[p] = src[p] + add[o];
      } else {
        for (int64_t p = threadIdx.x; p < np; p += blockDim.x) dst[p] = src[p];
      }
    }
}

// dy2 (Cout, B, P) from dy (B, Cout, P).
void to_channel_major(const float* dy, float* dy2, const ConvShape& s, cuda_stream stream) {
  swap_outer_kernel<<<plane_grid(s.batch, s.c_out), kPlaneBlock, 0, stream>>>(dy, nullptr, dy2, s.batch, s.c_out,
                                                                              s.out_pixels());
  VARSTAR_CUDA_CHECK_LAUNCH("conv dy channel major");
}

// ---- direct kernels for small windows (Cin * KH * KW <= kDirectMaxRows) ----
// The first layer of each network (one input channel, 3 or 3 x 3 taps) is a
// GEMM with a reduction of 3 or 9: too thin for cuBLAS, so its columns are
// read on the fly instead of written out.

// x (B, Cin, H, W) -> y (B, Cout, P): one thread per output, taps in row order.
__global__ void direct_forward_kernel(const float* __restrict__ x, const float* __restrict__ weight,
                                      const float* __restrict__ bias, float* __restrict__ y, ConvShape s) {
  const int np = static_cast<int>(s.out_pixels()), out_w = static_cast<int>(s.out_w);
  const int h = static_cast<int>(s.h), w = static_cast<int>(s.w), n_in = static_cast<int>(s.in_pixels());
  const int c_in = static_cast<int>(s.c_in), kh = static_cast<int>(s.kh), kw = static_cast<int>(s.kw);
  for (int64_t o = blockIdx.y; o < s.c_out; o += gridDim.y) {
    const float* wo = weight + o * s.col_rows();
    const float add = bias != nullptr ? bias[o] : 0.f;
    for (int64_t b = blockIdx.x; b < s.batch; b += gridDim.x) {
      const float* xb = x + b * s.c_in * n_in;
      float* out = y + (b * s.c_out + o) * np;
      for (int p = threadIdx.x; p < np; p += blockDim.x) {
        const int oh = p / out_w, ow = p - oh * out_w;
        const int ih0 = oh * static_cast<int>(s.stride_h) - static_cast<int>(s.pad_h);
        const int iw0 = ow * static_cast<int>(s.stride_w) - static_cast<int>(s.pad_w);
        float acc = 0.f;
        int r = 0;
        for (int c = 0; c < c_in; ++c)
          for (int i = 0; i < kh; ++i)
            for (int j = 0; j < kw; ++j, ++r) {
              const int ih = ih0 + i, iw = iw0 + j;
              if (ih >= 0 && ih < h && iw >= 0 && iw < w) acc += wo[r] * xb[c * n_in + ih * w + iw];
            }
        out[p] = acc + add;
      }
    }
  }
}

// Partial sums of dweight[o, r] = sum over (b, p) of dy[b, o, p] * cols[r, (b, p)]
// and of dbias[o] = sum of dy[b, o, p]: block (o, split) sums the samples of
// its split, each thread a fixed stride of (b, p) for every row, then a
// fixed-order tree per row; partial (splits, Cout, kDirectMaxRows + 1), the
// bias last. direct_weight_grad_sum_kernel adds the splits in order.
__global__ void direct_weight_grad_kernel(const float* __restrict__ dy, const float* __restrict__ x,
                                          float* __restrict__ partial_out, ConvShape s) {
  __shared__ float partial[kDirectMaxRows + 1][kBlock];  // the rows, then the bias
  __shared__ int row_c[kDirectMaxRows], row_i[kDirectMaxRows], row_j[kDirectMaxRows];
  const int np = static_cast<int>(s.out_pixels()), out_w = static_cast<int>(s.out_w);
  const int h = static_cast<int>(s.h), w = static_cast<int>(s.w), n_in = static_cast<int>(s.in_pixels());
  const int rows = static_cast<int>(s.col_rows());
  if (threadIdx.x < rows) {
    const int r = static_cast<int>(threadIdx.x), kw = static_cast<int>(s.kw), kh = static_cast<int>(s.kh);
    row_j[r] = r % kw;
    row_i[r] = (r / kw) % kh;
    row_c[r] = r / (kw * kh);
  }
  __syncthreads();
  const int64_t b_begin = s.batch * blockIdx.y / gridDim.y, b_end = s.batch * (blockIdx.y + 1) / gridDim.y;
  for (int64_t o = blockIdx.x; o < s.c_out; o += gridDim.x) {
    float acc[kDirectMaxRows], acc_bias = 0.f;  // fixed indices below: registers
#pragma unroll
    for (int r = 0; r < kDirectMaxRows; ++r) acc[r] = 0.f;
    for (int64_t q = b_begin * np + threadIdx.x; q < b_end * np; q += blockDim.x) {
      const int64_t b = q / np;
      const int p = static_cast<int>(q - b * np), oh = p / out_w, ow = p - oh * out_w;
      const float g = dy[(b * s.c_out + o) * np + p];
      const float* xb = x + b * s.c_in * n_in;
      const int ih0 = oh * static_cast<int>(s.stride_h) - static_cast<int>(s.pad_h);
      const int iw0 = ow * static_cast<int>(s.stride_w) - static_cast<int>(s.pad_w);
#pragma unroll
      for (int r = 0; r < kDirectMaxRows; ++r) {
        if (r >= rows) break;
        const int ih = ih0 + row_i[r], iw = iw0 + row_j[r];
        if (ih >= 0 && ih < h && iw >= 0 && iw < w) acc[r] += g * xb[row_c[r] * n_in + ih * w + iw];
      }
      acc_bias += g;
    }
#pragma unroll
    for (int r = 0; r < kDirectMaxRows; ++r) partial[r][threadIdx.x] = acc[r];
    partial[kDirectMaxRows][threadIdx.x] = acc_bias;
    __syncthreads();
    for (unsigned stride = kBlock / 2; stride > 0; stride >>= 1) {
      if (threadIdx.x < stride) {
        for (int r = 0; r < rows; ++r) partial[r][threadIdx.x] += partial[r][threadIdx.x + stride];
        partial[kDirectMaxRows][threadIdx.x] += partial[kDirectMaxRows][threadIdx.x + stride];
      }
      __syncthreads();
    }
    float* out = partial_out + (blockIdx.y * s.c_out + o) * (kDirectMaxRows + 1);
    if (threadIdx.x < rows) out[threadIdx.x] = partial[threadIdx.x][0];
    if (threadIdx.x == 0) out[kDirectMaxRows] = partial[kDirectMaxRows][0];
    __syncthreads();  // partial is rewritten for the next channel
  }
}

__global__ void direct_weight_grad_sum_kernel(const float* __restrict__ partial, float* __restrict__ dweight,
                                              float* __restrict__ dbias, int64_t c_out, int rows, int splits) {
  const int64_t total = c_out * (rows + 1);
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t o = idx / (rows + 1);
    const int r = static_cast<int>(idx - o * (rows + 1));
    const int slot = r == rows ? kDirectMaxRows : r;
    float sum = 0.f;
    for (int k = 0; k < splits; ++k) sum += partial[(k * c_out + o) * (kDirectMaxRows + 1) + slot];
    if (r < rows) dweight[o * rows + r] = sum;
    else if (dbias != nullptr) dbias[o] = sum;
  }
}

// dbias[o] = sum over (B, P) of dy; one block per channel, fixed-order tree.
__global__ void bias_grad_kernel(const float* __restrict__ dy, float* __restrict__ dbias, int64_t batch, int64_t c,
                                 int64_t np) {
  const int64_t o = blockIdx.x;
  float acc = 0.f;
  for (int64_t b = 0; b < batch; ++b) {
    const float* row = dy + (b * c + o) * np;
    for (int64_t p = threadIdx.x; p < np; p += blockDim.x) acc += row[p];
  }
  __shared__ float partial[kBlock];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned stride = kBlock / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) dbias[o] = partial[0];
}

}  // namespace

void conv2d_add_bias(float* y, const float* bias, const ConvShape& s, cuda_stream stream) {
  const int64_t total = s.batch * s.c_out * s.out_pixels();
  if (total == 0) return;
  add_bias_kernel<<<plane_grid(s.batch, s.c_out), kPlaneBlock, 0, stream>>>(y, bias, s.batch, s.c_out,
                                                                            s.out_pixels());
  VARSTAR_CUDA_CHECK_LAUNCH("conv add_bias");
}

void conv2d_bias_backward(const float* dy, float* dbias, const ConvShape& s, cuda_stream stream) {
  if (s.c_out == 0) return;
  bias_grad_kernel<<<static_cast<unsigned>(s.c_out), kBlock, 0, stream>>>(dy, dbias, s.batch, s.c_out,
                                                                          s.out_pixels());
  VARSTAR_CUDA_CHECK_LAUNCH("conv bias_grad");
}

void conv2d_forward_im2col(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                           cuda_stream stream) {
  const int64_t rows = s.col_rows(), columns = s.batch * s.out_pixels();
  if (s.c_out * columns == 0) return;
  check_plane_pixels(s);
  if (rows <= kDirectMaxRows) {
    direct_forward_kernel<<<plane_grid(s.batch, s.c_out), kPlaneBlock, 0, stream>>>(x, weight, bias, y, s);
    VARSTAR_CUDA_CHECK_LAUNCH("conv direct forward");
    return;
  }
  Workspace cols(rows * columns, stream), y2(s.c_out * columns, stream);
  im2col_kernel<<<plane_grid(s.batch, rows), kPlaneBlock, 0, stream>>>(x, cols.data(), s);
  VARSTAR_CUDA_CHECK_LAUNCH("im2col(channel major)");
  // y2 (Cout, B*P) = W (Cout, rows) x cols (rows, B*P)
  gemm(false, false, s.c_out, columns, rows, 1.f, weight, rows, cols.data(), columns, 0.f, y2.data(), columns, stream);
  // y (B, Cout, P) from y2 (Cout, B, P), with the bias
  swap_outer_kernel<<<plane_grid(s.c_out, s.batch), kPlaneBlock, 0, stream>>>(y2.data(), bias, y, s.c_out, s.batch,
                                                                              s.out_pixels());
  VARSTAR_CUDA_CHECK_LAUNCH("conv batch major");
}

void conv2d_backward_input_im2col(const float* dy, const float* weight, float* dx, const ConvShape& s,
                                  cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), columns = s.batch * np;
  const int64_t total = s.batch * s.c_in * s.in_pixels();
  if (total == 0) return;
  Workspace dy2(s.c_out * columns, stream), dcol(rows * columns, stream);
  if (s.c_out * columns > 0) to_channel_major(dy, dy2.data(), s, stream);
  // dcol (rows, B*P) = W^T (rows, Cout) x dy2 (Cout, B*P)
  gemm(true, false, rows, columns, s.c_out, 1.f, weight, rows, dy2.data(), columns, 0.f, dcol.data(), columns, stream);
  check_plane_pixels(s);
  col2im_kernel<<<plane_grid(s.batch, s.c_in), kPlaneBlock, 0, stream>>>(dcol.data(), dx, s);
  VARSTAR_CUDA_CHECK_LAUNCH("col2im");
}

void conv2d_backward_weight_im2col(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                                   cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * np;
  if (rows <= kDirectMaxRows && s.c_out > 0 && s.batch > 0) {
    check_plane_pixels(s);
    // Splits of the batch: enough blocks for the GPU (~512) when there are few channels.
    const auto splits = static_cast<int>(std::min<int64_t>(s.batch, (kDirectGradBlocks + s.c_out - 1) / s.c_out));
    Workspace partial(splits * s.c_out * (kDirectMaxRows + 1), stream);
    const dim3 grid(static_cast<unsigned>(std::min(s.c_out, detail::max_grid_blocks())), static_cast<unsigned>(splits));
    direct_weight_grad_kernel<<<grid, kBlock, 0, stream>>>(dy, x, partial.data(), s);
    VARSTAR_CUDA_CHECK_LAUNCH("conv direct weight gradient");
    direct_weight_grad_sum_kernel<<<detail::grid_for(s.c_out * (rows + 1), kBlock), kBlock, 0, stream>>>(
        partial.data(), dweight, dbias, s.c_out, static_cast<int>(rows), splits);
    VARSTAR_CUDA_CHECK_LAUNCH("conv direct weight gradient sum");
    return;
  }
  // Samples side by side: cols (rows, B*P), dy2 (Cout, B*P); dW = dy2 cols^T.
  Workspace cols(rows * total, stream);
  if (rows * total > 0) {
    check_plane_pixels(s);
    im2col_kernel<<<plane_grid(s.batch, rows), kPlaneBlock, 0, stream>>>(x, cols.data(), s);
    VARSTAR_CUDA_CHECK_LAUNCH("im2col(channel major)");
  }
  const float* dy2 = dy;
  Workspace dy_t(s.batch > 1 ? s.c_out * total : 0, stream);
  if (s.batch > 1 && s.c_out * total > 0) {
    to_channel_major(dy, dy_t.data(), s, stream);
    dy2 = dy_t.data();
  }
  gemm(false, true, s.c_out, rows, total, 1.f, dy2, total, cols.data(), total, 0.f, dweight, rows, stream);
  if (dbias != nullptr) sum_dim(dy2, dbias, s.c_out, total, 1, stream);
}

}  // namespace varstar::cuda
