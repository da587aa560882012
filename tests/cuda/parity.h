#pragma once
// CPU/CUDA parity checks: the same float32 inputs through an op on both
// devices must give the same output and the same gradient for every input.
// The CUDA side runs twice: with the normal grids, and with every grid-stride
// launch capped at two blocks, so that each loop iterates (and a kernel that
// assumes one element per thread fails) even on small tensors.
// PARITY(op) { ... } declares a doctest case and registers `op`, so the
// registry test fails for an op of engine/ops/op_list.h without a parity case.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace vtest {

inline constexpr double kParityRelTolerance = 1e-4;
inline constexpr double kParityAbsTolerance = 1e-5;
// Convolutions: sums of up to ~1000 products of magnitude-1 inputs, and the
// CPU (16+ channels) and cuDNN may compute them by Winograd or FFT, whose
// rounding grows with the tensor's largest magnitude rather than the element's:
// 2e-5 of it (measured: up to 5e-6 between the CPU's Winograd and float64),
// still 10^4 times below an indexing error.
inline constexpr double kConvAbsTolerance = 5e-5;
inline constexpr double kConvScaleTolerance = 2e-5;
// Grid cap of the second CUDA run: every grid-stride loop takes several turns.
inline constexpr int64_t kTinyGridBlocks = 2;

// Restores the normal grids when it goes out of scope (also on a failed REQUIRE).
struct GridCap {
  explicit GridCap(int64_t blocks) { varstar::cuda::set_max_grid_blocks(blocks); }
  ~GridCap() { varstar::cuda::set_max_grid_blocks(0); }
  GridCap(const GridCap&) = delete;
  GridCap& operator=(const GridCap&) = delete;
};

// Runs `body` four times: as production runs (cuDNN, with our GEMM and
// Winograd paths timed beside its algorithms and taken where faster); with
// cuDNN's algorithms alone; with cuDNN off (the GEMM path alone); and with
// our Winograd path for every shape it fits (the GEMM path for the rest).
// With cuDNN on, no call may have fallen back to the GEMM path because cuDNN rejected it.
template <class F>
void for_each_conv_path(F&& body) {
  namespace vc = varstar::cuda;
  using varstar::WinogradPolicy;
  struct Restore {
    bool cudnn = vc::use_cudnn(), gemm_candidate = vc::conv_gemm_candidate();
    WinogradPolicy winograd = vc::conv_winograd();
    ~Restore() {
      vc::set_use_cudnn(cudnn);
      vc::set_conv_gemm_candidate(gemm_candidate);
      vc::set_conv_winograd(winograd);
    }
  } restore;
  struct Path {
    const char* name;
    bool cudnn, gemm_candidate;
    WinogradPolicy winograd;
  };
  for (const Path& path : {Path{"cuDNN, GEMM or Winograd, timed", true, true, WinogradPolicy::automatic},
                           Path{"cuDNN alone", true, false, WinogradPolicy::off},
                           Path{"GEMM alone", false, false, WinogradPolicy::off},
                           Path{"Winograd where it fits", false, false, WinogradPolicy::always}}) {
    if (path.cudnn && !vc::cudnn_compiled()) continue;
    const std::string path_name = path.name;  // doctest shows a const char* as its address
    CAPTURE(path_name);
    vc::set_use_cudnn(path.cudnn);
    vc::set_conv_gemm_candidate(path.gemm_candidate);
    vc::set_conv_winograd(path.winograd);
    const int64_t fallbacks = vc::cudnn_fallbacks();
    body();
    if (path.cudnn) CHECK(vc::cudnn_fallbacks() == fallbacks);
  }
}

inline std::set<std::string>& parity_registry() {
  static std::set<std::string> ops;
  return ops;
}
inline bool register_parity(const char* op) {
  parity_registry().insert(op);
  return true;
}

inline varstar::Tensor random_f32(const varstar::Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  varstar::Generator gen(seed);
  return varstar::uniform(shape, low, high, gen, varstar::DType::f32);
}

// |cpu - gpu| <= abs + rel |cpu| + scale max|cpu| for every element.
inline void check_close(const varstar::Tensor& cpu, const varstar::Tensor& gpu, const char* what,
                        double rel = kParityRelTolerance, double abs = kParityAbsTolerance, double scale = 0) {
  REQUIRE(cpu.shape() == gpu.shape());
  const std::vector<float> a = cpu.to_vector<float>(), b = gpu.to_vector<float>();
  if (scale > 0) {
    double largest = 0;
    for (float v : a) largest = std::max(largest, std::abs(double(v)));
    abs += scale * largest;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(double(a[i]) - double(b[i])) <= abs + rel * std::abs(double(a[i])))) {
      FAIL_CHECK(std::string(what) << ": element " << i << " cpu " << a[i] << " cuda " << b[i]);
      return;
    }
  }
}

