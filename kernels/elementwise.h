#pragma once
// Elementwise kernels: broadcast binary ops and activation functions.
//   binary_forward: out[i] = a[.] op b[.]; geometry == nullptr means a, b and
//     out are contiguous with n elements each.
//   unary_forward:  y = f(x);  unary_backward: dx = f'(x) * dy, from y = f(x).
// Bench: `varstar bench --op elementwise`.
#include "kernels/common.h"
#include "kernels/elementwise_math.h"

namespace varstar::cpu {
template <class T>
void binary_forward(BinaryOp op, const T* a, const T* b, T* out, int64_t n, const BroadcastGeometry* geometry);
template <class T> void unary_forward(UnaryOp op, const T* x, T* y, int64_t n);
template <class T> void unary_backward(UnaryOp op, const T* y, const T* dy, T* dx, int64_t n);
// y = alpha * x + beta (elementwise affine map, used for scalar arithmetic).
template <class T> void affine_forward(const T* x, T* y, int64_t n, T alpha, T beta);
}  // namespace varstar::cpu

namespace varstar::cuda {
void binary_forward(BinaryOp op, const float* a, const float* b, float* out, int64_t n,
                    const BroadcastGeometry* geometry, cuda_stream stream);
void unary_forward(UnaryOp op, const float* x, float* y, int64_t n, cuda_stream stream);
void unary_backward(UnaryOp op, const float* y, const float* dy, float* dx, int64_t n, cuda_stream stream);
void affine_forward(const float* x, float* y, int64_t n, float alpha, float beta, cuda_stream stream);
}  // namespace varstar::cuda
