// bench_dev_dmdt: variants of the dm-dt histogram (kernels/dmdt.h) on a batch
// of synthetic ZTF-like light curves (2 bands, 200..600 points each, every
// band its own series), for the thesis |dm| plan, Mahabal's signed plan and
// both in one pass:
//   1 naive        one thread per row i, bins by linear scan, global atomics
//   2 per-lane     the production design: a warp per row, lanes stride over
//                  j, per-warp shared histograms, one shared atomic per lane
//                  (here with warp-uniform trip counts, as 3 and 4 need)
//   3 match-any    as 2, lanes with the same bin found by __match_any_sync;
//                  the lowest adds the group's size
//   4 runs         as 2, lanes compared with their left neighbour only; the
//                  head of each run of equal bins adds the run's length
//   5 lane-rle     a lane per row, j walked in order, the count of the current
//                  bin kept in a register and added when the bin changes
//   6 walk         as 2, but each lane's dt bin looked up for its first
//                  pair only, then found by walking up the edges (its dt only
//                  grows along its j); the dm lookup with its scalars in
//                  registers and a float first guess (dmdt_walk_lane,
//                  kernels/dmdt_math.h, run on the CPU by test_repr_dmdt);
//                  lanes stop past the last dt edge; pairs with dt > 0
//                  counted per row by lane 0 (dmdt_row_pairs)
//   7 walk-chunks  as 6, lane l takes the l-th of 32 contiguous chunks of the
//                  row's partners: a lane's dt spans fewer edges, loads are
//                  not coalesced (the series sits in L1)
//   8 production   varstar::cuda::dmdt_histogram_forward (kernels/cuda/dmdt.cu)
// Counts are integers, so every variant must equal the CPU reference
// (cpu::dmdt_histogram_forward) exactly, counts and pair counts; a variant is
// timed (CUDA events, median) only when it does. Reports pairs/s, histogram
// increments/s and their share of the shared-memory atomicAdd ceiling
// (bench/atomic_ceiling.h) measured in the same run.
// Usage: bench_dev_dmdt [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/atomic_ceiling.h"
#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/dmdt.h"
#include "kernels/philox_math.h"

