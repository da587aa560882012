// GELU: values and slopes against the standard normal distribution, and the
// finite-difference gradient check that op_list.h's registry asks for.
#include <cmath>

#include "tests/engine/gradcheck.h"

using varstar::Tensor;

namespace {
// gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x). Phi(1) = 0.8413447460685429 and
// phi(1) = exp(-1/2) / sqrt(2 pi) = 0.24197072451914337 (standard normal tables);
// Phi(-1) = 1 - Phi(1), phi(-1) = phi(1), gelu(0) = 0, gelu'(0) = Phi(0) = 1/2.
// (torch.nn.functional.gelu in float64 agrees to 1e-15.)
constexpr double kPhi1 = 0.8413447460685429;
constexpr double kDensity1 = 0.24197072451914337;
constexpr double kValueTolerance = 1e-12;
constexpr double kFloatTolerance = 1e-6;
}  // namespace

TEST_CASE("gelu: values and slopes at -1, 0, 1 from the standard normal distribution") {
  Tensor x = Tensor::from_vector(std::vector<double>{-1.0, 0.0, 1.0}, {3}).set_requires_grad(true);
  Tensor y = varstar::gelu(x);
  const std::vector<double> v = y.to_vector<double>();
  CHECK(std::abs(v[0] - (-(1.0 - kPhi1))) < kValueTolerance);
  CHECK(std::abs(v[1] - 0.0) < kValueTolerance);
  CHECK(std::abs(v[2] - kPhi1) < kValueTolerance);
  varstar::sum(y).backward();
  const std::vector<double> d = x.grad().to_vector<double>();
  CHECK(std::abs(d[0] - ((1.0 - kPhi1) - kDensity1)) < kValueTolerance);
  CHECK(std::abs(d[1] - 0.5) < kValueTolerance);
  CHECK(std::abs(d[2] - (kPhi1 + kDensity1)) < kValueTolerance);
}

TEST_CASE("gelu: float32 path agrees with float64") {
  const Tensor x = vtest::random_tensor({257}, 77, -4.0, 4.0);
  const std::vector<double> ref = varstar::gelu(x).to_vector<double>();
  const std::vector<float> f32 = varstar::gelu(x.to(varstar::DType::f32)).to_vector<float>();
  for (size_t i = 0; i < ref.size(); ++i) CHECK(std::abs(double(f32[i]) - ref[i]) < kFloatTolerance);
}

GRADCHECK(gelu, "(4,7) over [-3, 3]") {
  vtest::check_gradients([](const auto& in) { return varstar::gelu(in[0]); }, {vtest::random_tensor({4, 7}, 78, -3, 3)});
}
