// bench_dev_harmonic: variants of batched harmonic synthesis (kernels/harmonic.h,
// out[s, p] = M_s + sum_k a_sk cos(2 pi k phase_p) + b_sk sin(2 pi k phase_p))
//   1 naive       one thread per (star, point), flat index split by a 64-bit
//                 division, harmonic_eval per point (the production design)
//   2 production  varstar::cuda::harmonic_synthesis_forward (kernels/cuda/harmonic.cu)
//   3 table       the phases are shared by all stars, so cos/sin of every
//                 (harmonic, phase) is computed once into a table by the same
//                 expression as harmonic_eval; a 2-D grid (points x stars)
//                 then does only the multiply-adds. Same operations in the same
//                 order as 1, so its output equals 1's bit for bit
//   4 recurrence  sincos(2 pi phase) once per point, higher harmonics by the
//                 angle-addition recurrence: NOT the same arithmetic, differs
//                 from the CPU by rounding (held to the same tolerance)
// Each variant is compared with the CPU (cpu::harmonic_synthesis_forward) on
// the first stars: largest difference relative to max(1, |cpu|) must stay
// within kMaxRelDiff; the counts of values not bit-identical to the CPU and to
// the naive port are printed (0 expected from production and table vs naive).
// Only then it is timed (CUDA events, median): points/s and GB/s of
// the floats written plus the coefficients and phases read.
// Usage: bench_dev_harmonic [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/harmonic.h"
#include "kernels/philox_math.h"

namespace {

// As data::kHarmonicDeviceTolerance (data/represent/represent.h): 4 float epsilons.
constexpr double kMaxRelDiff = 4.0 * 1.1920928955078125e-07;
constexpr unsigned kBlock = 256;       // naive (1-D)
constexpr unsigned kPointBlock = 128;  // 2-D variants: 359 points fill 3 blocks to 93%
constexpr unsigned kMaxStarBlocks = 65535;

using varstar::harmonic_coeff_stride;
using varstar::kTwoPi;

// 1: one thread per (star, point), grid-stride.
__global__ void naive_kernel(const double* __restrict__ coeffs, int64_t n_stars, int n_harmonics,
                             const double* __restrict__ phase, int64_t n_points, float* __restrict__ out) {
  const int64_t total = n_stars * n_points;
  const int stride = harmonic_coeff_stride(n_harmonics);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t s = i / n_points;
    const int64_t p = i - s * n_points;
    out[i] = static_cast<float>(varstar::harmonic_eval(coeffs + s * stride, n_harmonics, phase[p]));
  }
}

// 3a: table (2K, n_points): row 2(k-1) cos, row 2(k-1)+1 sin of (2 pi k) * phase.
__global__ void trig_table_kernel(const double* __restrict__ phase, int64_t n_points, int n_harmonics,
                                  double* __restrict__ table) {
  const int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (p >= n_points) return;
  for (int k = 1; k <= n_harmonics; ++k) {
    const double angle = (kTwoPi * k) * phase[p];
    table[(2 * k - 2) * n_points + p] = cos(angle);
    table[(2 * k - 1) * n_points + p] = sin(angle);
  }
}

// 3b: grid (points / 128, star blocks); thread p of block (x, y) takes stars
// y, y + gridDim.y, ... The sums follow harmonic_eval's order.
__global__ void table_kernel(const double* __restrict__ coeffs, int64_t n_stars, int n_harmonics,
                             const double* __restrict__ table, int64_t n_points, float* __restrict__ out) {
  const int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (p >= n_points) return;
  const int stride = harmonic_coeff_stride(n_harmonics);
  for (int64_t s = blockIdx.y; s < n_stars; s += gridDim.y) {
    const double* c = coeffs + s * stride;
    double m = c[0];
    for (int k = 1; k <= n_harmonics; ++k) {
      m = m + c[2 * k - 1] * table[(2 * k - 2) * n_points + p];
      m = m + c[2 * k] * table[(2 * k - 1) * n_points + p];
    }
    out[s * n_points + p] = static_cast<float>(m);
  }
}

