// The CPU Adam kernel (kernels/cpu/optim.cpp): its branch-free, vectorised
// loops agree with the shared scalar update (kernels/optim_math.h's
// adam_update, which the CUDA kernels run too) to the last bits (the
// compiler may fuse a multiply-add in one and not the other), and with
// torch.optim.Adam / AdamW's formula in double, for each kind of weight
// decay, on sizes that leave vector remainders and split across threads.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/optim.h"

namespace {

using varstar::AdamParams;

// Relative L2 differences: the update (p after - p before; lr 1e-2 keeps
// it far above p's float32 rounding) and the new moments. A fused or unfused
// multiply-add here and there is of order 1e-7; a missing weight decay term
// is of order 1e-2 at the test's settings.
constexpr double kUpdateRelTolerance = 1e-5;
constexpr double kMomentRelTolerance = 1e-6;

double rel_l2(const std::vector<double>& ours, const std::vector<double>& ref) {
  double err2 = 0, norm2 = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err2 += (ours[i] - ref[i]) * (ours[i] - ref[i]);
    norm2 += ref[i] * ref[i];
  }
  return std::sqrt(err2 / norm2);
}

struct State {
  std::vector<float> p, g, m, v;
};

State random_state(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> positive(0.f, 0.01f);
  State s{std::vector<float>(n), std::vector<float>(n), std::vector<float>(n), std::vector<float>(n)};
  for (size_t i = 0; i < n; ++i) {
    s.p[i] = normal(gen);
    s.g[i] = normal(gen);
    s.m[i] = 0.1f * normal(gen);
    s.v[i] = positive(gen);
  }
  return s;
}

// PyTorch's step (torch/optim/adam.py, single-tensor), in double.
void torch_formula(double& p, double g, double& m, double& v, const AdamParams& a, int step) {
  if (a.decoupled) p *= 1.0 - double(a.lr) * a.weight_decay;
  else g += double(a.weight_decay) * p;
  m = m * a.beta1 + g * (1.0 - a.beta1);
  v = v * a.beta2 + g * g * (1.0 - a.beta2);
  const double bc1 = 1.0 - std::pow(double(a.beta1), step), bc2 = 1.0 - std::pow(double(a.beta2), step);
  p -= double(a.lr) / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + a.eps);
}

AdamParams params(bool decoupled, float weight_decay, int step) {
  AdamParams a;
  a.lr = 1e-2f;
  a.weight_decay = weight_decay;
  a.decoupled = decoupled;
  a.step_size = static_cast<float>(a.lr / (1.0 - std::pow(double(a.beta1), step)));
  a.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(double(a.beta2), step)));
  return a;
}

}  // namespace

TEST_CASE("cpu adam_step: the scalar update's bits, and PyTorch's formula, for no decay, L2 and decoupled") {
  struct Mode {
    const char* what;
    bool decoupled;
    float weight_decay;
  };
  const int saved = omp_get_max_threads();
  for (const Mode mode : {Mode{"Adam", false, 0.f}, Mode{"Adam, L2 decay 0.1", false, 0.1f},
                          Mode{"AdamW, decay 0.1", true, 0.1f}}) {
    const std::string what = mode.what;
    CAPTURE(what);
    for (const int threads : {1, 2}) {
      CAPTURE(threads);
      omp_set_num_threads(threads);
      const size_t n = 100003;  // above the parallel grain, not a multiple of any vector width
      const int step = 3;
      const AdamParams a = params(mode.decoupled, mode.weight_decay, step);
      const State start = random_state(n, 11);
      State ours = start, scalar = start;
      varstar::cpu::adam_step(ours.p.data(), ours.g.data(), ours.m.data(), ours.v.data(), static_cast<int64_t>(n), a);
      for (size_t i = 0; i < n; ++i) varstar::adam_update(scalar.p[i], scalar.g[i], scalar.m[i], scalar.v[i], a);
      // (update, m, v) of each element: ours, the scalar update's, the double formula's
      std::vector<double> du[3], m[3], v[3];
      for (size_t i = 0; i < n; ++i) {
        double pd = start.p[i], md = start.m[i], vd = start.v[i];
        torch_formula(pd, start.g[i], md, vd, a, step);
        const double before = start.p[i];
        du[0].push_back(double(ours.p[i]) - before), m[0].push_back(ours.m[i]), v[0].push_back(ours.v[i]);
        du[1].push_back(double(scalar.p[i]) - before), m[1].push_back(scalar.m[i]), v[1].push_back(scalar.v[i]);
        du[2].push_back(pd - before), m[2].push_back(md), v[2].push_back(vd);
      }
      for (const int ref : {1, 2}) {
        CAPTURE(ref);  // 1: the scalar update, 2: PyTorch's formula in double
        CHECK(rel_l2(du[0], du[ref]) < kUpdateRelTolerance);
        CHECK(rel_l2(m[0], m[ref]) < kMomentRelTolerance);
        CHECK(rel_l2(v[0], v[ref]) < kMomentRelTolerance);
      }
    }
  }
  omp_set_num_threads(saved);
}
