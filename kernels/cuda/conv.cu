// CUDA convolution, first version: im2col into a whole-batch column buffer and
// cuBLAS strided-batched GEMMs (the weight shared across the batch). The
// weight gradient accumulates one GEMM per sample. A cuDNN path replaces this
// where it is faster (see the CUDA backend issue); this is the fallback and the
// parity baseline.
#include "kernels/conv.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

// col (B, rows, P) from x (B, Cin, H, W).
__global__ void im2col_kernel(const float* __restrict__ x, float* __restrict__ col, ConvShape s) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * rows * np;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx % np, r = (idx / np) % rows, b = idx / (np * rows);
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

// dbias[o] = sum over (B, P) of dy; one block per channel.
__global__ void bias_grad_kernel(const float* __restrict__ dy, float* __restrict__ dbias, int64_t batch, int64_t c,
                                 int64_t np) {
  const int64_t o = blockIdx.x;
  float acc = 0.f;
  for (int64_t idx = threadIdx.x; idx < batch * np; idx += blockDim.x) {
    const int64_t b = idx / np, p = idx % np;
    acc += dy[(b * c + o) * np + p];
  }
  __shared__ float partial[kBlock];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) dbias[o] = partial[0];
}

}  // namespace

void conv2d_forward(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                    cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  Workspace col(s.batch * rows * np, stream);
  im2col_kernel<<<detail::grid_for(s.batch * rows * np, kBlock), kBlock, 0, stream>>>(x, col.data(), s);
  VARSTAR_CUDA_CHECK_LAUNCH("im2col");
  // y_b (Cout, P) = W (Cout, rows) x col_b (rows, P)
  gemm_strided_batched(false, false, s.c_out, np, rows, 1.f, weight, rows, 0, col.data(), np, rows * np, 0.f, y, np,
                       s.c_out * np, s.batch, stream);
  if (bias != nullptr) {
    const int64_t total = s.batch * s.c_out * np;
    add_bias_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(y, bias, s.c_out, np, total);
    VARSTAR_CUDA_CHECK_LAUNCH("add_bias");
  }
}

void conv2d_backward_input(const float* dy, const float* weight, float* dx, const ConvShape& s, cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  Workspace dcol(s.batch * rows * np, stream);
  // dcol_b (rows, P) = W^T (rows, Cout) x dy_b (Cout, P)
  gemm_strided_batched(true, false, rows, np, s.c_out, 1.f, weight, rows, 0, dy, np, s.c_out * np, 0.f, dcol.data(),
                       np, rows * np, s.batch, stream);
  const int64_t total = s.batch * s.c_in * s.in_pixels();
  col2im_kernel<<<detail::grid_for(total, kBlock), kBlock, 0, stream>>>(dcol.data(), dx, s);
  VARSTAR_CUDA_CHECK_LAUNCH("col2im");
}

void conv2d_backward_weight(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                            cuda_stream stream) {
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  Workspace col(s.batch * rows * np, stream);
  im2col_kernel<<<detail::grid_for(s.batch * rows * np, kBlock), kBlock, 0, stream>>>(x, col.data(), s);
  VARSTAR_CUDA_CHECK_LAUNCH("im2col");
  // dW (Cout, rows) = sum_b dy_b (Cout, P) x col_b^T (P, rows)
  for (int64_t b = 0; b < s.batch; ++b)
    gemm(false, true, s.c_out, rows, np, 1.f, dy + b * s.c_out * np, np, col.data() + b * rows * np, np,
         b == 0 ? 0.f : 1.f, dweight, rows, stream);
  if (dbias != nullptr) {
    bias_grad_kernel<<<static_cast<unsigned>(s.c_out), kBlock, 0, stream>>>(dy, dbias, s.batch, s.c_out, np);
    VARSTAR_CUDA_CHECK_LAUNCH("bias_grad");
  }
}

}  // namespace varstar::cuda
