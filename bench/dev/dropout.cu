// bench_dev_dropout: variants of dropout (kernels/dropout.h): element i is kept
// when Philox uniform (seed, offset + i) >= p, y = keep ? x / (1 - p) : 0; the
// backward pass is the same function applied to dy (the mask is regenerated,
// never stored). x, y: any shape, contiguous, n elements.
//   1 naive       one thread per element, one launch block per 256 elements
//   2 production  varstar::cuda::dropout_apply (kernels/cuda/dropout.cu: 4 where
//                 offset % 4 == 0 and x, y are 16-byte aligned, else 5)
//   3 philox4     one thread per Philox block: its four words decide the four
//                 elements of stream positions 4g .. 4g + 3 (4x fewer Philox
//                 rounds); scalar loads and stores, any offset
//   4 philox4-vec as 3 with float4 loads and stores; needs offset % 4 == 0
//                 (Generator::reserve hands out only such offsets) and 16-byte
//                 aligned x, y; the last n % 4 elements one by one
//   5 previous    production before 4 was promoted (still its fallback): grid-stride,
//                 one full Philox4x32-10 block per element, 3 of its 4 words unused
// The draw is integer arithmetic and the scaling one float multiply, so every
// variant must equal the CPU (kernels/cpu/dropout.cpp) bit for bit: inputs are
// never zero, so equal outputs also mean equal masks; the kept count is
// printed. Only then it is timed (CUDA events, median). GB/s count 8 B per
// element (read x, write y), shown next to a device-to-device copy of the same
// size timed in the same run and as "x prod", the production kernel's time over
// the variant's. Sizes: the 2D-CNN (scripts) dropouts at batch 32 (after the
// pool: 32 x 64 x 45 x 26; after fc1: 32 x 512), 2^26 elements (2^24 with
// --quick), and an odd 2^20 + 3 at an offset that is not a multiple of 4.
// Usage: bench_dev_dropout [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/dropout.h"
#include "kernels/philox_math.h"

namespace {

constexpr unsigned kBlock = 256;

using varstar::Philox4;
using varstar::philox4x32_10;

// ---- 1: one thread per element ----
__global__ void naive_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p, uint64_t seed,
                             uint64_t offset) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < n) y[i] = varstar::dropout_keep(seed, offset + i, p) ? x[i] * (1.f / (1.f - p)) : 0.f;
}

// ---- 5: previous production: grid-stride, one Philox block per element ----
__global__ void previous_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p, uint64_t seed,
                                uint64_t offset) {
  const float scale = 1.f / (1.f - p);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = varstar::dropout_keep(seed, offset + i, p) ? x[i] * scale : 0.f;
}

// kernels/philox_math.h's philox_uniform, from the word philox_u32 would return.
__device__ __forceinline__ float uniform_of(uint32_t word) { return varstar::philox_uniform_of(word); }

// ---- 3: one thread per Philox block ----
// Block g covers stream positions 4g .. 4g + 3, i.e. elements 4g - offset + {0..3}.
__global__ void philox4_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p, uint64_t seed,
                               uint64_t offset) {
  const float scale = 1.f / (1.f - p);
  const uint64_t first = offset >> 2, blocks = ((offset + n - 1) >> 2) - first + 1;
  for (uint64_t j = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; j < blocks;
       j += uint64_t{gridDim.x} * blockDim.x) {
    const Philox4 r = philox4x32_10(first + j, 0, seed);
    const int64_t base = static_cast<int64_t>(4 * (first + j) - offset);  // element of word 0; may be < 0
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const int64_t i = base + w;
      if (i >= 0 && i < n) y[i] = uniform_of(r.v[w]) >= p ? x[i] * scale : 0.f;
    }
  }
}

