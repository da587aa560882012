#pragma once
// Optimizer steps over one parameter tensor of n elements (all contiguous):
//   adam_step: p, m, v updated in place from g (kernels/optim_math.h).
//   sgd_step:  p and the momentum buffer updated in place from g.
#include "kernels/common.h"
#include "kernels/optim_math.h"

namespace varstar::cpu {
template <class T> void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a);
template <class T> void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdParams& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a, cuda_stream stream);
void sgd_step(float* p, const float* g, float* buf, int64_t n, const SgdParams& s, cuda_stream stream);
}  // namespace varstar::cuda
