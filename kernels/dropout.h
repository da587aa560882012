#pragma once
// Dropout with a counter-based mask: element i is kept when Philox uniform
// number (seed, offset + i) >= p, so the backward pass regenerates the mask
// instead of storing it, and the CPU and CUDA masks are bit-identical.
//   y = keep ? x / (1 - p) : 0;  dx = keep ? dy / (1 - p) : 0 (same function).
#include "kernels/common.h"
#include "kernels/philox_math.h"

namespace varstar {
VARSTAR_HD bool dropout_keep(uint64_t seed, uint64_t index, float p) { return philox_uniform(seed, index) >= p; }
}  // namespace varstar

namespace varstar::cpu {
template <class T> void dropout_apply(const T* x, T* y, int64_t n, float p, uint64_t seed, uint64_t offset);
}  // namespace varstar::cpu

namespace varstar::cuda {
void dropout_apply(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset, cuda_stream stream);
}  // namespace varstar::cuda
