#pragma once
// CPU/CUDA parity checks: the same float32 inputs through an op on both
// devices must give the same output and the same gradient for every input.
// PARITY(op) { ... } declares a doctest case and registers `op`, so the
// registry test fails for an op of engine/ops/op_list.h without a parity case.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/device.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace vtest {

inline constexpr double kParityRelTolerance = 1e-4;
inline constexpr double kParityAbsTolerance = 1e-5;

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

inline void check_close(const varstar::Tensor& cpu, const varstar::Tensor& gpu, const char* what,
                        double rel = kParityRelTolerance, double abs = kParityAbsTolerance) {
  REQUIRE(cpu.shape() == gpu.shape());
  const std::vector<float> a = cpu.to_vector<float>(), b = gpu.to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(double(a[i]) - double(b[i])) <= abs + rel * std::abs(double(a[i])))) {
      FAIL_CHECK(what << ": element " << i << " cpu " << a[i] << " cuda " << b[i]);
      return;
    }
  }
}

using Fn = std::function<varstar::Tensor(const std::vector<varstar::Tensor>&)>;

// Runs f on the CPU and on cuda:0 and compares the output and the gradient of
// sum(f(x) * w) for every input with differentiable[i].
inline void check_parity(const Fn& f, const std::vector<varstar::Tensor>& inputs, std::vector<bool> differentiable = {},
                         double rel = kParityRelTolerance, double abs = kParityAbsTolerance) {
  using varstar::Tensor;
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  std::vector<Tensor> cpu_in, gpu_in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor c = inputs[i].detach().clone();
    Tensor g = inputs[i].detach().to(varstar::Device::cuda(0));
    if (differentiable[i]) {
      c.set_requires_grad(true);
      g.set_requires_grad(true);
    }
    cpu_in.push_back(c);
    gpu_in.push_back(g);
  }
  Tensor out_cpu = f(cpu_in), out_gpu = f(gpu_in);
  REQUIRE(out_gpu.device().is_cuda());
  check_close(out_cpu, out_gpu, "forward", rel, abs);
  const Tensor w = random_f32(out_cpu.shape(), 999, 0.5, 1.5);
  varstar::sum(varstar::mul(out_cpu, w)).backward();
  varstar::sum(varstar::mul(out_gpu, w.to(varstar::Device::cuda(0)))).backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    CAPTURE(i);
    REQUIRE(cpu_in[i].grad().defined());
    REQUIRE(gpu_in[i].grad().defined());
    check_close(cpu_in[i].grad(), gpu_in[i].grad(), "gradient", rel, abs);
  }
}

}  // namespace vtest

#define VARSTAR_PARITY_CAT2(a, b) a##b
#define VARSTAR_PARITY_CAT(a, b) VARSTAR_PARITY_CAT2(a, b)
#define PARITY(op, description)                                                                            \
  static const bool VARSTAR_PARITY_CAT(varstar_parity_registered_, __LINE__) = vtest::register_parity(#op); \
  TEST_CASE("parity " #op ": " description)
