// CPU batch normalisation, channels in parallel; statistics accumulate in double.
#include <cmath>

#include "kernels/batch_norm.h"
#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

template <class T>
void batch_norm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* invstd, T eps,
                              const NormShape& s) {
  const int64_t count = s.n * s.s;
  parallel_for(s.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) sum += p[k];
      }
      const double m = sum / static_cast<double>(count);
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) sq += (p[k] - m) * (p[k] - m);
      }
      const double var = sq / static_cast<double>(count);
      const T is = static_cast<T>(1.0 / std::sqrt(var + static_cast<double>(eps)));
      mean[ch] = static_cast<T>(m);
      invstd[ch] = is;
      const T g = gamma != nullptr ? gamma[ch] : T(1), b = beta != nullptr ? beta[ch] : T(0);
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        T* q = y + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) q[k] = g * (p[k] - static_cast<T>(m)) * is + b;
      }
    }
  });
}

template <class T>
void batch_norm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean, const T* running_var,
                             T* y, T eps, const NormShape& s) {
  parallel_for(s.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      const T is = T(1) / std::sqrt(running_var[ch] + eps);
      const T g = gamma != nullptr ? gamma[ch] : T(1), b = beta != nullptr ? beta[ch] : T(0);
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        T* q = y + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) q[k] = g * (p[k] - running_mean[ch]) * is + b;
      }
    }
  });
}

template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* gamma, const T* mean, const T* invstd, bool training,
                         T* dx, T* dgamma, T* dbeta, const NormShape& s) {
  const double count = static_cast<double>(s.n * s.s);
  parallel_for(s.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      const double m = mean[ch], is = invstd[ch];
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        const T* d = dy + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) {
          sum_dy += d[k];
          sum_dy_xhat += d[k] * (p[k] - m) * is;
        }
      }
      if (dgamma != nullptr) dgamma[ch] = static_cast<T>(sum_dy_xhat);
      if (dbeta != nullptr) dbeta[ch] = static_cast<T>(sum_dy);
      if (dx == nullptr) continue;
      const double g = gamma != nullptr ? gamma[ch] : 1.0;
      for (int64_t i = 0; i < s.n; ++i) {
        const T* p = x + (i * s.c + ch) * s.s;
        const T* d = dy + (i * s.c + ch) * s.s;
        T* q = dx + (i * s.c + ch) * s.s;
        for (int64_t k = 0; k < s.s; ++k) {
          if (training) {
            const double xhat = (p[k] - m) * is;
            q[k] = static_cast<T>(g * is / count * (count * d[k] - sum_dy - xhat * sum_dy_xhat));
          } else {
            q[k] = static_cast<T>(g * is * d[k]);
          }
        }
      }
    }
  });
}

#define VARSTAR_INSTANTIATE(T)                                                                                   \
  template void batch_norm_forward_train<T>(const T*, const T*, const T*, T*, T*, T*, T, const NormShape&);      \
  template void batch_norm_forward_eval<T>(const T*, const T*, const T*, const T*, const T*, T*, T,              \
                                           const NormShape&);                                                    \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, bool, T*, T*, T*,       \
                                       const NormShape&);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
