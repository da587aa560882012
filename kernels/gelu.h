#pragma once
// GELU activation (kernels/gelu_math.h), elementwise over contiguous arrays.
//   gelu_forward:  y = gelu(x)                 x, y: (n)
//   gelu_backward: dx = gelu'(x) * dy          x, dy, dx: (n)
// Bench: `varstar profile --op gelu --shape 32,256,179` (GB/s against the memcpy peak).
#include "kernels/common.h"

namespace varstar::cpu {
template <class T> void gelu_forward(const T* x, T* y, int64_t n);
template <class T> void gelu_backward(const T* x, const T* dy, T* dx, int64_t n);
}  // namespace varstar::cpu

namespace varstar::cuda {
void gelu_forward(const float* x, float* y, int64_t n, cuda_stream stream);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t n, cuda_stream stream);
}  // namespace varstar::cuda
