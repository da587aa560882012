#pragma once
// The LSTM cell's pointwise arithmetic, shared by the CPU and CUDA backends.
// Gate order (i, f, g, o) as PyTorch; pre-activations come from
// x W_ih^T + b_ih + h W_hh^T + b_hh.
#include "kernels/elementwise_math.h"

namespace varstar {

struct LstmShape {
  int64_t batch = 1, steps = 1, input = 1, hidden = 1;
};

// The activations the cell uses by default: libm's (CUDA's) sigmoid and tanh.
// The CPU's float loops pass vectorisable ones (kernels/cpu/vector_math.h).
struct LibmActivations {
  template <class T>
  VARSTAR_HD static T sigmoid(T x) {
    return vs_sigmoid(x);
  }
  template <class T>
  VARSTAR_HD static T tanh(T x) {
    return vs_tanh(x);
  }
};

// Pre-activations (pi, pf, pg, po) and the previous cell state give the
// activated gates, the new cell state c and hidden state h.
template <class Act = LibmActivations, class T>
VARSTAR_HD void lstm_cell_forward(T pi, T pf, T pg, T po, T c_prev, T& i, T& f, T& g, T& o, T& c, T& h) {
  i = Act::sigmoid(pi);
  f = Act::sigmoid(pf);
  g = Act::tanh(pg);
  o = Act::sigmoid(po);
  c = f * c_prev + i * g;
  h = o * Act::tanh(c);
}

// Backward through one cell: from the activated gates, c_prev, c, the gradient
// reaching h (dh) and c (dc_next), the pre-activation gradients and dc_prev.
template <class Act = LibmActivations, class T>
VARSTAR_HD void lstm_cell_backward(T i, T f, T g, T o, T c_prev, T c, T dh, T dc_next, T& dpi, T& dpf, T& dpg,
                                   T& dpo, T& dc_prev) {
  const T tc = Act::tanh(c);
  const T dc = dc_next + dh * o * (T(1) - tc * tc);
  dpi = dc * g * i * (T(1) - i);
  dpf = dc * c_prev * f * (T(1) - f);
  dpg = dc * i * (T(1) - g * g);
  dpo = dh * tc * o * (T(1) - o);
  dc_prev = dc * f;
}

}  // namespace varstar