namespace {

using varstar::DmdtGeometry;
using varstar::DmdtPlan;

constexpr int kWarps = 8;
constexpr int kBlock = kWarps * 32;
constexpr int kMaxRowBlocks = 64;
constexpr int kNaiveBlock = 128;
constexpr int kAtomicBins = 512;  // as bench/repr_bench.cpp: about the plans' sizes
constexpr unsigned kFull = 0xffffffffu;

// ---- synthetic light curves ----------------------------------------------------

struct Batch {
  std::vector<double> t, m;
  std::vector<int64_t> offsets{0};
  int64_t longest = 0;
};

static_assert(varstar::kDmdtMaxGeometries == 2, "lane-rle keeps one register run per geometry");

struct Uniform {
  uint64_t seed, i = 0;
  double operator()() { return varstar::philox_uniform(seed, i++); }
};

// ZTF-like sampling: visits a few days apart, some pairs ~30 min apart in one
// night, a seasonal gap now and then, rare repeated times (dt = 0); magnitudes
// a sinusoid (period 0.2..100 d, semi-amplitude 0.02..0.77 mag) plus noise.
Batch ztf_like_batch(int64_t n_curves, uint64_t seed) {
  Batch b;
  for (int64_t c = 0; c < n_curves; ++c) {
    Uniform u{seed + static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ull};
    const double period = std::exp(std::log(0.2) + u() * std::log(500.0)), amp = 0.05 + 1.5 * u();
    const double phase0 = 6.283185307179586 * u(), start = 58200 + 300 * u();
    for (int band = 0; band < 2; ++band) {
      const int n = 200 + static_cast<int>(u() * 401);
      double t = start + u();
      for (int k = 0; k < n; ++k) {
        const double r = u();
        if (r < 0.002) t += 0;                      // repeated time
        else if (r < 0.3) t += 0.01 + 0.04 * u();   // same night
        else if (r < 0.995) t += 1 + 3 * u();       // next visit
        else t += 90 + 60 * u();                    // seasonal gap
        const double noise = 0.02 * (u() + u() + u() - 1.5) * 2;
        b.t.push_back(t);
        b.m.push_back(16 + 0.5 * amp * std::sin(6.283185307179586 * t / period + phase0) + noise);
      }
      b.offsets.push_back(static_cast<int64_t>(b.t.size()));
      b.longest = std::max<int64_t>(b.longest, n);
    }
  }
  return b;
}

// ---- kernels ------------------------------------------------------------------

// Flat bin of one pair in geometry g at offset o, -1 when out of range.
__device__ __forceinline__ int pair_bin(const DmdtGeometry& geo, int o, double dt, double dm_signed) {
  const int bt = varstar::bin_lookup(geo.dt, dt);
  if (bt < 0) return -1;
  const int bm = varstar::bin_lookup(geo.dm, geo.abs_dm ? fabs(dm_signed) : dm_signed);
  return bm < 0 ? -1 : o + bm * varstar::bin_count(geo.dt) + bt;
}

// 1: naive port of cpu::dmdt_histogram_naive. Grid (n_series, rows / 128).
__global__ void naive_kernel(DmdtPlan plan, const double* __restrict__ t, const double* __restrict__ m,
                             const int64_t* __restrict__ offsets, uint32_t* __restrict__ counts,
                             unsigned long long* __restrict__ n_pairs) {
  const int64_t s = blockIdx.x;
  const int64_t begin = offsets[s], n = offsets[s + 1] - begin;
  const int64_t i = int64_t{blockIdx.y} * blockDim.x + threadIdx.x;
  if (i + 1 >= n) return;
  const int size = varstar::dmdt_plan_size(plan);
  uint32_t* hist = counts + s * size;
  const double* ts = t + begin;
  const double* ms = m + begin;
  unsigned long long pairs = 0;
  for (int64_t j = i + 1; j < n; ++j) {
    const double dt = ts[j] - ts[i];
    if (!(dt > 0)) continue;
    ++pairs;
    int o = 0;
    for (int g = 0; g < plan.n_geometries; ++g) {
      const DmdtGeometry& geo = plan.geometry[g];
      const double dm = geo.abs_dm ? fabs(ms[j] - ms[i]) : ms[j] - ms[i];
      const int bt = varstar::bin_lookup_scan(geo.dt.edges, geo.dt.n_edges, dt);
      const int bm = varstar::bin_lookup_scan(geo.dm.edges, geo.dm.n_edges, dm);
      if (bt >= 0 && bm >= 0) atomicAdd(hist + o + bm * varstar::bin_count(geo.dt) + bt, 1u);
      o += varstar::dmdt_image_size(geo);
    }
  }
  if (pairs > 0) atomicAdd(n_pairs + s, pairs);
}

// How the lanes of a warp add their pairs (bins) to the warp's histogram.
enum class Aggregate { per_lane, match_any, runs };

// Every lane calls it (warp-uniform control flow); key < 0: nothing to add.
template <Aggregate A>
__device__ __forceinline__ void warp_add(uint32_t* hist, int key, int lane) {
  if constexpr (A == Aggregate::per_lane) {
    if (key >= 0) atomicAdd(hist + key, 1u);
  } else if constexpr (A == Aggregate::match_any) {
    const unsigned peers = __match_any_sync(kFull, key);
    if (key >= 0 && lane == __ffs(peers) - 1) atomicAdd(hist + key, static_cast<unsigned>(__popc(peers)));
  } else {
    const int left = __shfl_up_sync(kFull, key, 1);
    const bool head = lane == 0 || left != key;
    const unsigned heads = __ballot_sync(kFull, head);
    if (head && key >= 0) {
      const unsigned later = lane == 31 ? 0u : heads & (kFull << (lane + 1));
      const int next = later ? __ffs(later) - 1 : 32;
      atomicAdd(hist + key, static_cast<unsigned>(next - lane));
    }
  }
}

// Plan to shared memory, per-warp histograms zeroed.
__device__ __forceinline__ void block_setup(const DmdtPlan& plan, DmdtPlan& s_plan, uint32_t* s_hist, int words) {
  const int plan_words = static_cast<int>(sizeof(DmdtPlan) / sizeof(uint32_t));
  const uint32_t* src = reinterpret_cast<const uint32_t*>(&plan);
  uint32_t* dst = reinterpret_cast<uint32_t*>(&s_plan);
  for (int w = threadIdx.x; w < plan_words; w += blockDim.x) dst[w] = src[w];
  for (int b = threadIdx.x; b < words; b += blockDim.x) s_hist[b] = 0;
  __syncthreads();
}

// Pair counts reduced per warp; warp histograms summed and added to the series.
__device__ __forceinline__ void block_finish(const uint32_t* s_hist, int size, unsigned long long pairs, int lane,
                                             uint32_t* out, unsigned long long* n_pairs) {
  for (int off = 16; off > 0; off /= 2) pairs += __shfl_down_sync(kFull, pairs, off);
  if (lane == 0 && pairs > 0) atomicAdd(n_pairs, pairs);
  __syncthreads();
  for (int b = threadIdx.x; b < size; b += blockDim.x) {
    uint32_t total = 0;
    for (int w = 0; w < kWarps; ++w) total += s_hist[w * size + b];
    if (total != 0) atomicAdd(out + b, total);
  }
}

// One series' points and this thread's place, as the variants below see them.
struct SeriesRows {
  const DmdtPlan& plan;  // in shared memory
  const double* ts;
  const double* ms;
  int64_t n;
  int warp, lane;
  uint32_t* hist;  // this warp's
};

// 2-4, 5, 6-7: grid (n_series, row_blocks), one series per block row; the
// plan in shared memory, a histogram per warp; Rows::run(SeriesRows) bins its
// share of the rows and returns its count of pairs with dt > 0.
template <class Rows>
__global__ void __launch_bounds__(kBlock) shared_hist_kernel(DmdtPlan plan, const double* __restrict__ t,
                                                             const double* __restrict__ m,
                                                             const int64_t* __restrict__ offsets,
                                                             uint32_t* __restrict__ counts,
                                                             unsigned long long* __restrict__ n_pairs) {
  __shared__ DmdtPlan s_plan;
  extern __shared__ uint32_t s_hist[];  // (kWarps, size)
  const int64_t s = blockIdx.x;
  const int size = varstar::dmdt_plan_size(plan);
  block_setup(plan, s_plan, s_hist, kWarps * size);
  const int64_t begin = offsets[s];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const SeriesRows rows{s_plan, t + begin, m + begin, offsets[s + 1] - begin, warp, lane, s_hist + warp * size};
  block_finish(s_hist, size, Rows::run(rows), lane, counts + s * size, n_pairs + s);
}

// 2-4: warp w of block b takes rows b * 8 + w, then every row_blocks * 8; its
// lanes take j = i + 1 + lane, + 32, ...
template <Aggregate A>
struct WarpRows {
  __device__ static unsigned long long run(const SeriesRows& r) {
    unsigned long long pairs = 0;
    for (int64_t i = int64_t{blockIdx.y} * kWarps + r.warp; i + 1 < r.n; i += int64_t{gridDim.y} * kWarps) {
      const double ti = r.ts[i], mi = r.ms[i];
      for (int64_t j0 = i + 1; j0 < r.n; j0 += 32) {  // warp-uniform bounds: every lane reaches warp_add
        const int64_t j = j0 + r.lane;
        double dt = 0, dm = 0;
        if (j < r.n) {
          dt = r.ts[j] - ti;
          dm = r.ms[j] - mi;
        }
        const bool valid = dt > 0;
        pairs += valid;
        int o = 0;
        for (int g = 0; g < r.plan.n_geometries; ++g) {
          const DmdtGeometry& geo = r.plan.geometry[g];
          warp_add<A>(r.hist, valid ? pair_bin(geo, o, dt, dm) : -1, r.lane);
          o += varstar::dmdt_image_size(geo);
        }
      }
    }
    return pairs;
  }
};

// One row of lane-rle: j walks i+1..n-1 in order, the count of the current
// bin of each geometry kept in a register and added when the bin changes.
__device__ __forceinline__ unsigned long long lane_rle_row(const DmdtPlan& plan, int o1, const double* ts,
                                                           const double* ms, int64_t i, int64_t n, uint32_t* hist) {
  const double ti = ts[i], mi = ms[i];
  int key[varstar::kDmdtMaxGeometries] = {-1, -1};
  uint32_t run[varstar::kDmdtMaxGeometries] = {0, 0};
  unsigned long long pairs = 0;
  for (int64_t j = i + 1; j < n; ++j) {
    const double dt = ts[j] - ti;
    if (!(dt > 0)) continue;
    ++pairs;
    const double dm = ms[j] - mi;
#pragma unroll
    for (int g = 0; g < varstar::kDmdtMaxGeometries; ++g) {
      if (g >= plan.n_geometries) break;
      const int k = pair_bin(plan.geometry[g], g == 0 ? 0 : o1, dt, dm);
      if (k != key[g]) {
        if (key[g] >= 0) atomicAdd(hist + key[g], run[g]);
        key[g] = k;
        run[g] = 0;
      }
      ++run[g];
    }
  }
#pragma unroll
  for (int g = 0; g < varstar::kDmdtMaxGeometries; ++g)
    if (key[g] >= 0) atomicAdd(hist + key[g], run[g]);
  return pairs;
}

// 5: thread r takes rows r and n-2-r (n-1 partners together, so the lanes of
// a warp finish together), r = b * 256 + thread, then every row_blocks * 256;
// neighbouring lanes read neighbouring j.
struct LaneRleRows {
  __device__ static unsigned long long run(const SeriesRows& r) {
    const int o1 = varstar::dmdt_image_size(r.plan.geometry[0]);
    unsigned long long pairs = 0;
    for (int64_t k = int64_t{blockIdx.y} * kBlock + threadIdx.x; 2 * k < r.n - 1; k += int64_t{gridDim.y} * kBlock) {
      pairs += lane_rle_row(r.plan, o1, r.ts, r.ms, k, r.n, r.hist);
      if (r.n - 2 - k != k) pairs += lane_rle_row(r.plan, o1, r.ts, r.ms, r.n - 2 - k, r.n, r.hist);
    }
    return pairs;
  }
};

// 6, 7: rows as 2-4; lanes j = i + 1 + lane, + 32, ... (kChunks false) or the
// lane-th of 32 contiguous chunks of the row's partners (true).
template <bool kChunks>
struct WalkRows {
  __device__ static unsigned long long run(const SeriesRows& r) {
    const auto count = [&](int bin) { atomicAdd(r.hist + bin, 1u); };
    unsigned long long pairs = 0;
    for (int64_t i = int64_t{blockIdx.y} * kWarps + r.warp; i + 1 < r.n; i += int64_t{gridDim.y} * kWarps) {
      if (kChunks) {
        const int64_t chunk = (r.n - i - 1 + 31) / 32, first = i + 1 + r.lane * chunk;
        varstar::dmdt_walk_lane(r.plan, r.ts, r.ms, i, first, first + chunk < r.n ? first + chunk : r.n, 1, count);
      } else {
        varstar::dmdt_walk_lane(r.plan, r.ts, r.ms, i, i + 1 + r.lane, r.n, 32, count);
      }
      if (r.lane == 0) pairs += static_cast<unsigned long long>(varstar::dmdt_row_pairs(r.ts, r.n, i));
    }
    return pairs;
  }
};

// ---- launchers ----------------------------------------------------------------

struct Device {
  const double *t, *m;
  const int64_t* offsets;
  int64_t n_series, longest;
  uint32_t* counts;
  int64_t* pairs;
};

void zero(const DmdtPlan& plan, const Device& d, cudaStream_t st) {
  VARSTAR_CUDA_CHECK(
      cudaMemsetAsync(d.counts, 0, sizeof(uint32_t) * varstar::dmdt_plan_size(plan) * d.n_series, st));
  VARSTAR_CUDA_CHECK(cudaMemsetAsync(d.pairs, 0, sizeof(int64_t) * d.n_series, st));
}

unsigned row_blocks(int64_t longest, int64_t rows_per_block) {
  const int64_t b = (longest + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned>(std::clamp<int64_t>(b, 1, kMaxRowBlocks));
}

template <class Kernel>
void launch_shared(Kernel kernel, const char* name, unsigned rows, const DmdtPlan& plan, const Device& d,
                   cudaStream_t st) {
  zero(plan, d, st);
  const size_t shared = sizeof(uint32_t) * kWarps * static_cast<size_t>(varstar::dmdt_plan_size(plan));
  if (shared > 48 * 1024)
    VARSTAR_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)));
  kernel<<<dim3(static_cast<unsigned>(d.n_series), rows), kBlock, shared, st>>>(
      plan, d.t, d.m, d.offsets, d.counts, reinterpret_cast<unsigned long long*>(d.pairs));
  VARSTAR_CUDA_CHECK_LAUNCH(name);
}

