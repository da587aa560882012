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
//   sample_local: the input projections as above, then ONE ordinary kernel
//               (kernels/cuda/lstm_sample_local.cu): block k runs the whole
//               recurrence of SB samples (SB in 1, 2, 4) with all of W_hh on
//               chip (4H threads; thread r's first 64 weights in registers,
//               the rest in shared memory) and only __syncthreads() between
//               steps, since samples never exchange anything. The backward
//               kernel computes dgates likewise (the W_hh^T product reduced
//               over gate blocks in shared memory); the weight gradients are
//               the three GEMMs of the other variants. Hidden sizes 64 and
//               128 only; H = 128 needs ~140 KiB of shared memory per block
//               (H100/H200/A100; not RTX cards, which fall back). Returns
//               false, having queued nothing, when the shape does not fit.
// The engine uses sample_local unless set_lstm_kernel() chose another, or the
// environment says VARSTAR_LSTM=per-step|persistent|sample-local (or the older
// VARSTAR_LSTM_PERSISTENT=1); a variant that does not fit falls back to per_step.
#include "kernels/common.h"
#include "kernels/lstm.h"
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
bool lstm_forward_sample_local(const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                               const float* b_hh, float* y, float* gates, float* cell, const LstmShape& s,
                               cuda_stream stream);
bool lstm_backward_sample_local(const float* dy, const float* x, const float* w_ih, const float* w_hh,
                                const float* y, const float* gates, const float* cell, float* dx, float* dw_ih,
                                float* dw_hh, float* db, float* dgates, float* h_prev, float* state,
                                const LstmShape& s, cuda_stream stream);
// The variant lstm_forward/lstm_backward run (first call: from the environment).
void set_lstm_kernel(LstmKernel kernel);
LstmKernel lstm_kernel();
// set_use_persistent_lstm(true): persistent, (false): per_step.
void set_use_persistent_lstm(bool use);
bool use_persistent_lstm();
// Hidden units per block of the persistent kernels (0: automatic, 8 where it
// divides the hidden size); for bench/dev/lstm.cu's variants.
void set_persistent_lstm_units(int units);
// Persistent kernels launched since start (forward and backward), for tests.
int64_t persistent_lstm_launches();
// Samples per block of the sample-local kernels (0: automatic; 1, 2 or 4;
// another value makes them decline); for bench/dev/lstm.cu and the tests.
void set_sample_local_lstm_samples(int samples);
// Sample-local kernels launched since start (forward and backward), for tests.
int64_t sample_local_lstm_launches();

namespace detail {
// gates (B*T, 4H) = b_ih + b_hh + x (B*T, I) W_ih^T: the input projections of all steps.
void lstm_input_projection(const float* x, const float* w_ih, const float* b_ih, const float* b_hh, float* gates,
                           const LstmShape& s, cuda_stream stream);
// From dgates (B*T, 4H): dx (may be null), dW_ih, dW_hh (with h_prev (B, T, H)
// as workspace, filled from y) and db: three large GEMMs and a column sum.
void lstm_weight_gradients(const float* x, const float* w_ih, const float* y, float* dx, float* dw_ih, float* dw_hh,
                           float* db, const float* dgates, float* h_prev, const LstmShape& s, cuda_stream stream);
}  // namespace detail
}  // namespace varstar::cuda
