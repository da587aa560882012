// CUDA sum along one dimension: one warp-cooperative block per output row when
// inner == 1 (row sums), otherwise one thread per (outer, inner) output.
#include "kernels/cuda/check.cuh"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void row_sum_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t n) {
  const float* row = x + blockIdx.x * n;
  float acc = 0.f;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc += row[k];
  for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
  __shared__ float warp_sums[kBlock / 32];
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    acc = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.f;
    for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
    if (threadIdx.x == 0) out[blockIdx.x] = acc;
  }
}

__global__ void column_sum_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t outer, int64_t n,
                                  int64_t inner) {
  const int64_t total = outer * inner;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t o = idx / inner, i = idx % inner;
    const float* src = x + o * n * inner + i;
    float acc = 0.f;
    for (int64_t k = 0; k < n; ++k) acc += src[k * inner];
    out[idx] = acc;
  }
}
}  // namespace

void sum_dim(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, cuda_stream stream) {
  if (outer * inner == 0) return;
  if (inner == 1 && outer < (int64_t{1} << 31)) {
    row_sum_kernel<<<static_cast<unsigned>(outer), kBlock, 0, stream>>>(x, out, n);
  } else {
    column_sum_kernel<<<detail::grid_for(outer * inner, kBlock), kBlock, 0, stream>>>(x, out, outer, n, inner);
  }
  VARSTAR_CUDA_CHECK_LAUNCH("sum_dim");
}

}  // namespace varstar::cuda
