// CUDA dm-dt histograms (kernels/dmdt.h). Launch: grid (n_series, row_blocks);
// block b of series s takes rows i = b * warps + warp, b * warps + warp +
// (row_blocks * warps), ... and its 32 lanes stride over j > i. Each pair is
// binned with the CPU's own bin_lookup (kernels/dmdt_math.h) into a
// shared-memory histogram private to its WARP (dynamic shared memory, warps x
// bins of all geometries), so the 8 warps of a block never contend on one
// counter; at the end the block sums the warp copies and adds the non-zero
// bins to the series' global counts with atomics. The plan is copied to shared
// memory once per block so the lookup tables are read from on-chip memory.
// Pair counts (dt > 0) are reduced per warp and added atomically.
// Variants in bench/dev/dmdt.cu (bench_dev_dmdt). On an H200 this per-lane
// design beat warp aggregation of equal bins (__match_any_sync: 0.87x;
// neighbour runs: 0.91x; a lane per row with a register run-length: 0.47x):
// the shared atomics on one address are not what limits it.
#include "kernels/cuda/check.cuh"
#include "kernels/dmdt.h"

namespace varstar::cuda {

namespace {

constexpr int kWarps = 8;
constexpr int kBlock = kWarps * 32;
constexpr int kMaxRowBlocks = 64;

__global__ void __launch_bounds__(kBlock) dmdt_histogram_kernel(DmdtPlan plan, const double* __restrict__ t,
                                                                const double* __restrict__ m,
                                                                const int64_t* __restrict__ offsets,
                                                                uint32_t* __restrict__ counts,
                                                                unsigned long long* __restrict__ n_pairs) {
  __shared__ DmdtPlan s_plan;
  extern __shared__ uint32_t s_hist[];  // (kWarps, size): one histogram per warp
  const int64_t s = blockIdx.x;
  const int size = dmdt_plan_size(plan);
  {
    const int words = static_cast<int>(sizeof(DmdtPlan) / sizeof(uint32_t));
    const uint32_t* src = reinterpret_cast<const uint32_t*>(&plan);
    uint32_t* dst = reinterpret_cast<uint32_t*>(&s_plan);
    for (int w = threadIdx.x; w < words; w += blockDim.x) dst[w] = src[w];
    for (int b = threadIdx.x; b < kWarps * size; b += blockDim.x) s_hist[b] = 0;
  }
  __syncthreads();

  const int64_t begin = offsets[s], n = offsets[s + 1] - begin;
  const double* ts = t + begin;
  const double* ms = m + begin;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  uint32_t* my_hist = s_hist + warp * size;
  const int64_t row_stride = int64_t{gridDim.y} * kWarps;
  unsigned long long pairs = 0;
  for (int64_t i = int64_t{blockIdx.y} * kWarps + warp; i + 1 < n; i += row_stride) {
    const double ti = ts[i], mi = ms[i];
    for (int64_t j = i + 1 + lane; j < n; j += 32) {
      const double dt = ts[j] - ti;
      if (!(dt > 0)) continue;
      ++pairs;
      const double dm_signed = ms[j] - mi;
      int o = 0;
      for (int g = 0; g < s_plan.n_geometries; ++g) {
        const DmdtGeometry& geo = s_plan.geometry[g];
        const int bt = bin_lookup(geo.dt, dt);
        if (bt >= 0) {
          const int bm = bin_lookup(geo.dm, geo.abs_dm ? fabs(dm_signed) : dm_signed);
          if (bm >= 0) atomicAdd(&my_hist[o + bm * bin_count(geo.dt) + bt], 1u);
        }
        o += dmdt_image_size(geo);
      }
    }
  }
  for (int off = 16; off > 0; off /= 2) pairs += __shfl_down_sync(0xffffffffu, pairs, off);
  if (lane == 0 && pairs > 0) atomicAdd(n_pairs + s, pairs);
  __syncthreads();
  uint32_t* out = counts + s * size;
  for (int b = threadIdx.x; b < size; b += blockDim.x) {
    uint32_t total = 0;
    for (int w = 0; w < kWarps; ++w) total += s_hist[w * size + b];
    if (total != 0) atomicAdd(out + b, total);
  }
}

}  // namespace

void dmdt_histogram_forward(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                            int64_t n_series, int64_t max_series_length, uint32_t* counts, int64_t* n_pairs,
                            cuda_stream stream) {
  if (n_series == 0) return;
  const int size = dmdt_plan_size(plan);
  VARSTAR_CUDA_CHECK(cudaMemsetAsync(counts, 0, sizeof(uint32_t) * size * n_series, stream));
  VARSTAR_CUDA_CHECK(cudaMemsetAsync(n_pairs, 0, sizeof(int64_t) * n_series, stream));
  int64_t row_blocks = (max_series_length + 4 * kWarps - 1) / (4 * kWarps);  // ~4 rows per warp
  row_blocks = row_blocks < 1 ? 1 : (row_blocks > kMaxRowBlocks ? kMaxRowBlocks : row_blocks);
  const dim3 grid(static_cast<unsigned>(n_series), static_cast<unsigned>(row_blocks));
  static_assert(sizeof(long long) == sizeof(int64_t), "int64_t pair counts are added as unsigned long long");
  const size_t shared = sizeof(uint32_t) * kWarps * static_cast<size_t>(size);  // <= 8 x 1922 x 4 B = 61 KB
  if (shared > 48 * 1024)
    VARSTAR_CUDA_CHECK(cudaFuncSetAttribute(dmdt_histogram_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(shared)));
  dmdt_histogram_kernel<<<grid, kBlock, shared, stream>>>(plan, t, m, offsets, counts,
                                                     reinterpret_cast<unsigned long long*>(n_pairs));
  VARSTAR_CUDA_CHECK_LAUNCH("dmdt_histogram_kernel");
}

}  // namespace varstar::cuda
