#pragma once
// Numerically stable row log-softmax and the cross-entropy terms, shared by the
// CPU and CUDA backends (the CUDA kernels split a row across a warp's lanes and
// combine these same pieces).
#include "kernels/elementwise_math.h"

namespace varstar {

// log(sum_k exp(x_k)) from m = max_k x_k and s = sum_k exp(x_k - m).
template <class T>
VARSTAR_HD T logsumexp_of(T m, T s) {
  return m + vs_log(s);
}

// log(sum_k exp(row[k])), computed as max + log(sum exp(row - max)).
template <class T>
VARSTAR_HD T row_logsumexp(const T* row, int64_t c) {
  T m = row[0];
  for (int64_t k = 1; k < c; ++k) m = row[k] > m ? row[k] : m;
  T s = 0;
  for (int64_t k = 0; k < c; ++k) s += vs_exp(row[k] - m);
  return logsumexp_of(m, s);
}

// Running max m and sum s = sum exp(x - m) over part of a row, in one pass
// (online softmax): parts fold in elements one at a time and merge in any
// order; logsumexp_of(m, s) of the whole. Empty: m = -inf, s = 0; a -inf
// element adds nothing (exp(-inf) = 0), so it leaves the part empty.
template <class T>
struct MaxSumExp {
  T m, s;
};

template <class T>
VARSTAR_HD MaxSumExp<T> max_sum_exp_add(MaxSumExp<T> a, T x) {
  if (x > a.m) return {x, a.s * vs_exp(a.m - x) + T(1)};
  if (a.s == T(0) && !(x != x)) return a;  // -inf into an empty part (a NaN goes on to the sum)
  return {a.m, a.s + vs_exp(x - a.m)};
}

template <class T>
VARSTAR_HD MaxSumExp<T> max_sum_exp_merge(MaxSumExp<T> a, MaxSumExp<T> b) {
  if (a.s == T(0)) return b;
  if (b.s == T(0)) return a;
  const T m = a.m > b.m ? a.m : b.m;
  return {m, a.s * vs_exp(a.m - m) + b.s * vs_exp(b.m - m)};
}

// Softmax probability of logit x in a row with log-sum-exp lse.
template <class T>
VARSTAR_HD T softmax_prob(T x, T lse) {
  return vs_exp(x - lse);
}

// One sample's weighted loss, w * -log softmax(row)[t] = w (lse - row[t]).
template <class T>
VARSTAR_HD T cross_entropy_term(T w, T lse, T logit_t) {
  return w * (lse - logit_t);
}

// d loss / d logit k of one sample: w (p_k - [k == t]), w = w[t] * dloss / weight_sum.
template <class T>
VARSTAR_HD T cross_entropy_grad(T w, T p, bool is_target) {
  return w * (p - (is_target ? T(1) : T(0)));
}

}  // namespace varstar
