// CUDA convolution, im2col path: the forward pass and the input gradient run
// as cuBLAS strided-batched GEMMs over a whole-batch column buffer (the weight
// shared across the batch); the weight gradient is one GEMM whose reduction
// runs over the whole batch (columns of all samples side by side, as the CPU
// path). The cuDNN path (conv_cudnn.cpp) replaces this where available; this
// is the fallback and the parity baseline. Bench: `varstar bench --device cuda --kernels`.
#include "kernels/conv.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

// col (B, rows, P) from x (B, Cin, H, W) when batch_major; otherwise
// col (rows, B, P): all samples' columns side by side.
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, ConvShape s, bool batch_major) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * rows * np;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    int64_t b, r;
    const int64_t p = idx % np;
    if (batch_major) {
      r = (idx / np) % rows;
      b = idx / (np * rows);
    } else {
      b = (idx / np) % s.batch;
      r = idx / (np * s.batch);
    }
    const int64_t src = im2col_source(s, r, p);
    col[idx] = src < 0 ? 0.f : x[b * s.c_in * s.in_pixels() + src];
  }
}

// dx (B, Cin, H, W) gathered from dcol (B, rows, P): each input element sums the
// column entries that read it, so no atomics are needed.
__global__ void col2im_kernel(const float* __restrict__ dcol, float* __restrict__ dx, ConvShape s) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * s.c_in * s.in_pixels();
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t iw = idx % s.w, ih = (idx / s.w) % s.h, c = (idx / s.in_pixels()) % s.c_in;
    const int64_t b = idx / (s.c_in * s.in_pixels());
    float acc = 0.f;
    for (int64_t i = 0; i < s.kh; ++i) {
      const int64_t oh_num = ih + s.pad_h - i;
      if (oh_num < 0 || oh_num % s.stride_h != 0) continue;
      const int64_t oh = oh_num / s.stride_h;
      if (oh >= s.out_h) continue;
      for (int64_t j = 0; j < s.kw; ++j) {
        const int64_t ow_num = iw + s.pad_w - j;
        if (ow_num < 0 || ow_num % s.stride_w != 0) continue;
        const int64_t ow = ow_num / s.stride_w;
        if (ow >= s.out_w) continue;
        const int64_t r = (c * s.kh + i) * s.kw + j;
        acc += dcol[(b * rows + r) * np + oh * s.out_w + ow];
      }
    }
    dx[idx] = acc;
  }
}

// y (B, Cout, P) += bias per channel.
__global__ void add_bias_kernel(float* __restrict__ y, const float* __restrict__ bias, int64_t c, int64_t np, int64_t total) {
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x)
    y[idx] += bias[(idx / np) % c];
}

// dy2 (Cout, B, P) from dy (B, Cout, P).
__global__ void channel_major_kernel(const float* __restrict__ dy, float* __restrict__ dy2, int64_t batch, int64_t c,
                                     int64_t np) {
  const int64_t total = batch * c * np;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx % np, b = (idx / np) % batch, o = idx / (np * batch);
    dy2[idx] = dy[(b * c + o) * np + p];
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
  add_bias_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(y, bias, s.c_out, s.out_pixels(), total);
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
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  if (s.batch * s.c_out * np == 0) return;
  Workspace col(s.batch * rows * np, stream);
  im2col_kernel<<<detail::grid_for(s.batch * rows * np, kBlock), kBlock, 0, stream>>>(x, col.data(), s, true);
  VARSTAR_CUDA_CHECK_LAUNCH("im2col");
  // y_b (Cout, P) = W (Cout, rows) x col_b (rows, P)
  gemm_strided_batched(false, false, s.c_out, np, rows, 1.f, weight, rows, 0, col.data(), np, rows * np, 0.f, y, np,
                       s.c_out * np, s.batch, stream);
  if (bias != nullptr) conv2d_add_bias(y, bias, s, stream);
}

void conv2d_backward_input_im2col(const float* dy, const float* weight, float* dx, const ConvShape& s,
                                  cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  const int64_t total = s.batch * s.c_in * s.in_pixels();
  if (total == 0) return;
  Workspace dcol(s.batch * rows * np, stream);
  // dcol_b (rows, P) = W^T (rows, Cout) x dy_b (Cout, P)
  gemm_strided_batched(true, false, rows, np, s.c_out, 1.f, weight, rows, 0, dy, np, s.c_out * np, 0.f, dcol.data(),
                       np, rows * np, s.batch, stream);
  col2im_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(dcol.data(), dx, s);
  VARSTAR_CUDA_CHECK_LAUNCH("col2im");
}

void conv2d_backward_weight_im2col(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                                   cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * np;
  // Samples side by side: cols (rows, B*P), dy2 (Cout, B*P); dW = dy2 cols^T.
  Workspace cols(rows * total, stream);
  if (rows * total > 0) {
    im2col_kernel<<<detail::grid_for(rows * total, kBlock), kBlock, 0, stream>>>(x, cols.data(), s, false);
    VARSTAR_CUDA_CHECK_LAUNCH("im2col(channel major)");
  }
  const float* dy2 = dy;
  Workspace dy_t(s.batch > 1 ? s.c_out * total : 0, stream);
  if (s.batch > 1 && s.c_out * total > 0) {
    channel_major_kernel<<<detail::grid_for(s.c_out * total, kBlock), kBlock, 0, stream>>>(dy, dy_t.data(), s.batch,
                                                                                           s.c_out, np);
    VARSTAR_CUDA_CHECK_LAUNCH("conv dy channel major");
    dy2 = dy_t.data();
  }
  gemm(false, true, s.c_out, rows, total, 1.f, dy2, total, cols.data(), total, 0.f, dweight, rows, stream);
  if (dbias != nullptr) sum_dim(dy2, dbias, s.c_out, total, 1, stream);
}

}  // namespace varstar::cuda
