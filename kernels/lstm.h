#pragma once
// One LSTM layer, batch first, zero initial state.
//   x (B, T, I), w_ih (4H, I), w_hh (4H, H), b_ih/b_hh (4H)
//   forward writes y (B, T, H) every hidden state, gates (B, T, 4H) the
//   activated gates and cell (B, T, H) every cell state (both kept for backward).
//   backward takes dy (B, T, H) and writes dx (B, T, I) (may be null),
//   dw_ih, dw_hh, db (4H; the gradient of both bias vectors). Workspaces:
//   dgates (B, T, 4H), h_prev (B, T, H), state (2, B, H).
// Layout of the work (as cuDNN and Haste): one GEMM for the input projections
// of all steps, then per step a recurrent GEMM and the pointwise cell update.
#include "kernels/common.h"
#include "kernels/lstm_math.h"

namespace varstar::cpu {
template <class T>
void lstm_forward(const T* x, const T* w_ih, const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* gates, T* cell,
                  const LstmShape& s);
template <class T>
void lstm_backward(const T* dy, const T* x, const T* w_ih, const T* w_hh, const T* y, const T* gates, const T* cell,
                   T* dx, T* dw_ih, T* dw_hh, T* db, T* dgates, T* h_prev, T* state, const LstmShape& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
// Which CUDA implementation lstm_forward/lstm_backward run (kernels/cuda/lstm_variants.h).
enum class LstmKernel { per_step, persistent, sample_local };

void lstm_forward(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
                  float* y, float* gates, float* cell, const LstmShape& s, cuda_stream stream);
void lstm_backward(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                   const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                   float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream);
}  // namespace varstar::cuda
