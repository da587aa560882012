// Representation kernel rates (bench/repr_bench.h).
// dm-dt problem: light curves with ZTF-like cadence (data/sim/cadence.h), 2
// bands each of 200..600 points (uniform per band), magnitudes a sinusoid of
// random period and amplitude plus 0.02 mag noise; the thesis edges (|dm|),
// Mahabal's (signed dm), and both in one launch. Reported: pairs with dt > 0
// per second, histogram increments (in-range pairs x geometries) per second
// and that as a share of the atomicAdd ceiling, and GB/s of the least DRAM
// traffic (points in, counts out), which shows the kernel is not memory bound.
// Synthesis: 5,000 stars x 2 bands x 128 points (harmonic-shape's size) and the
// full ZTF catalog's harmonic-thesis (781,602 x 359 points, validated on its
// first 20,000 stars); GB/s of the floats written plus the coefficients read.
#include "bench/repr_bench.h"

#ifdef VARSTAR_HAS_CUDA
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "bench/atomic_ceiling.h"
#include "bench/cuda_timing.h"
#include "data/represent/represent.h"
#include "data/sim/cadence.h"
#include "data/sim/rng.h"
#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/cuda/check.cuh"
#include "kernels/dmdt.h"
#include "kernels/harmonic.h"

namespace varstar::bench {

namespace {

constexpr int kAtomicBins = 512;  // about the dm-dt plans' sizes (242, 506, 748 counters per warp)

template <class T>
struct Buffer {
  T* ptr = nullptr;
  int device;
  Buffer(size_t n, int d) : device(d) { ptr = static_cast<T*>(cuda::device_malloc(std::max<size_t>(n, 1) * sizeof(T), d)); }
  Buffer(const std::vector<T>& host, int d) : Buffer(host.size(), d) {
    if (!host.empty()) cuda::copy_host_to_device(ptr, host.data(), host.size() * sizeof(T), d);
  }
  ~Buffer() { cuda::device_free(ptr, device); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  std::vector<T> to_host(size_t n) const {
    std::vector<T> out(n);
    if (n) cuda::copy_device_to_host(out.data(), ptr, n * sizeof(T), device);
    return out;
  }
};

struct Series {
  std::vector<double> t, m;
  std::vector<int64_t> offsets{0};
  int64_t longest = 0;
};

Series ztf_like_curves(int64_t n_curves, uint64_t seed) {
  Series s;
  sim::Rng rng(seed);
  for (int64_t c = 0; c < n_curves; ++c) {
    const int target_g = 200 + static_cast<int>(rng.uniform() * 401), target_r = 200 + static_cast<int>(rng.uniform() * 401);
    const auto obs = sim::ztf_cadence(rng, target_g, target_r, rng.uniform() * 360);
    const double period = std::exp(std::log(0.2) + rng.uniform() * std::log(500.0)), amp = 0.05 + 1.5 * rng.uniform();
    for (int band = 0; band < 2; ++band) {
      for (const auto& o : obs) {
        if (o.band != band) continue;
        s.t.push_back(o.time);
        s.m.push_back(16 + 0.5 * amp * std::sin(6.283185307179586 * o.time / period) + 0.02 * rng.normal());
      }
      s.offsets.push_back(static_cast<int64_t>(s.t.size()));
      s.longest = std::max(s.longest, s.offsets.back() - s.offsets[s.offsets.size() - 2]);
    }
  }
  return s;
}

}  // namespace

std::vector<KernelRate> bench_representation_kernels(int device, bool quick) {
  std::vector<KernelRate> rows;
  const int reps = quick ? 5 : 15;
  VARSTAR_CUDA_CHECK(cudaSetDevice(device));
  const cuda_stream s = cuda::current_stream(device);

  const double ceiling = shared_atomic_increments_per_s(kAtomicBins, s, reps);
  {
    KernelRate r;
    r.name = "shared atomicAdd ceiling (reference)";
    r.shape = fmt::format("8 warps x {} bins/warp", kAtomicBins);
    r.note = fmt::format("{:.3g} increments/s: the dm-dt kernel's per-pair increment at best", ceiling);
    rows.push_back(r);
  }

  // ---- dm-dt binning ----
  const int64_t n_curves = quick ? 1024 : 4096;
  const Series lc = ztf_like_curves(n_curves, 2024);
  const int64_t n_series = static_cast<int64_t>(lc.offsets.size()) - 1;
  Buffer<double> d_t(lc.t, device), d_m(lc.m, device);
  Buffer<int64_t> d_off(lc.offsets, device);
  struct Plan {
    const char* name;
    bool thesis, mahabal;
  };
  for (const Plan& p : {Plan{"thesis |dm|", true, false}, Plan{"Mahabal signed dm", false, true},
                        Plan{"thesis + Mahabal, one pass", true, true}}) {
    DmdtPlan plan;
    if (p.thesis) plan.geometry[plan.n_geometries++] = make_dmdt_geometry(thesis_dt_edges(), thesis_dm_edges(), true);
    if (p.mahabal)
      plan.geometry[plan.n_geometries++] = make_dmdt_geometry(mahabal_dt_edges(), mahabal_dm_edges(), false);
    const int size = dmdt_plan_size(plan);
    const std::string name = fmt::format("dm-dt binning ({})", p.name);
    const std::string shape = fmt::format("{} LCs x 2 bands, {} pts", n_curves, lc.t.size());
    std::vector<uint32_t> cpu_counts(static_cast<size_t>(n_series * size));
    std::vector<int64_t> cpu_pairs(static_cast<size_t>(n_series));
    cpu::dmdt_histogram_forward(plan, lc.t.data(), lc.m.data(), lc.offsets.data(), n_series, cpu_counts.data(),
                                cpu_pairs.data());
    Buffer<uint32_t> d_counts(cpu_counts.size(), device);
    Buffer<int64_t> d_pairs(cpu_pairs.size(), device);
    const auto launch = [&] {
      cuda::dmdt_histogram_forward(plan, d_t.ptr, d_m.ptr, d_off.ptr, n_series, lc.longest, d_counts.ptr, d_pairs.ptr, s);
    };
    launch();
    cuda::synchronize(device);
    const auto gpu_counts = d_counts.to_host(cpu_counts.size());
    const auto gpu_pairs = d_pairs.to_host(cpu_pairs.size());
    int64_t wrong = 0;
    for (size_t i = 0; i < cpu_counts.size(); ++i) wrong += gpu_counts[i] != cpu_counts[i];
    for (size_t i = 0; i < cpu_pairs.size(); ++i) wrong += gpu_pairs[i] != cpu_pairs[i];
    KernelRate r;
    r.name = name;
    r.shape = shape;
    if (wrong > 0) {
      r.name += fmt::format(": FAILED validation, {} counts differ from the CPU", wrong);
      rows.push_back(r);
      continue;
    }
    double pairs = 0, increments = 0;
    for (int64_t v : cpu_pairs) pairs += static_cast<double>(v);
    for (uint32_t v : cpu_counts) increments += v;
    r.ms = median_event_ms(launch, s, 2, reps);
    const double bytes = 16.0 * lc.t.size() + 8.0 * lc.offsets.size() + 4.0 * cpu_counts.size() + 8.0 * n_series;
    r.gbs = bytes / (r.ms * 1e6);
    const double inc_rate = increments / (r.ms * 1e-3);
    r.note = fmt::format("{:.3g} pairs/s, {:.3g} increments/s = {:.0f}% of the atomicAdd ceiling; validated "
                         "(bit-identical to the CPU)",
                         pairs / (r.ms * 1e-3), inc_rate, 100 * inc_rate / ceiling);
    rows.push_back(r);
  }

  // ---- batched harmonic synthesis ----
  struct Synth {
    const char* name;
    int64_t stars;
    int points;
    bool thesis_phase;
    int64_t validate_stars;
  };
  const int64_t catalog = quick ? 100000 : 781602;
  for (const Synth& p : {Synth{"harmonic synthesis (harmonic-shape size)", 10000, 128, false, 10000},
                         Synth{"harmonic synthesis (harmonic-thesis, catalog)", catalog, 359, true, 20000}}) {
    const int harmonics = 2, stride = harmonic_coeff_stride(harmonics);
    sim::Rng rng(77);
    std::vector<double> coeffs(static_cast<size_t>(p.stars * stride)), phase(p.points);
    for (int64_t i = 0; i < p.stars; ++i) {
      double* c = &coeffs[static_cast<size_t>(i * stride)];
      thesis_harmonic_coefficients(14 + 6 * rng.uniform(), 1.5 * rng.uniform(), rng.uniform(), 6.28 * rng.uniform(), c);
    }
    for (int i = 0; i < p.points; ++i)
      phase[i] = p.thesis_phase ? linspace_point(0.0, 2.0, p.points, i) : static_cast<double>(i) / p.points;
    const size_t n_out = static_cast<size_t>(p.stars) * p.points;
    Buffer<double> d_coeffs(coeffs, device), d_phase(phase, device);
    Buffer<float> d_out(n_out, device);
    const auto launch = [&] {
      cuda::harmonic_synthesis_forward(d_coeffs.ptr, p.stars, harmonics, d_phase.ptr, p.points, d_out.ptr, s);
    };
    launch();
    cuda::synchronize(device);
    const size_t n_check = static_cast<size_t>(p.validate_stars) * p.points;
    std::vector<float> cpu(n_check);
    cpu::harmonic_synthesis_forward(coeffs.data(), p.validate_stars, harmonics, phase.data(), p.points, cpu.data());
    const auto gpu = d_out.to_host(n_check);
    double worst = 0;
    for (size_t i = 0; i < n_check; ++i)
      worst = std::max(worst, std::abs(static_cast<double>(gpu[i]) - cpu[i]) / std::max(1.0, std::abs(static_cast<double>(cpu[i]))));
    KernelRate r;
    r.name = p.name;
    r.shape = fmt::format("{} x {} pts", p.stars, p.points);
    if (!(worst <= data::kHarmonicDeviceTolerance)) {
      r.name += fmt::format(": FAILED validation, relative difference {:.3g}", worst);
      rows.push_back(r);
      continue;
    }
    r.ms = median_event_ms(launch, s, 2, reps);
    r.gbs = (4.0 * n_out + 8.0 * coeffs.size() + 8.0 * phase.size()) / (r.ms * 1e6);
    r.note = fmt::format("{:.3g} points/s; validated on {} stars (largest relative difference {:.2g})",
                         static_cast<double>(n_out) / (r.ms * 1e-3), p.validate_stars, worst);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace varstar::bench

#else  // no CUDA backend

namespace varstar::bench {
std::vector<KernelRate> bench_representation_kernels(int, bool) { return {}; }
}  // namespace varstar::bench

#endif
