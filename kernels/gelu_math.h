#pragma once
// GELU (Hendrycks & Gimpel 2016), the exact form PyTorch's nn.GELU() uses by default:
//   gelu(x)  = x * Phi(x),              Phi(x) = (1 + erf(x / sqrt 2)) / 2
//   gelu'(x) = Phi(x) + x * phi(x),     phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
// One definition for both backends: the CPU loops and the CUDA kernels call
// these functions, so the CPU tests exercise the GPU's arithmetic.
#include <math.h>

#include "kernels/common.h"
#include "kernels/elementwise_math.h"  // vs_exp

namespace varstar {

VARSTAR_HD float vs_erf(float x) { return ::erff(x); }
VARSTAR_HD double vs_erf(double x) { return ::erf(x); }

template <class T> VARSTAR_HD T gelu_value(T x) {
  const T kInvSqrt2 = T(0.70710678118654752440);
  return T(0.5) * x * (T(1) + vs_erf(x * kInvSqrt2));
}

// d_x = gelu'(x) * d_y; needs the input x (the output alone does not determine it).
template <class T> VARSTAR_HD T gelu_grad(T x, T dy) {
  const T kInvSqrt2 = T(0.70710678118654752440);
  const T kInvSqrt2Pi = T(0.39894228040143267794);
  const T cdf = T(0.5) * (T(1) + vs_erf(x * kInvSqrt2));
  const T pdf = kInvSqrt2Pi * vs_exp(T(-0.5) * x * x);
  return dy * (cdf + x * pdf);
}

}  // namespace varstar
