#pragma once
// Sum along one dimension of a contiguous tensor viewed as (outer, n, inner):
//   out[o, i] = sum_k x[o, k, i]        x: (outer, n, inner), out: (outer, inner)
// Multi-dimension reductions are repeated calls (engine/ops/reduce.cpp).
#include "kernels/common.h"

namespace varstar::cpu {
template <class T> void sum_dim(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);
}  // namespace varstar::cpu

namespace varstar::cuda {
void sum_dim(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, cuda_stream stream);
}  // namespace varstar::cuda