// 4: as 3b's grid, cos/sin of harmonic k+1 from those of k and 1.
__global__ void recurrence_kernel(const double* __restrict__ coeffs, int64_t n_stars, int n_harmonics,
                                  const double* __restrict__ phase, int64_t n_points, float* __restrict__ out) {
  const int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (p >= n_points) return;
  const int stride = harmonic_coeff_stride(n_harmonics);
  double s1, c1;
  sincos(kTwoPi * phase[p], &s1, &c1);
  for (int64_t s = blockIdx.y; s < n_stars; s += gridDim.y) {
    const double* c = coeffs + s * stride;
    double m = c[0], ck = c1, sk = s1;
    for (int k = 1; k <= n_harmonics; ++k) {
      m = m + c[2 * k - 1] * ck;
      m = m + c[2 * k] * sk;
      const double next_c = ck * c1 - sk * s1;
      sk = sk * c1 + ck * s1;
      ck = next_c;
    }
    out[s * n_points + p] = static_cast<float>(m);
  }
}

struct Problem {
  const char* name;
  int64_t stars;
  int points;
  bool thesis_phase;  // linspace(0, 2, points) as the thesis scripts; else p / points
  int64_t validate_stars;
};

struct Device {
  const double *coeffs, *phase;
  double* table;
  int64_t stars, points;
  int harmonics;
  float* out;
};

dim3 point_star_grid(const Device& d) {
  return dim3(static_cast<unsigned>((d.points + kPointBlock - 1) / kPointBlock),
              static_cast<unsigned>(std::min<int64_t>(d.stars, kMaxStarBlocks)));
}

struct Variant {
  const char* name;
  std::function<void(const Device&, cudaStream_t)> run;
};

