#pragma once
// Batch normalisation over x (N, C, S) per channel C (S = spatial size, 1 for (N, C)).
//   forward_train: batch mean and biased variance -> mean (C), invstd (C),
//     y = gamma * (x - mean) * invstd + beta.
//   forward_eval: the same with given running mean/var.
//   backward: from dy, x, mean, invstd -> dx (training: through the batch
//     statistics; eval: treats them as constants), dgamma, dbeta.
#include "kernels/common.h"

namespace varstar {
struct NormShape {
  int64_t n = 1, c = 1, s = 1;
};
}  // namespace varstar

namespace varstar::cpu {
template <class T>
void batch_norm_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* invstd, T eps,
                              const NormShape& s);
template <class T>
void batch_norm_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean, const T* running_var,
                             T* y, T eps, const NormShape& s);
template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* gamma, const T* mean, const T* invstd, bool training,
                         T* dx, T* dgamma, T* dbeta, const NormShape& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
void batch_norm_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                              float* invstd, float eps, const NormShape& s, cuda_stream stream);
void batch_norm_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                             const float* running_var, float* y, float eps, const NormShape& s, cuda_stream stream);
void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean, const float* invstd,
                         bool training, float* dx, float* dgamma, float* dbeta, const NormShape& s,
                         cuda_stream stream);
}  // namespace varstar::cuda
