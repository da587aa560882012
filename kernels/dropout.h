#pragma once
// Dropout with a counter-based mask: element i is kept when Philox uniform
// number (seed, offset + i) >= p, so the backward pass regenerates the mask
// instead of storing it, and the CPU and CUDA masks are bit-identical.
//   y = keep ? x / (1 - p) : 0;  dx = keep ? dy / (1 - p) : 0 (same function).
#include "kernels/common.h"
#include "kernels/philox_math.h"

namespace varstar {
// Keep decision from the element's Philox word (one of a block's four words).
VARSTAR_HD bool dropout_keep_word(uint32_t word, float p) { return philox_uniform_of(word) >= p; }
VARSTAR_HD bool dropout_keep(uint64_t seed, uint64_t index, float p) {
  return dropout_keep_word(philox_u32(seed, index), p);
}
// Dropout of one value: kept ones scaled by scale = 1 / (1 - p).
template <class T>
VARSTAR_HD T dropout_value(bool keep, T x, T scale) { return keep ? x * scale : T(0); }
}  // namespace varstar

namespace varstar::cpu {
template <class T> void dropout_apply(const T* x, T* y, int64_t n, float p, uint64_t seed, uint64_t offset);
}  // namespace varstar::cpu

namespace varstar::cuda {
// offset_shift: null, or a device word added to `offset` when the kernel runs
// (a captured CUDA graph's dropout; engine/cuda_graph.h). The float4 path is
// chosen from `offset`, so the shift must be a multiple of 4.
void dropout_apply(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset,
                   const uint64_t* offset_shift, cuda_stream stream);
// Writes shifts.value[0 .. count) to device_shifts[0 .. count), in stream order.
constexpr int kMaxPhiloxShifts = 8;
struct PhiloxShifts {
  uint64_t value[kMaxPhiloxShifts] = {};
  int count = 0;
};
void set_philox_shifts(uint64_t* device_shifts, const PhiloxShifts& shifts, cuda_stream stream);
}  // namespace varstar::cuda
