// CUDA LSTM layer, first version (the layout cuDNN and Haste use): one cuBLAS
// GEMM for the input projections of all steps, then per step a recurrent GEMM
// and one fused pointwise kernel for the gates, cell and hidden state; the
// backward pass mirrors it. Persistent variants live in bench/dev/lstm.cu.
#include "kernels/cuda/check.cuh"
#include "kernels/gemm.h"
#include "kernels/lstm.h"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void bias_rows_kernel(float* __restrict__ gates, const float* __restrict__ b_ih,
                                 const float* __restrict__ b_hh, int64_t rows, int64_t g) {
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < rows * g; idx += int64_t{gridDim.x} * blockDim.x)
    gates[idx] = b_ih[idx % g] + b_hh[idx % g];
}

__global__ void cell_forward_kernel(float* __restrict__ gates, float* __restrict__ cell, float* __restrict__ y,
                                    LstmShape s, int64_t t) {
  const int64_t H = s.hidden, S = s.steps;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < s.batch * H; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = idx / H, j = idx % H, row = b * S + t;
    float* g = gates + row * 4 * H;
    const float c_prev = t > 0 ? cell[(row - 1) * H + j] : 0.f;
    lstm_cell_forward(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev, g[j], g[H + j], g[2 * H + j], g[3 * H + j],
                      cell[row * H + j], y[row * H + j]);
  }
}

__global__ void cell_backward_kernel(const float* __restrict__ dy, const float* __restrict__ gates,
                                     const float* __restrict__ cell, float* __restrict__ dgates,
                                     const float* __restrict__ dh_next, float* __restrict__ dc_next, LstmShape s,
                                     int64_t t) {
  const int64_t H = s.hidden, S = s.steps;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < s.batch * H; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = idx / H, j = idx % H, row = b * S + t;
    const float* g = gates + row * 4 * H;
    float* dg = dgates + row * 4 * H;
    const float c_prev = t > 0 ? cell[(row - 1) * H + j] : 0.f;
    float dc_prev;
    lstm_cell_backward(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev, cell[row * H + j], dy[row * H + j] + dh_next[idx],
                       dc_next[idx], dg[j], dg[H + j], dg[2 * H + j], dg[3 * H + j], dc_prev);
    dc_next[idx] = dc_prev;
  }
}

// h_prev[b, t] = y[b, t - 1], zero at t = 0.
__global__ void shift_hidden_kernel(const float* __restrict__ y, float* __restrict__ h_prev, LstmShape s) {
  const int64_t H = s.hidden, S = s.steps, total = s.batch * S * H;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = (idx / H) % S;
    h_prev[idx] = t == 0 ? 0.f : y[idx - H];
  }
}
}  // namespace

void lstm_forward(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, float* y,
                  float* gates, float* cell, const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  bias_rows_kernel<<<detail::grid_for(B * S * G, kBlock), kBlock, 0, stream>>>(gates, b_ih, b_hh, B * S, G);
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_bias_rows");
  gemm(false, true, B * S, G, I, 1.f, x, I, w_ih, I, 1.f, gates, G, stream);
  for (int64_t t = 0; t < S; ++t) {
    if (t > 0) gemm(false, true, B, G, H, 1.f, y + (t - 1) * H, S * H, w_hh, H, 1.f, gates + t * G, S * G, stream);
    cell_forward_kernel<<<detail::grid_for(B * H, kBlock), kBlock, 0, stream>>>(gates, cell, y, s, t);
    VARSTAR_CUDA_CHECK_LAUNCH("lstm_cell_forward");
  }
}

void lstm_backward(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                   const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                   float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  float* dh_next = state;
  float* dc_next = state + B * H;
  VARSTAR_CUDA_CHECK(cudaMemsetAsync(state, 0, sizeof(float) * 2 * B * H, stream));
  for (int64_t t = S - 1; t >= 0; --t) {
    cell_backward_kernel<<<detail::grid_for(B * H, kBlock), kBlock, 0, stream>>>(dy, gates, cell, dgates, dh_next,
                                                                                 dc_next, s, t);
    VARSTAR_CUDA_CHECK_LAUNCH("lstm_cell_backward");
    if (t > 0) gemm(false, false, B, H, G, 1.f, dgates + t * G, S * G, w_hh, H, 0.f, dh_next, H, stream);
  }
  shift_hidden_kernel<<<detail::grid_for(B * S * H, kBlock), kBlock, 0, stream>>>(y, h_prev, s);
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_shift_hidden");
  gemm(true, false, G, I, B * S, 1.f, dgates, G, x, I, 0.f, dw_ih, I, stream);
  gemm(true, false, G, H, B * S, 1.f, dgates, G, h_prev, H, 0.f, dw_hh, H, stream);
  sum_dim(dgates, db, 1, B * S, G, stream);
  if (dx != nullptr) gemm(false, false, B * S, I, G, 1.f, dgates, G, w_ih, I, 0.f, dx, I, stream);
}

}  // namespace varstar::cuda
