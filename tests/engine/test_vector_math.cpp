// The CPU's vectorisable float exp, sigmoid and tanh (kernels/cpu/vector_math.h)
// against double over dense grids, their NaN and infinity behaviour, and the
// float LSTM layer that uses them against the double one (libm's functions).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/vector_math.h"
#include "kernels/lstm.h"

namespace {

namespace cpu = varstar::cpu;

// Relative errors against double; float's epsilon is 1.19e-7. Measured:
// exp 7.9e-8, sigmoid 1.4e-7, tanh 1.3e-7 (glibc's tanhf 1.6e-7).
constexpr double kExpRelTolerance = 2e-7;
constexpr double kSigmoidRelTolerance = 3e-7;
constexpr double kTanhRelTolerance = 3e-7;
// The float LSTM forward (both layers' worth of cells and GEMMs) against double.
constexpr double kLstmRelTolerance = 1e-5;

template <class F, class R>
double worst_relative(double lo, double hi, double step, F ours, R exact, double floor = 0.0) {
  double worst = 0;
  for (double xd = lo; xd <= hi; xd += step) {
    const float x = static_cast<float>(xd);
    const double r = exact(static_cast<double>(x));
    if (std::abs(r) <= floor || r == 0.0) continue;
    const double e = std::abs(double(ours(x)) - r) / std::abs(r);
    if (!(e <= worst)) worst = e;  // NaN sticks
  }
  return worst;
}

double sigmoid_exact(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("exp_clamped: within 2e-7 of exp over its whole range [-87, 88]") {
  CHECK(worst_relative(-87.0, 88.0, 1.7e-4, cpu::exp_clamped, [](double x) { return std::exp(x); }) <
        kExpRelTolerance);
  CHECK(cpu::exp_clamped(0.0f) == 1.0f);
  CHECK(std::isnan(cpu::exp_clamped(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isfinite(cpu::exp_clamped(1000.0f)));  // clamped, not infinite
}

TEST_CASE("sigmoid_fast and tanh_fast: within 3e-7 of double, NaN in NaN out, the limits at infinity") {
  CHECK(worst_relative(-100.0, 100.0, 1.3e-4, cpu::sigmoid_fast, sigmoid_exact, 1e-30) < kSigmoidRelTolerance);
  CHECK(worst_relative(-20.0, 20.0, 3.1e-5, cpu::tanh_fast, [](double x) { return std::tanh(x); }) <
        kTanhRelTolerance);
  double tiny_worst = 0;  // the polynomial branch down to tiny arguments
  for (float x = 1e-30f; x < 1.0f; x *= 1.01f)
    tiny_worst = std::max(tiny_worst, std::abs(double(cpu::tanh_fast(x)) - std::tanh(double(x))) / std::tanh(double(x)));
  CHECK(tiny_worst < kTanhRelTolerance);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  CHECK(std::isnan(cpu::sigmoid_fast(nan)));
  CHECK(std::isnan(cpu::tanh_fast(nan)));
  CHECK(cpu::sigmoid_fast(inf) == 1.0f);
  CHECK(cpu::sigmoid_fast(-inf) < 1e-37f);
  CHECK(cpu::tanh_fast(inf) == 1.0f);
  CHECK(cpu::tanh_fast(-inf) == -1.0f);
  CHECK(cpu::tanh_fast(-0.3f) == -cpu::tanh_fast(0.3f));
}

TEST_CASE("lstm_forward, float (vectorised activations) against double (libm): within float rounding") {
  varstar::LstmShape s;
  s.batch = 5;
  s.steps = 23;
  s.input = 7;
  s.hidden = 19;  // not a multiple of a vector width
  const int64_t G = 4 * s.hidden;
  std::mt19937 gen(5);
  std::normal_distribution<double> normal;
  auto draw = [&](int64_t n, double scale) {
    std::vector<double> v(n);
    for (double& x : v) x = scale * normal(gen);
    return v;
  };
  const auto x = draw(s.batch * s.steps * s.input, 1.0), w_ih = draw(G * s.input, 0.5),
             w_hh = draw(G * s.hidden, 0.3), b_ih = draw(G, 0.5), b_hh = draw(G, 0.5);
  auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  std::vector<double> yd(s.batch * s.steps * s.hidden), gd(s.batch * s.steps * G), cd(yd.size());
  std::vector<float> yf(yd.size()), gf(gd.size()), cf(cd.size());
  cpu::lstm_forward<double>(x.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), yd.data(), gd.data(),
                            cd.data(), s);
  const auto xf = to_float(x), w_ihf = to_float(w_ih), w_hhf = to_float(w_hh), b_ihf = to_float(b_ih),
             b_hhf = to_float(b_hh);
  cpu::lstm_forward<float>(xf.data(), w_ihf.data(), w_hhf.data(), b_ihf.data(), b_hhf.data(), yf.data(), gf.data(),
                           cf.data(), s);
  double err2 = 0, norm2 = 0;
  for (size_t i = 0; i < yd.size(); ++i) {
    err2 += (double(yf[i]) - yd[i]) * (double(yf[i]) - yd[i]) + (double(cf[i]) - cd[i]) * (double(cf[i]) - cd[i]);
    norm2 += yd[i] * yd[i] + cd[i] * cd[i];
  }
  CHECK(std::sqrt(err2 / norm2) < kLstmRelTolerance);
}
