// kernels/cuda/lstm.cu and lstm_sample_local.cu on the CPU under the emulator:
// the three CUDA LSTM variants (per step, persistent with a grid barrier,
// sample-local) forward and backward against the CPU's float64 LSTM.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/cuda/lstm_variants.h"
#include "kernels/lstm.h"
#include "tests/emu/emu_test.h"

using namespace emutest;
namespace cpu = varstar::cpu;
namespace gpu = varstar::cuda;
using varstar::LstmShape;

namespace {

// Float32 recurrences over a handful of steps against float64: the sums of
// H + I products per gate, rounded each step, and carried through the cell.
constexpr double kLstmAbsTolerance = 2e-5;

struct LstmCase {
  LstmShape s;
  std::vector<float> x, w_ih, w_hh, b_ih, b_hh, dy;
  // float64 reference
  std::vector<double> y, gates, cell, dx, dw_ih, dw_hh, db;
};

LstmCase make_case(const LstmShape& s, uint32_t seed) {
  const int64_t B = s.batch, T = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  LstmCase c;
  c.s = s;
  const float scale = 1.f / std::sqrt(static_cast<float>(H));  // PyTorch's initial range
  c.x = uniform(B * T * I, seed);
  c.w_ih = uniform(G * I, seed + 1, -scale, scale);
  c.w_hh = uniform(G * H, seed + 2, -scale, scale);
  c.b_ih = uniform(G, seed + 3, -scale, scale);
  c.b_hh = uniform(G, seed + 4, -scale, scale);
  c.dy = uniform(B * T * H, seed + 5);
  const auto x = widen(c.x), w_ih = widen(c.w_ih), w_hh = widen(c.w_hh), b_ih = widen(c.b_ih), b_hh = widen(c.b_hh),
             dy = widen(c.dy);
  c.y.resize(B * T * H);
  c.gates.resize(B * T * G);
  c.cell.resize(B * T * H);
  cpu::lstm_forward(x.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), c.y.data(), c.gates.data(),
                    c.cell.data(), s);
  c.dx.resize(B * T * I);
  c.dw_ih.resize(G * I);
  c.dw_hh.resize(G * H);
  c.db.resize(G);
  std::vector<double> dgates(B * T * G), h_prev(B * T * H), state(2 * B * H);
  cpu::lstm_backward(dy.data(), x.data(), w_ih.data(), w_hh.data(), c.y.data(), c.gates.data(), c.cell.data(),
                     c.dx.data(), c.dw_ih.data(), c.dw_hh.data(), c.db.data(), dgates.data(), h_prev.data(),
                     state.data(), s);
  return c;
}

// Forward then backward through gpu::lstm_forward / lstm_backward (the variant set_lstm_kernel chose).
void check_against_reference(const LstmCase& c) {
  const LstmShape& s = c.s;
  const int64_t B = s.batch, T = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  std::vector<float> y(B * T * H, NAN), gates(B * T * G, NAN), cell(B * T * H, NAN);
  gpu::lstm_forward(c.x.data(), c.w_ih.data(), c.w_hh.data(), c.b_ih.data(), c.b_hh.data(), y.data(), gates.data(),
                    cell.data(), s, nullptr);
  CHECK(max_abs_diff(y, c.y) < kLstmAbsTolerance);
  CHECK(max_abs_diff(gates, c.gates) < kLstmAbsTolerance);
  CHECK(max_abs_diff(cell, c.cell) < kLstmAbsTolerance);
  std::vector<float> dx(B * T * I, NAN), dw_ih(G * I, NAN), dw_hh(G * H, NAN), db(G, NAN);
  std::vector<float> dgates(B * T * G, NAN), h_prev(B * T * H, NAN), state(2 * B * H, NAN);
  gpu::lstm_backward(c.dy.data(), c.x.data(), c.w_ih.data(), c.w_hh.data(), y.data(), gates.data(), cell.data(),
                     dx.data(), dw_ih.data(), dw_hh.data(), db.data(), dgates.data(), h_prev.data(), state.data(), s,
                     nullptr);
  CHECK(max_abs_diff(dx, c.dx) < kLstmAbsTolerance);
  CHECK(max_abs_diff(dw_ih, c.dw_ih) < kLstmAbsTolerance * static_cast<double>(B * T));
  CHECK(max_abs_diff(dw_hh, c.dw_hh) < kLstmAbsTolerance * static_cast<double>(B * T));
  CHECK(max_abs_diff(db, c.db) < kLstmAbsTolerance * static_cast<double>(B * T));
}

struct VariantScope {
  explicit VariantScope(gpu::LstmKernel k) : saved(gpu::lstm_kernel()) { gpu::set_lstm_kernel(k); }
  ~VariantScope() {
    gpu::set_lstm_kernel(saved);
    gpu::set_persistent_lstm_units(0);
    gpu::set_sample_local_lstm_samples(0);
  }
  gpu::LstmKernel saved;
};

}  // namespace

TEST_CASE("emu lstm.cu: the per-step LSTM (input GEMM, recurrent GEMM, fused cell kernels) against float64") {
  VariantScope scope(gpu::LstmKernel::per_step);
  for (const LstmShape& s : {LstmShape{3, 5, 4, 7}, LstmShape{2, 9, 3, 64}}) {
    CAPTURE(s.hidden);
    const LstmCase c = make_case(s, 500 + static_cast<uint32_t>(s.hidden));
    for_each_run([&] { check_against_reference(c); });
  }
}

TEST_CASE("emu lstm.cu: the persistent LSTM, blocks meeting at a grid barrier every step, against float64") {
  VariantScope scope(gpu::LstmKernel::persistent);
  const int64_t before = gpu::persistent_lstm_launches();
  // 64 hidden units: slices of 8 units (8 blocks) and 16 (4 blocks); 128: 8 (16 blocks).
  for (const auto& [hidden, units] : std::vector<std::pair<int64_t, int>>{{64, 8}, {64, 16}, {128, 8}}) {
    CAPTURE(hidden);
    CAPTURE(units);
    gpu::set_persistent_lstm_units(units);
    const LstmCase c = make_case(LstmShape{3, 6, 5, hidden}, 600 + static_cast<uint32_t>(hidden + units));
    for_each_order([&] { check_against_reference(c); });
  }
  CHECK(gpu::persistent_lstm_launches() - before == 3 * 3 * 2);  // no fallback to per_step
}

TEST_CASE("emu lstm_sample_local.cu: the sample-local LSTM, 1, 2 and 4 samples a block, against float64") {
  VariantScope scope(gpu::LstmKernel::sample_local);
  const int64_t before = gpu::sample_local_lstm_launches();
  int runs = 0;
  for (int64_t hidden : {64, 128}) {
    for (int samples : {1, 2, 4}) {
      CAPTURE(hidden);
      CAPTURE(samples);
      gpu::set_sample_local_lstm_samples(samples);
      // 5 samples: the last block of 2 or 4 holds fewer.
      const LstmCase c = make_case(LstmShape{5, 4, 3, hidden}, 700 + static_cast<uint32_t>(hidden) + samples);
      for_each_order([&] {
        check_against_reference(c);
        ++runs;
      });
    }
  }
  CHECK(gpu::sample_local_lstm_launches() - before == 2 * runs);  // no fallback to per_step
}
