// CUDA dropout: the same Philox mask as the CPU (kernels/dropout.h).
//   x, y: n contiguous floats; element i uses stream position offset + i, plus
//     *offset_shift when that is not null (a captured graph sets it before each replay).
//   offset % 4 == 0 and x, y 16-byte aligned: one thread per Philox block, whose
//     four words decide four consecutive elements, moved as one float4 (the last
//     n % 4 elements by one thread); otherwise one thread per element, each
//     computing the block of its position and using one of its words.
// Bench: bench_dev_dropout (bench/dev/dropout.cu) against the variants.
#include "kernels/cuda/check.cuh"
#include "kernels/dropout.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__device__ uint64_t shifted(uint64_t offset, const uint64_t* shift) {
  return shift != nullptr ? offset + *shift : offset;
}

__global__ void dropout_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p, uint64_t seed,
                               uint64_t offset_at_capture, const uint64_t* __restrict__ shift) {
  const float scale = 1.f / (1.f - p);
  const uint64_t offset = shifted(offset_at_capture, shift);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = dropout_value(dropout_keep(seed, offset + i, p), x[i], scale);
}

// Preconditions: the shifted offset % 4 == 0 (so elements 4j .. 4j + 3 are
// Philox block offset / 4 + j), x and y 16-byte aligned.
__global__ void dropout_vec4_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p,
                                    uint64_t seed, uint64_t offset_at_capture, const uint64_t* __restrict__ shift) {
  const float scale = 1.f / (1.f - p);
  const uint64_t first = shifted(offset_at_capture, shift) / 4;
  const int64_t n4 = n / 4;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float4* y4 = reinterpret_cast<float4*>(y);
  const int64_t start = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  for (int64_t j = start; j < n4; j += int64_t{gridDim.x} * blockDim.x) {
    const Philox4 r = philox4x32_10(first + static_cast<uint64_t>(j), 0, seed);
    const float4 v = x4[j];
    y4[j] = make_float4(dropout_value(dropout_keep_word(r.v[0], p), v.x, scale),
                        dropout_value(dropout_keep_word(r.v[1], p), v.y, scale),
                        dropout_value(dropout_keep_word(r.v[2], p), v.z, scale),
                        dropout_value(dropout_keep_word(r.v[3], p), v.w, scale));
  }
  if (start == 0 && n4 * 4 < n) {  // the partial last block
    const Philox4 r = philox4x32_10(first + static_cast<uint64_t>(n4), 0, seed);
    for (int64_t i = n4 * 4; i < n; ++i) y[i] = dropout_value(dropout_keep_word(r.v[i - n4 * 4], p), x[i], scale);
  }
}

// One thread, constant indices: the values stay in the parameter space (no local copy).
__global__ void set_philox_shifts_kernel(uint64_t* shifts, PhiloxShifts values) {
#pragma unroll
  for (int i = 0; i < kMaxPhiloxShifts; ++i)
    if (i < values.count) shifts[i] = values.value[i];
}

bool aligned16(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }
}  // namespace

void dropout_apply(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset,
                   const uint64_t* offset_shift, cuda_stream stream) {
  if (n == 0) return;
  if (offset % 4 == 0 && aligned16(x) && aligned16(y)) {
    dropout_vec4_kernel<<<detail::grid_for(n / 4 + 1, kBlock), kBlock, 0, stream>>>(x, y, n, p, seed, offset,
                                                                                     offset_shift);
    VARSTAR_CUDA_CHECK_LAUNCH("dropout_vec4");
  } else {
    dropout_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(x, y, n, p, seed, offset, offset_shift);
    VARSTAR_CUDA_CHECK_LAUNCH("dropout");
  }
}

void set_philox_shifts(uint64_t* device_shifts, const PhiloxShifts& shifts, cuda_stream stream) {
  if (shifts.count == 0) return;
  set_philox_shifts_kernel<<<1, 1, 0, stream>>>(device_shifts, shifts);
  VARSTAR_CUDA_CHECK_LAUNCH("set_philox_shifts");
}

}  // namespace varstar::cuda
