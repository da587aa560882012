// CUDA twins of the representation kernels against the CPU reference
// (label cuda; skipped with a message without the CUDA backend or a GPU):
// batched harmonic synthesis and dm-dt histograms of many series, odd sizes,
// fixed seeds, both edge sets in one launch.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/cuda_backend.h"
#include "kernels/dmdt.h"
#include "kernels/harmonic.h"

namespace {

// Both backends compute in double; the only difference is the device's
// cos/sin (a few ulp) before the final float conversion.
constexpr double kHarmonicParityTolerance = 1e-5;  // mag, for values ~15

template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) {
    ptr = static_cast<T*>(varstar::cuda::device_malloc(std::max<size_t>(1, n) * sizeof(T), 0));
  }
  DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    if (n) varstar::cuda::copy_host_to_device(ptr, host.data(), n * sizeof(T), 0);
  }
  ~DeviceBuffer() { varstar::cuda::device_free(ptr, 0); }
  std::vector<T> to_host() const {
    std::vector<T> out(n);
    if (n) varstar::cuda::copy_device_to_host(out.data(), ptr, n * sizeof(T), 0);
    return out;
  }
};

}  // namespace

std::string varstar_test_skip_reason() {
#ifndef VARSTAR_HAS_CUDA
  return "built without the CUDA backend: CUDA parity tests not run";
#else
  if (varstar::cuda::device_count() == 0) return "no GPU: " + varstar::cuda::unavailable_reason();
  return {};
#endif
}

#ifdef VARSTAR_HAS_CUDA

TEST_CASE("harmonic synthesis: CUDA equals CPU") {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(-1, 1);
  const int64_t stars = 37, points = 359;
  const int harmonics = 3;
  std::vector<double> coeffs(stars * (2 * harmonics + 1)), phase(points);
  for (size_t i = 0; i < coeffs.size(); ++i) coeffs[i] = i % (2 * harmonics + 1) == 0 ? 15 + u(rng) : u(rng);
  for (int64_t p = 0; p < points; ++p) phase[p] = varstar::linspace_point(0, 2, static_cast<int>(points), static_cast<int>(p));
  std::vector<float> cpu(stars * points);
  varstar::cpu::harmonic_synthesis_forward(coeffs.data(), stars, harmonics, phase.data(), points, cpu.data());
  DeviceBuffer<double> d_coeffs(coeffs), d_phase(phase);
  DeviceBuffer<float> d_out(stars * points);
  varstar::cuda::harmonic_synthesis_forward(d_coeffs.ptr, stars, harmonics, d_phase.ptr, points, d_out.ptr,
                                            varstar::cuda::current_stream(0));
  varstar::cuda::synchronize(0);
  const auto gpu = d_out.to_host();
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(cpu[i]) - gpu[i]));
  CHECK(worst < kHarmonicParityTolerance);
}

TEST_CASE("dm-dt histograms: CUDA equals CPU exactly") {
  std::mt19937_64 rng(23);
  std::vector<double> t, m;
  std::vector<int64_t> offsets = {0};
  const std::vector<int> sizes = {0, 1, 2, 31, 33, 257, 1001, 5, 640};
  int64_t longest = 0;
  for (int n : sizes) {
    std::uniform_real_distribution<double> when(58000, 59800), mag(14, 18);
    std::vector<double> ts(n);
    for (auto& x : ts) x = std::round(when(rng) * 64) / 64;  // repeated times and dt on edges happen
    std::sort(ts.begin(), ts.end());
    for (int i = 0; i < n; ++i) {
      t.push_back(ts[i]);
      m.push_back(i % 7 == 0 ? std::round(mag(rng) * 10) / 10 : mag(rng));
    }
    offsets.push_back(static_cast<int64_t>(t.size()));
    longest = std::max<int64_t>(longest, n);
  }
  // A flat, evenly sampled series: runs of 32 consecutive partners share one
  // bin, so the kernel's per-warp grouping adds whole warps at once.
  const int flat_n = 700;
  for (int i = 0; i < flat_n; ++i) {
    t.push_back(58000 + 0.75 * i);
    m.push_back(15.5);
  }
  offsets.push_back(static_cast<int64_t>(t.size()));
  longest = std::max<int64_t>(longest, flat_n);
  const int64_t n_series = static_cast<int64_t>(offsets.size()) - 1;
  varstar::DmdtPlan plan;
  plan.n_geometries = 2;
  plan.geometry[0] = varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  plan.geometry[1] = varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  const int size = varstar::dmdt_plan_size(plan);
  std::vector<uint32_t> cpu(n_series * size);
  std::vector<int64_t> cpu_pairs(n_series);
  varstar::cpu::dmdt_histogram_forward(plan, t.data(), m.data(), offsets.data(), n_series, cpu.data(),
                                       cpu_pairs.data());
  DeviceBuffer<double> d_t(t), d_m(m);
  DeviceBuffer<int64_t> d_off(offsets), d_pairs(n_series);
  DeviceBuffer<uint32_t> d_counts(n_series * size);
  varstar::cuda::dmdt_histogram_forward(plan, d_t.ptr, d_m.ptr, d_off.ptr, n_series, longest, d_counts.ptr,
                                        d_pairs.ptr, varstar::cuda::current_stream(0));
  varstar::cuda::synchronize(0);
  CHECK(d_counts.to_host() == cpu);
  CHECK(d_pairs.to_host() == cpu_pairs);
}

#endif
