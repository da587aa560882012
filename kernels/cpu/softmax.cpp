// CPU log-softmax and fused cross-entropy.
#include "kernels/cpu/parallel.h"
#include "kernels/softmax.h"
#include "kernels/softmax_math.h"

namespace varstar::cpu {

template <class T>
void log_softmax_forward(const T* x, T* y, int64_t n, int64_t c) {
  parallel_for(n, kParallelGrain / (c + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T lse = row_logsumexp(x + i * c, c);
      for (int64_t k = 0; k < c; ++k) y[i * c + k] = x[i * c + k] - lse;
    }
  });
}

template <class T>
void log_softmax_backward(const T* y, const T* dy, T* dx, int64_t n, int64_t c) {
  parallel_for(n, kParallelGrain / (c + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T s = 0;
      for (int64_t k = 0; k < c; ++k) s += dy[i * c + k];
      for (int64_t k = 0; k < c; ++k) dx[i * c + k] = dy[i * c + k] - vs_exp(y[i * c + k]) * s;
    }
  });
}

template <class T>
void cross_entropy_forward(const T* logits, const int32_t* targets, const T* weights, T* probs, T* loss_sum,
                           T* weight_sum, int64_t n, int64_t c) {
  T loss = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T* row = logits + i * c;
    const T lse = row_logsumexp(row, c);
    for (int64_t k = 0; k < c; ++k) probs[i * c + k] = softmax_prob(row[k], lse);
    const int32_t t = targets[i];
    const T w = weights != nullptr ? weights[t] : T(1);
    loss += cross_entropy_term(w, lse, row[t]);
    total += w;
  }
  *loss_sum = loss;
  *weight_sum = total;
}

template <class T>
void cross_entropy_backward(const T* probs, const int32_t* targets, const T* weights, T scale, T* dlogits, int64_t n,
                            int64_t c) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t t = targets[i];
    const T w = (weights != nullptr ? weights[t] : T(1)) * scale;
    for (int64_t k = 0; k < c; ++k) dlogits[i * c + k] = cross_entropy_grad(w, probs[i * c + k], k == t);
  }
}

#define VARSTAR_INSTANTIATE(T)                                                                              \
  template void log_softmax_forward<T>(const T*, T*, int64_t, int64_t);                                     \
  template void log_softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t);                          \
  template void cross_entropy_forward<T>(const T*, const int32_t*, const T*, T*, T*, T*, int64_t, int64_t); \
  template void cross_entropy_backward<T>(const T*, const int32_t*, const T*, T, T*, int64_t, int64_t);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
