#pragma once
// Finite-difference gradient checks in float64, and the registry that ties
// them to engine/ops/op_list.h: GRADCHECK(op) { ... } declares a doctest case
// and records that `op` has a check; test_gradcheck.cpp fails for any
// registered op without one.
#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace vtest {

inline constexpr double kFiniteDifferenceStep = 1e-6;
inline constexpr double kGradAbsTolerance = 1e-7;
inline constexpr double kGradRelTolerance = 1e-5;

inline std::set<std::string>& gradcheck_registry() {
  static std::set<std::string> ops;
  return ops;
}
inline bool register_gradcheck(const char* op) {
  gradcheck_registry().insert(op);
  return true;
}

using Fn = std::function<varstar::Tensor(const std::vector<varstar::Tensor>&)>;

// Random float64 tensor with entries in [low, high).
inline varstar::Tensor random_tensor(const varstar::Shape& shape, uint64_t seed, double low = -1.0,
                                     double high = 1.0) {
  varstar::Generator gen(seed);
  return varstar::uniform(shape, low, high, gen, varstar::DType::f64);
}

// Checks d(sum(f(x) * w))/dx_i for every input i with differentiable[i] (all by
// default) against central differences; w is a fixed random weighting so that
// every output element matters differently. `step` is the central-difference
// step; ops that round through float32 need a large one (their functions are
// linear, so a large step costs no accuracy).
inline void check_gradients(const Fn& f, std::vector<varstar::Tensor> inputs, std::vector<bool> differentiable = {},
                            double step = kFiniteDifferenceStep) {
  using varstar::Tensor;
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i] = inputs[i].detach().clone();
    if (differentiable[i]) inputs[i].set_requires_grad(true);
  }
  Tensor out = f(inputs);
  const Tensor weights = random_tensor(out.shape(), 4242, 0.5, 1.5);
  varstar::sum(varstar::mul(out, weights)).backward();

  const auto objective = [&]() {
    varstar::NoGradGuard no_grad;
    return varstar::sum(varstar::mul(f(inputs), weights)).item();
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    CAPTURE(i);
    REQUIRE(inputs[i].grad().defined());
    const std::vector<double> analytic = inputs[i].grad().to_vector<double>();
    double* data = inputs[i].data<double>();
    REQUIRE(inputs[i].is_contiguous());
    double max_abs = 0;
    for (int64_t j = 0; j < inputs[i].numel(); ++j) {
      const double saved = data[j];
      data[j] = saved + step;
      const double plus = objective();
      data[j] = saved - step;
      const double minus = objective();
      data[j] = saved;
      const double numeric = (plus - minus) / (2 * step);
      CAPTURE(j);
      CHECK(std::abs(analytic[j] - numeric) <= kGradAbsTolerance + kGradRelTolerance * std::abs(numeric));
      max_abs = std::max(max_abs, std::abs(numeric));
    }
    CHECK_MESSAGE(max_abs > 0, "the gradient is identically zero: the check would be vacuous");
  }
}

}  // namespace vtest

#define VARSTAR_GC_CAT2(a, b) a##b
#define VARSTAR_GC_CAT(a, b) VARSTAR_GC_CAT2(a, b)
#define GRADCHECK(op, description)                                                                      \
  static const bool VARSTAR_GC_CAT(varstar_gradcheck_registered_, __COUNTER__) = vtest::register_gradcheck(#op); \
  TEST_CASE("gradcheck " #op ": " description)
