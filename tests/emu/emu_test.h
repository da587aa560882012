#pragma once
// What the emulator's tests share: inputs, the runs each kernel goes through
// (threads in order, in reverse, and shuffled with grid-stride launches
// capped at two blocks) and
// comparisons.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "tests/emu/simt.h"

namespace emutest {

namespace emu = varstar::emu;

// Sums of up to a few hundred terms in another order than the CPU's, relative to the terms' magnitude.
inline constexpr double kSumRelTolerance = 1e-5;
// Optimizer steps: the same arithmetic, which each compiler may contract into FMAs its own way.
inline constexpr double kUpdateAbsTolerance = 1e-6;
// Softmax probabilities and log-probabilities (up to ~25 in magnitude here): a
// few float ulps, the log-sum-exp's sum taken in another order.
inline constexpr double kSoftmaxAbsTolerance = 1e-5;

inline std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Run {
  emu::Order order;
  int64_t grid_cap;  // 0: the launchers' own grids
  std::string name() const {
    const char* names[] = {"forward", "reverse", "shuffled"};
    return std::string(names[static_cast<int>(order)]) + " thread order, " +
           (grid_cap == 0 ? "full grids" : "grids capped at " + std::to_string(grid_cap) + " blocks");
  }
};
inline constexpr Run kRuns[] = {{emu::Order::forward, 0}, {emu::Order::reverse, 0}, {emu::Order::shuffled, 2}};

// Runs body once per entry of kRuns (cap_grids false: at the launchers' own
// grids every time), restoring the order and grids afterwards.
template <class F>
void for_each_run(F&& body, bool cap_grids = true) {
  for (Run run : kRuns) {
    if (!cap_grids) run.grid_cap = 0;
    CAPTURE(run.name());
    struct Restore {
      ~Restore() {
        emu::set_order(emu::Order::forward);
        varstar::cuda::detail::set_max_grid_blocks(0);
      }
    } restore;
    emu::set_order(run.order);
    varstar::cuda::detail::set_max_grid_blocks(run.grid_cap);
    body();
  }
}

// As for_each_run, for launchers whose grids the shape fixes (a block per
// channel, per series, per sample) rather than detail::grid_for: a cap on
// grid-stride launches leaves them alone, so only the thread orders change.
template <class F>
void for_each_order(F&& body) {
  for_each_run(std::forward<F>(body), false);
}

inline std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Largest |a - b| (infinity where either is NaN); b float32 or a float64 reference.
template <class T>
double max_abs_diff(const std::vector<float>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace emutest
