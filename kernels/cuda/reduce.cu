// CUDA sum along one dimension of x viewed as (outer, n, inner). Fixed
// summation orders (no atomics), so results repeat run to run:
//   inner == 1: one block per row (warp shuffles); long rows with few of them
//     split into slices first (partial sums in a workspace, then the rows of partials);
//   inner > 1, few outputs, long n: a block of 32 columns x 8 slices of n;
//   otherwise one thread per output.
// Bench: `varstar bench --device cuda --kernels` (sum_dim rows).
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/workspace.h"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;
constexpr int64_t kSliceLength = 1 << 16;   // elements per block in the split row sum
constexpr int64_t kMaxSlices = 1024;
constexpr int64_t kFewOutputs = 1 << 15;    // column sums with fewer outputs split n
constexpr unsigned kColumnTile = 32, kColumnSlices = 8;

// out[r] = sum of row r, row r at x + r * row_stride, n elements with stride 1.
__global__ void row_sum_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t n, int64_t row_stride) {
  const float* row = x + blockIdx.x * row_stride;
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

// partial[o * slices + s] = sum of x[o, s * len : (s + 1) * len]; grid (slices, outer).
__global__ void row_slice_sum_kernel(const float* __restrict__ x, float* __restrict__ partial, int64_t n,
                                     int64_t slice_len) {
  const int64_t o = blockIdx.y, s = blockIdx.x;
  const int64_t begin = s * slice_len;
  const int64_t end = begin + slice_len < n ? begin + slice_len : n;
  const float* row = x + o * n;
  float acc = 0.f;
  for (int64_t k = begin + threadIdx.x; k < end; k += blockDim.x) acc += row[k];
  for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
  __shared__ float warp_sums[kBlock / 32];
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    acc = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.f;
    for (int offset = 16; offset > 0; offset >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, offset);
    if (threadIdx.x == 0) partial[o * gridDim.x + s] = acc;
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

// Block (32, 8): 32 adjacent outputs of one outer index; the 8 rows of threads
// take every 8th k, then add their partials in a fixed order.
__global__ void column_split_sum_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t n,
                                        int64_t inner, int64_t tiles_per_outer) {
  const int64_t o = blockIdx.x / tiles_per_outer;
  const int64_t i = (blockIdx.x % tiles_per_outer) * kColumnTile + threadIdx.x;
  float acc = 0.f;
  if (i < inner) {
    const float* src = x + o * n * inner + i;
    for (int64_t k = threadIdx.y; k < n; k += kColumnSlices) acc += src[k * inner];
  }
  __shared__ float partial[kColumnSlices][kColumnTile + 1];
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && i < inner) {
    float s = 0.f;
    for (unsigned r = 0; r < kColumnSlices; ++r) s += partial[r][threadIdx.x];
    out[o * inner + i] = s;
  }
}
}  // namespace

void sum_dim(const float* x, float* out, int64_t outer, int64_t n, int64_t inner, cuda_stream stream) {
  if (outer * inner == 0) return;
  if (inner == 1 && outer < (int64_t{1} << 31)) {
    if (n > 2 * kSliceLength && outer < 1024) {
      int64_t slices = (n + kSliceLength - 1) / kSliceLength;
      if (slices > kMaxSlices) slices = kMaxSlices;
      const int64_t slice_len = (n + slices - 1) / slices;
      Workspace partial(outer * slices, stream);
      row_slice_sum_kernel<<<dim3(static_cast<unsigned>(slices), static_cast<unsigned>(outer)), kBlock, 0, stream>>>(
          x, partial.data(), n, slice_len);
      VARSTAR_CUDA_CHECK_LAUNCH("sum_dim(row slices)");
      row_sum_kernel<<<static_cast<unsigned>(outer), kBlock, 0, stream>>>(partial.data(), out, slices, slices);
      VARSTAR_CUDA_CHECK_LAUNCH("sum_dim(rows of partials)");
      return;
    }
    row_sum_kernel<<<static_cast<unsigned>(outer), kBlock, 0, stream>>>(x, out, n, n);
    VARSTAR_CUDA_CHECK_LAUNCH("sum_dim(rows)");
    return;
  }
  if (outer * inner <= kFewOutputs && n >= 2 * kColumnSlices) {
    const int64_t tiles = (inner + kColumnTile - 1) / kColumnTile;
    column_split_sum_kernel<<<static_cast<unsigned>(outer * tiles), dim3(kColumnTile, kColumnSlices), 0, stream>>>(
        x, out, n, inner, tiles);
    VARSTAR_CUDA_CHECK_LAUNCH("sum_dim(column tiles)");
    return;
  }
  column_sum_kernel<<<detail::grid_for(outer * inner, kBlock), kBlock, 0, stream>>>(x, out, outer, n, inner);
  VARSTAR_CUDA_CHECK_LAUNCH("sum_dim(columns)");
}

}  // namespace varstar::cuda