using Launch = std::function<void(const DmdtPlan&, const Device&, cudaStream_t)>;

struct Variant {
  const char* name;
  Launch run;
};

std::vector<Variant> variants() {
  return {
      {"naive",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         zero(p, d, st);
         const unsigned rows = static_cast<unsigned>((d.longest + kNaiveBlock - 1) / kNaiveBlock);
         naive_kernel<<<dim3(static_cast<unsigned>(d.n_series), rows), kNaiveBlock, 0, st>>>(
             p, d.t, d.m, d.offsets, d.counts, reinterpret_cast<unsigned long long*>(d.pairs));
         VARSTAR_CUDA_CHECK_LAUNCH("naive_kernel");
       }},
      {"per-lane",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<WarpRows<Aggregate::per_lane>>, "per-lane",
                       row_blocks(d.longest, 4 * kWarps), p, d, st);
       }},
      {"match-any",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<WarpRows<Aggregate::match_any>>, "match-any",
                       row_blocks(d.longest, 4 * kWarps), p, d, st);
       }},
      {"runs",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<WarpRows<Aggregate::runs>>, "runs", row_blocks(d.longest, 4 * kWarps), p,
                       d, st);
       }},
      {"lane-rle",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<LaneRleRows>, "lane-rle", row_blocks(d.longest, 2 * kBlock), p, d, st);
       }},
      {"walk",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<WalkRows<false>>, "walk", row_blocks(d.longest, 4 * kWarps), p, d, st);
       }},
      {"walk-chunks",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         launch_shared(shared_hist_kernel<WalkRows<true>>, "walk-chunks", row_blocks(d.longest, 4 * kWarps), p, d, st);
       }},
      {"production",
       [](const DmdtPlan& p, const Device& d, cudaStream_t st) {
         varstar::cuda::dmdt_histogram_forward(p, d.t, d.m, d.offsets, d.n_series, d.longest, d.counts, d.pairs, st);
       }},
  };
}

