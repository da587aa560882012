#pragma once
// Optimizer update rules shared by the CPU and CUDA backends, written to
// match PyTorch's single-tensor implementations operation for operation.
#include "kernels/elementwise_math.h"

namespace varstar {

// Per-step constants, computed on the host in double as PyTorch does.
struct AdamParams {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.f;
  bool decoupled = false;             // AdamW: p *= 1 - lr * wd, no L2 term in the gradient
  float step_size = 1e-3f;            // lr / (1 - beta1^step)
  float bias_correction2_sqrt = 1.f;  // sqrt(1 - beta2^step)
};

// How an Adam step decays the weights: not at all, through the gradient (L2,
// Adam's weight_decay) or on the weights themselves (AdamW).
enum class AdamDecay { none, l2, decoupled };
VARSTAR_HD AdamDecay adam_decay(const AdamParams& a) {
  return a.decoupled ? AdamDecay::decoupled : a.weight_decay != 0.f ? AdamDecay::l2 : AdamDecay::none;
}

// One element of torch.optim.Adam / AdamW with the decay known at compile
// time (loops over many elements take this one: no branch inside).
template <AdamDecay Decay, class T>
VARSTAR_HD void adam_update_with(T& p, T g, T& m, T& v, const AdamParams& a) {
  if constexpr (Decay == AdamDecay::decoupled) p *= T(1) - T(a.lr) * T(a.weight_decay);
  if constexpr (Decay == AdamDecay::l2) g += T(a.weight_decay) * p;
  m = m * T(a.beta1) + g * (T(1) - T(a.beta1));
  v = v * T(a.beta2) + g * g * (T(1) - T(a.beta2));
  const T denom = vs_sqrt(v) / T(a.bias_correction2_sqrt) + T(a.eps);
  p += T(-a.step_size) * (m / denom);
}

// One element of torch.optim.Adam / AdamW.
template <class T>
VARSTAR_HD void adam_update(T& p, T g, T& m, T& v, const AdamParams& a) {
  switch (adam_decay(a)) {
    case AdamDecay::none: return adam_update_with<AdamDecay::none>(p, g, m, v, a);
    case AdamDecay::l2: return adam_update_with<AdamDecay::l2>(p, g, m, v, a);
    case AdamDecay::decoupled: return adam_update_with<AdamDecay::decoupled>(p, g, m, v, a);
  }
}

struct SgdParams {
  float lr = 1e-2f, momentum = 0.f, dampening = 0.f, weight_decay = 0.f;
  bool nesterov = false;
  bool first_step = true;  // the momentum buffer starts as the first gradient
};

// One element of torch.optim.SGD.
template <class T>
VARSTAR_HD void sgd_update(T& p, T g, T& buf, const SgdParams& s) {
  if (s.weight_decay != 0.f) g += T(s.weight_decay) * p;
  if (s.momentum != 0.f) {
    buf = s.first_step ? g : buf * T(s.momentum) + g * (T(1) - T(s.dampening));
    g = s.nesterov ? g + T(s.momentum) * buf : buf;
  }
  p -= T(s.lr) * g;
}

}  // namespace varstar