// ---- 4: as 3 with float4; offset % 4 == 0, so block j is elements 4j .. 4j + 3 ----
__global__ void philox4_vec_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float p,
                                   uint64_t seed, uint64_t offset) {
  const float scale = 1.f / (1.f - p);
  const uint64_t first = offset >> 2;
  const int64_t n4 = n / 4, stride = int64_t{gridDim.x} * blockDim.x;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  float4* y4 = reinterpret_cast<float4*>(y);
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < n4; j += stride) {
    const Philox4 r = philox4x32_10(first + j, 0, seed);
    const float4 v = x4[j];
    y4[j] = make_float4(uniform_of(r.v[0]) >= p ? v.x * scale : 0.f, uniform_of(r.v[1]) >= p ? v.y * scale : 0.f,
                        uniform_of(r.v[2]) >= p ? v.z * scale : 0.f, uniform_of(r.v[3]) >= p ? v.w * scale : 0.f);
  }
  const int64_t tail = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (tail == 0 && n4 * 4 < n) {  // one thread: the partial last block
    const Philox4 r = philox4x32_10(first + n4, 0, seed);
    for (int64_t i = n4 * 4; i < n; ++i) y[i] = uniform_of(r.v[i - n4 * 4]) >= p ? x[i] * scale : 0.f;
  }
}

struct Args {
  const float* in;  // x (forward) or dy (backward)
  float* out;       // y or dx
  int64_t n;
  float p;
  uint64_t seed, offset;
};

using Run = std::function<void(const Args&, cudaStream_t)>;

struct Variant {
  const char* name;
  Run run;
  bool needs_aligned_offset;  // offset % 4 == 0
};

unsigned philox_blocks_grid(const Args& a) {
  return varstar::cuda::detail::grid_for(static_cast<int64_t>(((a.offset + a.n - 1) >> 2) - (a.offset >> 2) + 1),
                                         kBlock);
}

std::vector<Variant> variants() {
  return {
      {"naive",
       [](const Args& a, cudaStream_t st) {
         naive_kernel<<<static_cast<unsigned>((a.n + kBlock - 1) / kBlock), kBlock, 0, st>>>(a.in, a.out, a.n, a.p,
                                                                                             a.seed, a.offset);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_kernel");
       },
       false},
      {"production",
       [](const Args& a, cudaStream_t st) {
         varstar::cuda::dropout_apply(a.in, a.out, a.n, a.p, a.seed, a.offset, nullptr, st);
       },
       false},
      {"philox4",
       [](const Args& a, cudaStream_t st) {
         philox4_kernel<<<philox_blocks_grid(a), kBlock, 0, st>>>(a.in, a.out, a.n, a.p, a.seed, a.offset);
         VARSTAR_CUDA_CHECK_LAUNCH("philox4_kernel");
       },
       false},
      {"philox4-vec",
       [](const Args& a, cudaStream_t st) {
         philox4_vec_kernel<<<varstar::cuda::detail::grid_for(a.n / 4 + 1, kBlock), kBlock, 0, st>>>(
             a.in, a.out, a.n, a.p, a.seed, a.offset);
         VARSTAR_CUDA_CHECK_LAUNCH("philox4_vec_kernel");
       },
       true},
      {"previous",
       [](const Args& a, cudaStream_t st) {
         previous_kernel<<<varstar::cuda::detail::grid_for(a.n, kBlock), kBlock, 0, st>>>(a.in, a.out, a.n, a.p,
                                                                                         a.seed, a.offset);
         VARSTAR_CUDA_CHECK_LAUNCH("previous_kernel");
       },
       false},
  };
}