template <class T>
T* upload(const std::vector<T>& host) {
  T* p = nullptr;
  VARSTAR_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(host.size(), 1) * sizeof(T)));
  VARSTAR_CUDA_CHECK(cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 5 : 15;
  const int64_t n_curves = quick ? 1024 : 4096;
  const Batch batch = ztf_like_batch(n_curves, 2024);
  const int64_t n_series = static_cast<int64_t>(batch.offsets.size()) - 1;
  const double ceiling = varstar::bench::shared_atomic_increments_per_s(kAtomicBins, st, reps);
  std::printf("batch: %lld light curves x 2 bands = %lld series, %zu points, longest %lld\n",
              static_cast<long long>(n_curves), static_cast<long long>(n_series), batch.t.size(),
              static_cast<long long>(batch.longest));
  std::printf("shared atomicAdd ceiling: %.3g increments/s (8 warps x %d bins/warp)\n", ceiling, kAtomicBins);

  double* d_t = upload(batch.t);
  double* d_m = upload(batch.m);
  int64_t* d_off = upload(batch.offsets);
  struct Plan {
    const char* name;
    bool thesis, mahabal;
  };
  int failures = 0;
  std::printf("%-22s %-11s %10s %12s %12s %9s %s\n", "plan", "variant", "ms", "pairs/s", "incr/s", "% ceil",
              "vs production");
  for (const Plan& pl : {Plan{"thesis |dm|", true, false}, Plan{"Mahabal signed dm", false, true},
                         Plan{"thesis + Mahabal", true, true}}) {
    DmdtPlan plan;
    if (pl.thesis)
      plan.geometry[plan.n_geometries++] =
          varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
    if (pl.mahabal)
      plan.geometry[plan.n_geometries++] =
          varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
    const size_t size = static_cast<size_t>(varstar::dmdt_plan_size(plan));
    std::vector<uint32_t> ref(n_series * size);
    std::vector<int64_t> ref_pairs(n_series);
    varstar::cpu::dmdt_histogram_forward(plan, batch.t.data(), batch.m.data(), batch.offsets.data(), n_series,
                                         ref.data(), ref_pairs.data());
    double pairs = 0, increments = 0;
    for (int64_t v : ref_pairs) pairs += static_cast<double>(v);
    for (uint32_t v : ref) increments += v;
    Device d{d_t, d_m, d_off, n_series, batch.longest, nullptr, nullptr};
    VARSTAR_CUDA_CHECK(cudaMalloc(&d.counts, ref.size() * sizeof(uint32_t)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d.pairs, ref_pairs.size() * sizeof(int64_t)));
    std::vector<std::pair<const char*, double>> times;
    double production_ms = NAN;
    for (const Variant& v : variants()) {
      // Poison first: a variant that forgets to zero or to count shows up.
      VARSTAR_CUDA_CHECK(cudaMemsetAsync(d.counts, 0xab, ref.size() * sizeof(uint32_t), st));
      VARSTAR_CUDA_CHECK(cudaMemsetAsync(d.pairs, 0xab, ref_pairs.size() * sizeof(int64_t), st));
      v.run(plan, d, st);
      VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
      std::vector<uint32_t> got(ref.size());
      std::vector<int64_t> got_pairs(ref_pairs.size());
      VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), d.counts, got.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost));
      VARSTAR_CUDA_CHECK(
          cudaMemcpy(got_pairs.data(), d.pairs, got_pairs.size() * sizeof(int64_t), cudaMemcpyDeviceToHost));
      int64_t wrong = 0;
      for (size_t i = 0; i < ref.size(); ++i) wrong += got[i] != ref[i];
      for (size_t i = 0; i < ref_pairs.size(); ++i) wrong += got_pairs[i] != ref_pairs[i];
      if (wrong > 0) {
        ++failures;
        std::printf("%-22s %-11s FAILED validation: %lld counts differ from the CPU; not timed\n", pl.name, v.name,
                    static_cast<long long>(wrong));
        continue;
      }
      const double ms = varstar::bench::median_event_ms([&] { v.run(plan, d, st); }, st, 2, reps);
      times.emplace_back(v.name, ms);
      if (std::strcmp(v.name, "production") == 0) production_ms = ms;
    }
    for (const auto& [name, ms] : times) {
      const double inc_rate = increments / (ms * 1e-3);
      std::printf("%-22s %-11s %10.3f %12.3g %12.3g %8.1f%% %6.2fx\n", pl.name, name, ms, pairs / (ms * 1e-3),
                  inc_rate, 100 * inc_rate / ceiling, production_ms / ms);
    }
    cudaFree(d.counts);
    cudaFree(d.pairs);
  }
  cudaFree(d_t);
  cudaFree(d_m);
  cudaFree(d_off);
  cudaStreamDestroy(st);
  if (failures == 0) std::printf("all variants bit-identical to the CPU\n");
  else std::printf("%d variant(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