using Fn = std::function<varstar::Tensor(const std::vector<varstar::Tensor>&)>;

// What the sample-local LSTM kernels must do with the shape of a
// for_each_lstm_path body (one hidden size per body).
enum class SampleLocal {
  falls_back,    // hidden size other than 64 and 128: they queue nothing, per-step runs
  runs,          // hidden size 64: fits every GPU
  runs_if_room,  // hidden size 128: runs where a block may opt in to kSampleLocalH128Bytes of
                 // shared memory (A100, H100, H200), falls back elsewhere (RTX cards: 99 KiB)
};
inline constexpr size_t kSampleLocalH128Bytes = 150 * 1024;

// Runs `body` with the per-step LSTM kernels, the persistent ones (which must
// have run: they fit every shape of these tests), and the sample-local ones
// with 1, 2 and 4 samples per block, which must have run or not as `local` says.
template <class F>
void for_each_lstm_path(SampleLocal local, F&& body) {
  namespace vc = varstar::cuda;
  using vc::LstmKernel;
  struct Restore {
    LstmKernel was = vc::lstm_kernel();
    ~Restore() {
      vc::set_lstm_kernel(was);
      vc::set_sample_local_lstm_samples(0);
    }
  } restore;
  const bool local_must_run =
      local == SampleLocal::runs ||
      (local == SampleLocal::runs_if_room && vc::max_shared_memory_per_block(0) >= kSampleLocalH128Bytes);
  struct Path {
    LstmKernel kernel;
    int samples;
    const char* name;
  };
  const Path paths[] = {{LstmKernel::per_step, 0, "per-step"},
                        {LstmKernel::persistent, 0, "persistent"},
                        {LstmKernel::sample_local, 1, "sample-local, 1 sample per block"},
                        {LstmKernel::sample_local, 2, "sample-local, 2 samples per block"},
                        {LstmKernel::sample_local, 4, "sample-local, 4 samples per block"}};
  for (const Path& path : paths) {
    const std::string name = path.name;
    CAPTURE(name);
    vc::set_lstm_kernel(path.kernel);
    vc::set_sample_local_lstm_samples(path.samples);
    const int64_t persistent = vc::persistent_lstm_launches(), sample_local = vc::sample_local_lstm_launches();
    body();
    if (path.kernel == LstmKernel::persistent) CHECK(vc::persistent_lstm_launches() > persistent);
    if (path.kernel == LstmKernel::sample_local) {
      if (local_must_run)
        CHECK(vc::sample_local_lstm_launches() > sample_local);
      else
        CHECK(vc::sample_local_lstm_launches() == sample_local);
    }
  }
}

// Runs f on the CPU and on cuda:0 (normal grids, then two-block grids) and
// compares the output and the gradient of sum(f(x) * w) for every input with
// differentiable[i].
inline void check_parity(const Fn& f, const std::vector<varstar::Tensor>& inputs, std::vector<bool> differentiable = {},
                         double rel = kParityRelTolerance, double abs = kParityAbsTolerance, double scale = 0) {
  using varstar::Tensor;
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  std::vector<Tensor> cpu_in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor c = inputs[i].detach().clone();
    if (differentiable[i]) c.set_requires_grad(true);
    cpu_in.push_back(c);
  }
  const Tensor out_cpu = f(cpu_in);
  const Tensor w = random_f32(out_cpu.shape(), 999, 0.5, 1.5);
  varstar::sum(varstar::mul(out_cpu, w)).backward();
  for (int64_t cap : {int64_t{0}, kTinyGridBlocks}) {
    CAPTURE(cap);
    GridCap grid(cap);
    std::vector<Tensor> gpu_in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Tensor g = inputs[i].detach().to(varstar::Device::cuda(0));
      if (differentiable[i]) g.set_requires_grad(true);
      gpu_in.push_back(g);
    }
    const Tensor out_gpu = f(gpu_in);
    REQUIRE(out_gpu.device().is_cuda());
    check_close(out_cpu, out_gpu, "forward", rel, abs, scale);
    varstar::sum(varstar::mul(out_gpu, w.to(varstar::Device::cuda(0)))).backward();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!differentiable[i]) continue;
      CAPTURE(i);
      REQUIRE(cpu_in[i].grad().defined());
      REQUIRE(gpu_in[i].grad().defined());
      check_close(cpu_in[i].grad(), gpu_in[i].grad(), "gradient", rel, abs, scale);
    }
  }
}

}  // namespace vtest

#define VARSTAR_PARITY_CAT2(a, b) a##b
#define VARSTAR_PARITY_CAT(a, b) VARSTAR_PARITY_CAT2(a, b)
#define PARITY(op, description)                                                                            \
  static const bool VARSTAR_PARITY_CAT(varstar_parity_registered_, __LINE__) = vtest::register_parity(#op); \
  TEST_CASE("parity " #op ": " description)
