#pragma once
// float32 exp, sigmoid and tanh as straight-line arithmetic, so that the
// compiler vectorises the loops that call them (glibc's expf and tanhf are
// calls, one element at a time: they were 70% of the CPU LSTM's forward).
// Cephes' reductions and polynomials (S. L. Moshier): exp by x = k ln2 + r,
// |r| <= ln2 / 2, a degree-6 polynomial in r and 2^k from the exponent bits;
// tanh by a degree-11 odd polynomial below |x| = 0.625 and
// 1 - 2 / (exp(2|x|) + 1) above. NaN propagates; exp's argument is clamped
// to [-87, 88] (no overflow to infinity, no 2^k below the normal range),
// which sigmoid and tanh never notice. Accuracy against double, tested over
// dense grids by tests/engine/test_vector_math.cpp: see the constants there.
#include <bit>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/select.h"
#include "kernels/lstm_math.h"

namespace varstar::cpu {

inline float exp_clamped(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;       // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi exact in few bits
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRoundMagic = 12582912.0f;   // 1.5 * 2^23: adding it rounds to an integer
  x = select(x > 88.0f, 88.0f, x);             // comparisons, not fminf/fmaxf: NaN stays NaN
  x = select(x < -87.0f, -87.0f, x);
  const float shifted = x * kLog2e + kRoundMagic;
  const float k = shifted - kRoundMagic;       // round(x log2 e)
  // k from the low bits (unsigned: wraps where a NaN's bits make nonsense, which the NaN result ignores)
  const uint32_t ki = std::bit_cast<uint32_t>(shifted) - std::bit_cast<uint32_t>(kRoundMagic);
  const float r = (x - k * kLn2Hi) - k * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * (r * r) + r + 1.0f;
  return e * std::bit_cast<float>((ki + 127u) << 23);  // e * 2^k
}

inline float sigmoid_fast(float x) { return 1.0f / (1.0f + exp_clamped(-x)); }

inline float tanh_fast(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float large = std::copysign(1.0f - 2.0f / (exp_clamped(2.0f * ax) + 1.0f), x);
  return select(ax < 0.625f, small, large);  // NaN: the comparison fails, and large is NaN
}

// The LSTM cell's activations (kernels/lstm_math.h): these for float, libm's
// (LibmActivations') for every other type.
struct FastActivations : LibmActivations {
  using LibmActivations::sigmoid;
  using LibmActivations::tanh;
  static float sigmoid(float x) { return sigmoid_fast(x); }
  static float tanh(float x) { return tanh_fast(x); }
};

}  // namespace varstar::cpu