std::vector<Variant> variants() {
  return {
      {"naive",
       [](const Device& d, cudaStream_t st) {
         naive_kernel<<<varstar::cuda::detail::grid_for(d.stars * d.points, kBlock), kBlock, 0, st>>>(
             d.coeffs, d.stars, d.harmonics, d.phase, d.points, d.out);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_kernel");
       }},
      {"production",
       [](const Device& d, cudaStream_t st) {
         varstar::cuda::harmonic_synthesis_forward(d.coeffs, d.stars, d.harmonics, d.phase, d.points, d.out, st);
       }},
      {"table",
       [](const Device& d, cudaStream_t st) {
         trig_table_kernel<<<static_cast<unsigned>((d.points + kBlock - 1) / kBlock), kBlock, 0, st>>>(
             d.phase, d.points, d.harmonics, d.table);
         VARSTAR_CUDA_CHECK_LAUNCH("trig_table_kernel");
         table_kernel<<<point_star_grid(d), kPointBlock, 0, st>>>(d.coeffs, d.stars, d.harmonics, d.table, d.points,
                                                             d.out);
         VARSTAR_CUDA_CHECK_LAUNCH("table_kernel");
       }},
      {"recurrence",
       [](const Device& d, cudaStream_t st) {
         recurrence_kernel<<<point_star_grid(d), kPointBlock, 0, st>>>(d.coeffs, d.stars, d.harmonics, d.phase,
                                                                  d.points, d.out);
         VARSTAR_CUDA_CHECK_LAUNCH("recurrence_kernel");
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 5 : 15;
  const int harmonics = 2;
  int failures = 0;
  std::printf("%-30s %-11s %10s %12s %9s %10s %s\n", "problem", "variant", "ms", "points/s", "GB/s", "max rel",
              "values not bit-identical to: CPU, naive");
  for (const Problem& pr : {Problem{"harmonic-shape 10000 x 128", 10000, 128, false, 10000},
                            Problem{"harmonic-thesis catalog x 359", quick ? 100000 : 781602, 359, true, 20000}}) {
    const int stride = harmonic_coeff_stride(harmonics);
    std::vector<double> coeffs(static_cast<size_t>(pr.stars * stride)), phase(pr.points);
    for (int64_t i = 0; i < pr.stars; ++i) {
      const auto u = [&](int k) { return static_cast<double>(varstar::philox_uniform(77, 4 * i + k)); };
      varstar::thesis_harmonic_coefficients(14 + 6 * u(0), 1.5 * u(1), u(2), 6.28 * u(3),
                                            &coeffs[static_cast<size_t>(i * stride)]);
    }
    for (int i = 0; i < pr.points; ++i)
      phase[i] = pr.thesis_phase ? varstar::linspace_point(0.0, 2.0, pr.points, i) : static_cast<double>(i) / pr.points;
    const size_t n_out = static_cast<size_t>(pr.stars) * pr.points;
    const size_t n_check = static_cast<size_t>(pr.validate_stars) * pr.points;
    std::vector<float> ref(n_check);
    varstar::cpu::harmonic_synthesis_forward(coeffs.data(), pr.validate_stars, harmonics, phase.data(), pr.points,
                                             ref.data());
    Device d{nullptr, nullptr, nullptr, pr.stars, pr.points, harmonics, nullptr};
    double *d_coeffs, *d_phase;
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_coeffs, coeffs.size() * sizeof(double)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_phase, phase.size() * sizeof(double)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d.table, 2 * harmonics * phase.size() * sizeof(double)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d.out, n_out * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_coeffs, coeffs.data(), coeffs.size() * sizeof(double), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_phase, phase.data(), phase.size() * sizeof(double), cudaMemcpyHostToDevice));
    d.coeffs = d_coeffs;
    d.phase = d_phase;
    const double bytes = 4.0 * n_out + 8.0 * coeffs.size() + 8.0 * phase.size();
    std::vector<float> got(n_check), naive_out;
    for (const Variant& v : variants()) {
      VARSTAR_CUDA_CHECK(cudaMemsetAsync(d.out, 0xff, n_out * sizeof(float), st));  // NaN: unwritten shows up
      v.run(d, st);
      VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
      VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), d.out, n_check * sizeof(float), cudaMemcpyDeviceToHost));
      double worst = 0;
      if (naive_out.empty()) naive_out = got;  // the first variant is the naive port
      int64_t not_exact = 0, not_naive = 0;
      for (size_t i = 0; i < n_check; ++i) {
        const double diff = std::abs(static_cast<double>(got[i]) - ref[i]) / std::max(1.0, std::abs(double(ref[i])));
        worst = std::isnan(got[i]) ? INFINITY : std::max(worst, diff);
        not_exact += std::memcmp(&got[i], &ref[i], sizeof(float)) != 0;
        not_naive += std::memcmp(&got[i], &naive_out[i], sizeof(float)) != 0;
      }
      // The last value must be written too (validation covers only the first stars).
      float last = 0;
      VARSTAR_CUDA_CHECK(cudaMemcpy(&last, d.out + n_out - 1, sizeof(float), cudaMemcpyDeviceToHost));
      const bool ok = worst <= kMaxRelDiff && !std::isnan(last);
      if (!ok) {
        ++failures;
        std::printf("%-30s %-11s FAILED validation: max relative difference %.3g (limit %.3g)%s; not timed\n",
                    pr.name, v.name, worst, kMaxRelDiff, std::isnan(last) ? ", last value unwritten" : "");
        continue;
      }
      const double ms = varstar::bench::median_event_ms([&] { v.run(d, st); }, st, 2, reps);
      std::printf("%-30s %-11s %10.4f %12.3g %9.1f %10.2g %lld, %lld of %zu\n", pr.name, v.name, ms,
                  static_cast<double>(n_out) / (ms * 1e-3), bytes / (ms * 1e6), worst,
                  static_cast<long long>(not_exact), static_cast<long long>(not_naive), n_check);
    }
    cudaFree(d_coeffs);
    cudaFree(d_phase);
    cudaFree(d.table);
    cudaFree(d.out);
  }
  cudaStreamDestroy(st);
  if (failures == 0) std::printf("all variants within %.3g of the CPU\n", kMaxRelDiff);
  else std::printf("%d variant(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
