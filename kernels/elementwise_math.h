#pragma once
// Elementwise arithmetic shared by the CPU and CUDA backends: the binary and
// unary functors, their derivatives, and the broadcast geometry both backends
// index with.
#include <math.h>

#include "kernels/common.h"

namespace varstar {

inline constexpr int kMaxDims = 8;

enum class BinaryOp : uint8_t { add, sub, mul, div };
enum class UnaryOp : uint8_t { relu, tanh, sigmoid };

// Output is contiguous with `shape`; inputs are read through their own strides
// (0 along broadcast dimensions).
struct BroadcastGeometry {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};
};

VARSTAR_HD float vs_tanh(float x) { return ::tanhf(x); }
VARSTAR_HD double vs_tanh(double x) { return ::tanh(x); }
VARSTAR_HD float vs_exp(float x) { return ::expf(x); }
VARSTAR_HD double vs_exp(double x) { return ::exp(x); }
VARSTAR_HD float vs_log(float x) { return ::logf(x); }
VARSTAR_HD double vs_log(double x) { return ::log(x); }
VARSTAR_HD float vs_sqrt(float x) { return ::sqrtf(x); }
VARSTAR_HD double vs_sqrt(double x) { return ::sqrt(x); }

template <class T> VARSTAR_HD T vs_sigmoid(T x) { return T(1) / (T(1) + vs_exp(-x)); }

struct AddOp { template <class T> VARSTAR_HD T operator()(T a, T b) const { return a + b; } };
struct SubOp { template <class T> VARSTAR_HD T operator()(T a, T b) const { return a - b; } };
struct MulOp { template <class T> VARSTAR_HD T operator()(T a, T b) const { return a * b; } };
struct DivOp { template <class T> VARSTAR_HD T operator()(T a, T b) const { return a / b; } };

struct ReluOp {
  template <class T> VARSTAR_HD T operator()(T x) const { return x > T(0) ? x : T(0); }
  // Derivative expressed through the output y = relu(x).
  template <class T> VARSTAR_HD T grad(T y, T dy) const { return y > T(0) ? dy : T(0); }
};
struct TanhOp {
  template <class T> VARSTAR_HD T operator()(T x) const { return vs_tanh(x); }
  template <class T> VARSTAR_HD T grad(T y, T dy) const { return dy * (T(1) - y * y); }
};
struct SigmoidOp {
  template <class T> VARSTAR_HD T operator()(T x) const { return vs_sigmoid(x); }
  template <class T> VARSTAR_HD T grad(T y, T dy) const { return dy * y * (T(1) - y); }
};

// Offsets into a and b of the output element with flat index `i`.
VARSTAR_HD void broadcast_offsets(const BroadcastGeometry& g, int64_t i, int64_t& off_a, int64_t& off_b) {
  off_a = 0;
  off_b = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t idx = i % g.shape[d];
    i /= g.shape[d];
    off_a += idx * g.stride_a[d];
    off_b += idx * g.stride_b[d];
  }
}

}  // namespace varstar