struct Case {
  const char* name;
  int64_t n;
  float p;
  uint64_t offset;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 10 : 50;
  const uint64_t seed = 42 ^ 0xd509u;  // the 2D-CNN (scripts)'s dropout generator for the default seed
  int failures = 0;
  const std::vector<Case> cases = {
      // The offsets of the first training step: drop1 reserves first, drop2 right after it.
      {"drop1 32x64x45x26", int64_t{32} * 64 * 45 * 26, 0.1f, 0},
      {"drop2 32x512", int64_t{32} * 512, 0.1f, uint64_t{32} * 64 * 45 * 26},
      // Far into the stream: the counter's upper 32-bit word is not zero.
      {quick ? "2^24" : "2^26", int64_t{1} << (quick ? 24 : 26), 0.1f, uint64_t{1} << 36},
      {"odd 2^20+3", (int64_t{1} << 20) + 3, 0.37f, 4 * 12345 + 2},
  };
  std::printf("%-18s %-4s %-12s %10s %9s %8s %7s %10s\n", "case", "op", "variant", "ms", "GB/s", "x prod", "% copy",
              "kept");
  for (const Case& cs : cases) {
    const int64_t n = cs.n;
    std::vector<float> x(n), dy(n);
    for (int64_t i = 0; i < n; ++i) {  // never zero: equal outputs mean equal masks
      x[i] = 0.5f + varstar::philox_uniform(7, i);
      dy[i] = -0.5f - varstar::philox_uniform(8, i);
    }
    std::vector<float> ref_y(n), ref_dx(n);
    varstar::cpu::dropout_apply<float>(x.data(), ref_y.data(), n, cs.p, seed, cs.offset);
    varstar::cpu::dropout_apply<float>(dy.data(), ref_dx.data(), n, cs.p, seed, cs.offset);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) kept += ref_y[i] != 0.f;
    float *d_x, *d_dy, *d_out;
    for (float** ptr : {&d_x, &d_dy, &d_out}) VARSTAR_CUDA_CHECK(cudaMalloc(ptr, n * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_x, x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_dy, dy.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    const double copy_ms = varstar::bench::median_event_ms(
        [&] { VARSTAR_CUDA_CHECK(cudaMemcpyAsync(d_out, d_x, n * sizeof(float), cudaMemcpyDeviceToDevice, st)); }, st,
        3, reps);
    const double copy_gbs = 8.0 * n / (copy_ms * 1e6);
    std::printf("%-18s %-4s %-12s %10.4f %9.1f %8s %6.0f%%\n", cs.name, "copy", "memcpy", copy_ms, copy_gbs, "-",
                100.0);
    struct Row {
      const char* op;
      const char* variant;
      double ms;  // NaN: not timed
      int64_t kept;
      const char* note;
    };
    std::vector<Row> rows;
    std::vector<float> got(n);
    for (const Variant& v : variants()) {
      for (const bool fwd : {true, false}) {
        const char* op = fwd ? "fwd" : "bwd";
        if (v.needs_aligned_offset && cs.offset % 4 != 0) {
          rows.push_back({op, v.name, NAN, 0, "n/a: needs offset % 4 == 0"});
          continue;
        }
        const Args a{fwd ? d_x : d_dy, d_out, n, cs.p, seed, cs.offset};
        VARSTAR_CUDA_CHECK(cudaMemsetAsync(d_out, 0xff, n * sizeof(float), st));  // NaN: unwritten shows up
        v.run(a, st);
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
        VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), d_out, n * sizeof(float), cudaMemcpyDeviceToHost));
        int64_t got_kept = 0;
        for (int64_t i = 0; i < n; ++i) got_kept += got[i] != 0.f;
        if (std::memcmp(got.data(), (fwd ? ref_y : ref_dx).data(), n * sizeof(float)) != 0) {
          ++failures;
          rows.push_back({op, v.name, NAN, got_kept, "FAILED validation: not bit-identical to the CPU; not timed"});
          continue;
        }
        rows.push_back({op, v.name, varstar::bench::median_event_ms([&] { v.run(a, st); }, st, 3, reps), got_kept,
                        ""});
      }
    }
    for (const char* op : {"fwd", "bwd"}) {
      double prod_ms = NAN;
      for (const Row& r : rows)
        if (std::strcmp(r.op, op) == 0 && std::strcmp(r.variant, "production") == 0) prod_ms = r.ms;
      for (const Row& r : rows) {
        if (std::strcmp(r.op, op) != 0) continue;
        if (std::isnan(r.ms)) {
          std::printf("%-18s %-4s %-12s %10s %9s %8s %7s %10lld %s\n", cs.name, r.op, r.variant, "-", "-", "-", "-",
                      static_cast<long long>(r.kept), r.note);
          continue;
        }
        const double gbs = 8.0 * n / (r.ms * 1e6);
        std::printf("%-18s %-4s %-12s %10.4f %9.1f %8.2f %6.0f%% %10lld\n", cs.name, r.op, r.variant, r.ms, gbs,
                    prod_ms / r.ms, 100 * gbs / copy_gbs, static_cast<long long>(r.kept));
      }
    }
    std::printf("%-18s CPU keeps %lld of %lld (p = %.2f)\n", cs.name, static_cast<long long>(kept),
                static_cast<long long>(n), static_cast<double>(cs.p));
    for (float* ptr : {d_x, d_dy, d_out}) cudaFree(ptr);
  }
  cudaStreamDestroy(st);
  if (failures == 0) std::printf("all variants bit-identical to the CPU (outputs and masks)\n");
  else std::printf("%d variant run(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
