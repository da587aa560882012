#pragma once
// The engine's differentiable operations. Each validates shapes, dtypes and
// devices (errors name the op, what was expected and what was given),
// dispatches to varstar::cpu:: or varstar::cuda:: kernels, and records its
// backward rule when an input requires grad. One front end per file in
// engine/ops/; the list of ops is engine/ops/op_list.h.
#include <array>
#include <optional>
#include <vector>

#include "engine/random.h"
#include "engine/tensor.h"

namespace varstar {

// ---- elementwise (NumPy broadcasting) -------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor mul_scalar(const Tensor& x, double s);  // x * s
Tensor add_scalar(const Tensor& x, double s);  // x + s
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
// GELU, exact (erf) form as PyTorch's default: x * Phi(x).
Tensor gelu(const Tensor& x);

// ---- reductions ---------------------------------------------------------------
// Sum / mean over `dims` (all dimensions when empty).
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Sums a broadcast result back down to `shape` (the gradient of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- shape ----------------------------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);

// ---- linear algebra ------------------------------------------------------------
// a: (M, K) or (B, M, K); b: (K, N) or (B, K, N) -> (M, N) or (B, M, N).
Tensor matmul(const Tensor& a, const Tensor& b);
// x: (..., in); weight: (out, in); bias: (out) or undefined -> (..., out).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- convolution and pooling ---------------------------------------------------
// x: (B, Cin, L); weight: (Cout, Cin, K); bias: (Cout) or undefined -> (B, Cout, Lout),
// Lout = (L + 2 padding - K) / stride + 1.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
              int64_t padding = 0);
// x: (B, Cin, H, W); weight: (Cout, Cin, KH, KW); bias: (Cout) or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::array<int64_t, 2> stride = {1, 1},
              std::array<int64_t, 2> padding = {0, 0});
// x: (B, C, L) -> (B, C, (L - kernel) / stride + 1); stride 0 means kernel.
Tensor maxpool1d(const Tensor& x, int64_t kernel, int64_t stride = 0);
// x: (B, C, H, W); stride {0, 0} means kernel.
Tensor maxpool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride = {0, 0});

// ---- recurrent --------------------------------------------------------------------
// One LSTM layer, batch first, zero initial state, PyTorch's gate order (i, f, g, o).
// x: (B, T, I); w_ih: (4H, I); w_hh: (4H, H); b_ih, b_hh: (4H) -> every hidden state (B, T, H).
Tensor lstm(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);

// ---- regularisation and normalisation ------------------------------------------
// Zeroes each element with probability p and scales the rest by 1/(1-p) when
// training; identity otherwise. The mask comes from the generator's Philox stream.
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);
// x: (N, C) or (N, C, L) or (N, C, H, W); statistics per channel C. In training,
// batch statistics normalise and running_mean/var (C) are updated in place with
// `momentum` (PyTorch's convention, unbiased running variance).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// ---- losses ---------------------------------------------------------------------------
// x: (N, C) -> log-probabilities along the last dimension.
Tensor log_softmax(const Tensor& x);
// Fused log-softmax + negative log-likelihood. logits: (N, C); targets: int32 (N)
// in [0, C); class_weights: (C) or undefined. Returns the (weighted) mean loss,
// a one-element tensor, as torch.nn.functional.cross_entropy does.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& class_weights = Tensor());
// cross_entropy checks on the host that every target is in [0, C). On CUDA
// that is a device-to-host copy and a synchronisation per call: it can be
// switched off, per thread (and is skipped inside CUDA graph captures
// regardless); an out-of-range target then gives a NaN loss. CPU tensors are
// always checked.
void set_cross_entropy_target_check(bool on);
bool cross_entropy_target_check();
// Sets the calling thread's check for a scope, then restores it.
class CrossEntropyTargetCheckScope {
 public:
  explicit CrossEntropyTargetCheckScope(bool on) : previous_(cross_entropy_target_check()) {
    set_cross_entropy_target_check(on);
  }
  ~CrossEntropyTargetCheckScope() { set_cross_entropy_target_check(previous_); }
  CrossEntropyTargetCheckScope(const CrossEntropyTargetCheckScope&) = delete;
  CrossEntropyTargetCheckScope& operator=(const CrossEntropyTargetCheckScope&) = delete;

 private:
  bool previous_;
};

}  // namespace varstar
