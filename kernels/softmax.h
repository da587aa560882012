#pragma once
// Row-wise log-softmax and the fused log-softmax + cross-entropy.
//   x, y: (N, C).  log_softmax_backward: dx = dy - softmax * rowsum(dy).
//   cross_entropy_forward: logits (N, C), targets (N) in [0, C), weights (C) or
//   null -> probs (N, C) = softmax, loss_sum = sum_i w[t_i] * -log p_i[t_i],
//   weight_sum = sum_i w[t_i] (both one element); the loss is their ratio.
//   cross_entropy_backward: dlogits = (probs - onehot) * w[t_i] * scale,
//   scale = dloss / weight_sum.
#include "kernels/common.h"

namespace varstar::cpu {
template <class T> void log_softmax_forward(const T* x, T* y, int64_t n, int64_t c);
template <class T> void log_softmax_backward(const T* y, const T* dy, T* dx, int64_t n, int64_t c);
template <class T>
void cross_entropy_forward(const T* logits, const int32_t* targets, const T* weights, T* probs, T* loss_sum,
                           T* weight_sum, int64_t n, int64_t c);
template <class T>
void cross_entropy_backward(const T* probs, const int32_t* targets, const T* weights, T scale, T* dlogits, int64_t n,
                            int64_t c);
}  // namespace varstar::cpu

namespace varstar::cuda {
void log_softmax_forward(const float* x, float* y, int64_t n, int64_t c, cuda_stream stream);
void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t n, int64_t c, cuda_stream stream);
// loss_sum and weight_sum are device pointers; `scale_device` (device, one
// element) is read by the backward kernel so no host round trip is needed.
void cross_entropy_forward(const float* logits, const int32_t* targets, const float* weights, float* probs,
                           float* loss_sum, float* weight_sum, int64_t n, int64_t c, cuda_stream stream);
void cross_entropy_backward(const float* probs, const int32_t* targets, const float* weights,
                            const float* dloss, const float* weight_sum, float* dlogits, int64_t n, int64_t c,
                            cuda_stream stream);
}  // namespace varstar::cuda
