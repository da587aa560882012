#pragma once
// The CUDA LSTM implementations behind kernels/lstm.h's cuda:: entry points
// (same arguments and layouts), so that bench/dev/lstm.cu can validate and
// time each one:
//   per_step:   one GEMM for the input projections of all steps, then per step
//               a recurrent cuBLAS GEMM and one fused pointwise kernel (the
//               default; cuDNN's and Haste's layout).
//   persistent: the input projections as above, then ONE cooperative kernel
//               for all time steps: each block keeps its slice of W_hh in
//               shared memory for the whole sequence, computes the gates of
//               its hidden units for every sample, and the blocks meet at a
//               grid barrier once per step. For the thesis's small hidden
//               sizes (64, 128) where per-step launches dominate. Returns
//               false, having queued nothing, when the shape does not fit
//               (hidden size not a multiple of the slice, shared memory, or
//               co-resident blocks); the caller then runs per_step.
// The engine uses per_step unless set_use_persistent_lstm(true) or
// VARSTAR_LSTM_PERSISTENT=1 in the environment.
#include "kernels/common.h"
#include "kernels/lstm_math.h"

namespace varstar::cuda {
void lstm_forward_per_step(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
                           float* y, float* gates, float* cell, const LstmShape& s, cuda_stream stream);
void lstm_backward_per_step(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                            const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                            float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream);
bool lstm_forward_persistent(const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                             const float* b_hh, float* y, float* gates, float* cell, const LstmShape& s,
                             cuda_stream stream);
bool lstm_backward_persistent(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                              const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                              float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream);
void set_use_persistent_lstm(bool use);
bool use_persistent_lstm();
// Hidden units per block of the persistent kernels (0: automatic, 8 where it
// divides the hidden size); for bench/dev/lstm.cu's variants.
void set_persistent_lstm_units(int units);
// Persistent kernels launched since start (forward and backward), for tests.
int64_t persistent_lstm_launches();
}  // namespace varstar::cuda
