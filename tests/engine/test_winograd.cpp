// The Winograd convolution paths: the tables; the CPU path
// (kernels/cpu/conv_winograd.cpp) against the direct loop and the im2col path
// on odd shapes, its float32 accuracy, and that its results do not depend on
// the threads; and the CUDA path's stages and passes (kernels/winograd_tile.h)
// run on the host in double, against the same references. Also the CPU's
// other backward forms: both gradients in one call, and the first layers'
// direct weight gradient.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "kernels/winograd_math.h"
#include "kernels/winograd_tile.h"

namespace {

using varstar::ConvShape;
namespace cpu = varstar::cpu;

// Exact in rational arithmetic; what is left is double rounding.
constexpr double kTableTolerance = 1e-12;
// Winograd against the direct loop, both in double.
constexpr double kDoubleTolerance = 1e-11;
// Relative L2 error of the float32 path against a double reference. The
// direct im2col path is held to the same bound; F(4x4, 5x5) measured about 1e-6.
constexpr double kFloatRelTolerance = 1e-5;

// Stride 1, the argument order of the cases below.
ConvShape shape(int64_t batch, int64_t c_in, int64_t c_out, int64_t h, int64_t w, int64_t kh, int64_t kw,
                int64_t pad_h, int64_t pad_w) {
  return varstar::make_conv_shape(batch, c_in, c_out, h, w, kh, kw, pad_h, pad_w);
}

template <class T>
std::vector<T> random_values(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(gen));
  return v;
}

// Infinite when a value is not finite (an element never written stays NaN).
double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - b[i]);
    if (!std::isfinite(d)) return std::numeric_limits<double>::infinity();
    m = std::max(m, d);
  }
  return m;
}

template <class T>
double rel_l2(const std::vector<T>& ours, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (double(ours[i]) - ref[i]) * (double(ours[i]) - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

// The seeded input, weight, bias and output gradient of one shape.
template <class T>
struct Inputs {
  std::vector<T> x, w, b, dy;
};

template <class T>
Inputs<T> inputs(const ConvShape& s, unsigned seed) {
  return {random_values<T>(s.batch * s.c_in * s.h * s.w, seed),
          random_values<T>(s.c_out * s.c_in * s.kh * s.kw, seed + 1), random_values<T>(s.c_out, seed + 2),
          random_values<T>(s.batch * s.c_out * s.out_h * s.out_w, seed + 3)};
}

// Forward, input gradient and weight + bias gradients of one shape under a policy.
template <class T>
struct Run {
  std::vector<T> y, dx, dw, db;
};

template <class T>
Run<T> run(const ConvShape& s, unsigned seed, cpu::WinogradPolicy policy) {
  cpu::WinogradScope scope(policy);
  const auto [x, w, b, dy] = inputs<T>(s, seed);
  Run<T> r;
  r.y.resize(dy.size());
  r.dx.resize(x.size());
  r.dw.resize(w.size());
  r.db.resize(s.c_out);
  cpu::conv2d_forward(x.data(), w.data(), b.data(), r.y.data(), s);
  cpu::conv2d_backward_input(dy.data(), w.data(), r.dx.data(), s);
  cpu::conv2d_backward_weight(dy.data(), x.data(), r.dw.data(), r.db.data(), s);
  return r;
}

std::vector<double> naive_forward(const ConvShape& s, unsigned seed) {
  const auto [x, w, b, dy] = inputs<double>(s, seed);
  std::vector<double> y(s.batch * s.c_out * s.out_h * s.out_w);
  cpu::conv2d_forward_naive(x.data(), w.data(), b.data(), y.data(), s);
  return y;
}

// The CUDA path's executor on the host: each stage a loop over its indices,
// each set of products the CPU's strided-batched GEMM. Scratch starts as
// NaN, so a stage that reads what no stage wrote shows.
struct LoopExecutor {
  struct Buffer {
    std::vector<double> values;
    double* data() { return values.data(); }
  };
  template <class Stage, class... A>
  void run(int64_t n, const A&... args) const {
    for (int64_t i = 0; i < n; ++i) Stage::apply(i, args...);
  }
  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
            int64_t stride_a, const double* b, int64_t ldb, int64_t stride_b, double beta, double* c, int64_t ldc,
            int64_t stride_c, int64_t batch) const {
    cpu::gemm_strided_batched<double>(trans_a, trans_b, m, n, k, 1.0, a, lda, stride_a, b, ldb, stride_b, beta, c,
                                      ldc, stride_c, batch);
  }
  Buffer allocate(int64_t count) const {
    return {std::vector<double>(static_cast<size_t>(count), std::numeric_limits<double>::quiet_NaN())};
  }
};

// The three passes of kernels/winograd_tile.h in chunks of `chunk` samples;
// outputs start as NaN (db is the caller's there, and not computed).
Run<double> staged_run(const ConvShape& s, unsigned seed, int64_t chunk) {
  const auto [x, w, b, dy] = inputs<double>(s, seed);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Run<double> r;
  r.y.assign(dy.size(), kNaN);
  r.dx.assign(x.size(), kNaN);
  r.dw.assign(w.size(), kNaN);
  LoopExecutor exec;
  varstar::winograd::with_transforms(s, [&]<class H, class W>() {
    varstar::winograd::forward<double, H, W>(exec, x.data(), w.data(), b.data(), r.y.data(), s, chunk);
    varstar::winograd::backward_input<double, H, W>(exec, dy.data(), w.data(), r.dx.data(), s, chunk);
    varstar::winograd::backward_weight<double, H, W>(exec, dy.data(), x.data(), r.dw.data(), s, chunk);
  });
  return r;
}

struct OddShape {
  const char* what;
  ConvShape s;
};
const OddShape kOddShapes[] = {
    {"5x5 same padding, partial tiles and channel blocks", shape(3, 5, 7, 9, 11, 5, 5, 2, 2)},
    {"5x5 no padding", shape(2, 3, 4, 13, 10, 5, 5, 0, 0)},
    {"5x5 padding 3 (wider than the kernel's half)", shape(2, 2, 3, 6, 7, 5, 5, 3, 3)},
    {"3x3 same padding", shape(2, 4, 3, 7, 5, 3, 3, 1, 1)},
    {"3x5 kernel, padding (1, 2)", shape(2, 3, 2, 8, 9, 3, 5, 1, 2)},
    {"conv1d 3 taps", shape(3, 6, 5, 1, 17, 1, 3, 0, 1)},
    {"conv1d 5 taps, 20 -> 33 channels (two lane blocks, the second partial)", shape(2, 20, 33, 1, 23, 1, 5, 0, 2)},
};

}  // namespace

TEST_CASE("winograd tables: y = AT [(G g) * (BT d)] is the r-tap correlation of d, for every table") {
  for (const varstar::Winograd1d* t : {varstar::winograd_for_taps(1), varstar::winograd_for_taps(3),
                                       varstar::winograd_for_taps(5), varstar::winograd_for_taps_1d(3),
                                       varstar::winograd_for_taps_1d(5)}) {
    REQUIRE(t != nullptr);
    CAPTURE(t->m);
    CAPTURE(t->r);
    REQUIRE(t->n == t->m + t->r - 1);
    for (unsigned trial = 0; trial < 5; ++trial) {
      const auto g = random_values<double>(t->r, 10 + trial), d = random_values<double>(t->n, 20 + trial);
      std::vector<double> product(t->n);
      for (int j = 0; j < t->n; ++j) {
        double gg = 0, dd = 0;
        for (int k = 0; k < t->r; ++k) gg += t->g[j * t->r + k] * g[k];
        for (int k = 0; k < t->n; ++k) dd += t->bt[j * t->n + k] * d[k];
        product[j] = gg * dd;
      }
      for (int i = 0; i < t->m; ++i) {
        double y = 0, direct = 0;
        for (int j = 0; j < t->n; ++j) y += t->at[i * t->n + j] * product[j];
        for (int k = 0; k < t->r; ++k) direct += g[k] * d[i + k];
        CHECK(std::abs(y - direct) < kTableTolerance);
      }
    }
  }
}

TEST_CASE("winograd conv, double: forward equals the direct loop, and every gradient the im2col path's") {
  struct Case {
    const char* what;
    ConvShape s;
    int64_t chunk_tiles;
  };
  std::vector<Case> cases;
  for (const OddShape& o : kOddShapes) cases.push_back({o.what, o.s, 256});
  cases.push_back(
      {"9 samples in chunks of 4, 4 and 1 (weight gradient summed over chunks)", shape(9, 3, 4, 8, 8, 5, 5, 2, 2), 1});
  for (const Case& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    cpu::WinogradScope scope(cpu::conv_winograd());
    cpu::set_winograd_chunk_tiles(c.chunk_tiles);
    const Run<double> wino = run<double>(c.s, 42, cpu::WinogradPolicy::always);
    const Run<double> ref = run<double>(c.s, 42, cpu::WinogradPolicy::off);
    CHECK(max_abs_diff(wino.y, naive_forward(c.s, 42)) < kDoubleTolerance);
    CHECK(max_abs_diff(wino.dx, ref.dx) < kDoubleTolerance);
    CHECK(max_abs_diff(wino.dw, ref.dw) < kDoubleTolerance);
    CHECK(max_abs_diff(wino.db, ref.db) < kDoubleTolerance);
  }
}

TEST_CASE("winograd conv, float32: as accurate as im2col to the stated bound on a thesis-like layer") {
  const ConvShape s = shape(2, 64, 32, 12, 12, 5, 5, 2, 2);
  cpu::WinogradScope scope(cpu::WinogradPolicy::automatic);
  REQUIRE(cpu::winograd_suits(s));
  const Run<float> wino = run<float>(s, 7, cpu::WinogradPolicy::automatic);
  const Run<float> im2col = run<float>(s, 7, cpu::WinogradPolicy::off);
  const Run<double> exact = run<double>(s, 7, cpu::WinogradPolicy::off);
  CHECK(rel_l2(wino.y, exact.y) < kFloatRelTolerance);
  CHECK(rel_l2(wino.dx, exact.dx) < kFloatRelTolerance);
  CHECK(rel_l2(wino.dw, exact.dw) < kFloatRelTolerance);
  CHECK(rel_l2(im2col.y, exact.y) < kFloatRelTolerance);
  MESSAGE("float32 relative L2 error of y, dx, dw: winograd " << rel_l2(wino.y, exact.y) << ", "
                                                              << rel_l2(wino.dx, exact.dx) << ", "
                                                              << rel_l2(wino.dw, exact.dw) << "; im2col "
                                                              << rel_l2(im2col.y, exact.y) << ", "
                                                              << rel_l2(im2col.dx, exact.dx) << ", "
                                                              << rel_l2(im2col.dw, exact.dw));
}

TEST_CASE("winograd conv1d, float32: F(6,3) and F(6,5) as accurate as im2col to the stated bound") {
  for (const int64_t taps : {3, 5}) {
    CAPTURE(taps);
    const ConvShape s = shape(2, 64, 32, 1, 61, 1, taps, 0, taps / 2);
    cpu::WinogradScope scope(cpu::WinogradPolicy::automatic);
    REQUIRE(cpu::winograd_suits(s));
    REQUIRE(varstar::winograd_along_width(s)->m == 6);
    const Run<float> wino = run<float>(s, 9, cpu::WinogradPolicy::automatic);
    const Run<double> exact = run<double>(s, 9, cpu::WinogradPolicy::off);
    CHECK(rel_l2(wino.y, exact.y) < kFloatRelTolerance);
    CHECK(rel_l2(wino.dx, exact.dx) < kFloatRelTolerance);
    CHECK(rel_l2(wino.dw, exact.dw) < kFloatRelTolerance);
    MESSAGE("conv1d " << taps << " taps, float32 relative L2 error of y, dx, dw: " << rel_l2(wino.y, exact.y) << ", "
                      << rel_l2(wino.dx, exact.dx) << ", " << rel_l2(wino.dw, exact.dw));
  }
}

TEST_CASE("conv2d_backward: both gradients in one call are the bits of the two calls, on every path") {
  // Odd shapes and one in several chunks (the weight gradient summed over
  // them while dy's transform is shared), Winograd and im2col, float32.
  std::vector<std::pair<ConvShape, int64_t>> cases;
  for (const OddShape& o : kOddShapes) cases.emplace_back(o.s, 256);
  cases.emplace_back(shape(9, 17, 18, 8, 8, 5, 5, 2, 2), 1);
  for (const auto& [s, chunk_tiles] : cases)
    for (const auto policy : {cpu::WinogradPolicy::always, cpu::WinogradPolicy::off}) {
      CAPTURE(s.kh);
      CAPTURE(s.kw);
      CAPTURE(s.c_in);
      CAPTURE(chunk_tiles);
      CAPTURE(static_cast<int>(policy));
      cpu::WinogradScope scope(policy);
      cpu::set_winograd_chunk_tiles(chunk_tiles);
      const Run<float> separate = run<float>(s, 5, policy);
      const auto [x, w, b, dy] = inputs<float>(s, 5);
      // Outputs start as NaN: an element the combined call skips shows.
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> dx(x.size(), nan), dw(w.size(), nan), db(s.c_out, nan);
      cpu::conv2d_backward(dy.data(), x.data(), w.data(), dx.data(), dw.data(), db.data(), s);
      CHECK(dx == separate.dx);
      CHECK(dw == separate.dw);
      CHECK(db == separate.db);
      // One gradient alone: the other output untouched.
      std::vector<float> dx_only(x.size(), nan), dw_only(w.size(), nan), db_only(s.c_out, nan);
      cpu::conv2d_backward(dy.data(), x.data(), w.data(), dx_only.data(), static_cast<float*>(nullptr),
                           static_cast<float*>(nullptr), s);
      cpu::conv2d_backward(dy.data(), x.data(), w.data(), static_cast<float*>(nullptr), dw_only.data(),
                           db_only.data(), s);
      CHECK(dx_only == separate.dx);
      CHECK(dw_only == separate.dw);
      CHECK(db_only == separate.db);
    }
}

TEST_CASE("winograd conv: the same bits on one thread and on two") {
  const ConvShape s = shape(6, 17, 18, 10, 9, 5, 5, 2, 2);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Run<float> one = run<float>(s, 3, cpu::WinogradPolicy::always);
  omp_set_num_threads(2);
  const Run<float> two = run<float>(s, 3, cpu::WinogradPolicy::always);
  omp_set_num_threads(saved);
  CHECK(one.y == two.y);
  CHECK(one.dx == two.dx);
  CHECK(one.dw == two.dw);
  CHECK(one.db == two.db);
}

TEST_CASE("winograd policy: which shapes take the path") {
  cpu::WinogradScope scope(cpu::WinogradPolicy::automatic);
  CHECK(cpu::winograd_suits(shape(32, 64, 128, 24, 24, 5, 5, 2, 2)));   // 2D-CNN conv2
  CHECK(cpu::winograd_suits(shape(32, 128, 256, 1, 179, 1, 5, 0, 2)));  // CNN-LSTM conv3
  CHECK_FALSE(cpu::winograd_suits(shape(32, 1, 64, 24, 24, 3, 3, 1, 1)));  // one input channel
  CHECK_FALSE(cpu::winograd_suits(shape(32, 64, 64, 24, 24, 7, 7, 3, 3)));  // no table for 7 taps
  CHECK_FALSE(cpu::winograd_suits(shape(32, 64, 64, 24, 24, 1, 1, 0, 0)));  // pointwise
  CHECK_FALSE(cpu::winograd_suits(varstar::make_conv_shape(32, 64, 64, 24, 24, 5, 5, 2, 2, 1, 2)));  // stride 2
  cpu::set_conv_winograd(cpu::WinogradPolicy::off);
  CHECK_FALSE(cpu::winograd_suits(shape(32, 64, 128, 24, 24, 5, 5, 2, 2)));
}

TEST_CASE("winograd conv, the CUDA path's stages run on the host in double: the direct loop's and im2col's results") {
  std::vector<OddShape> shapes(std::begin(kOddShapes), std::end(kOddShapes));
  shapes.push_back({"1 x 1 output, padding 2", shape(2, 3, 2, 1, 1, 5, 5, 2, 2)});
  for (const OddShape& o : shapes) {
    const std::string what = o.what;
    CAPTURE(what);
    REQUIRE(varstar::winograd_fits(o.s));
    const Run<double> ref = run<double>(o.s, 42, cpu::WinogradPolicy::off);
    const std::vector<double> direct = naive_forward(o.s, 42);
    for (const int64_t chunk : {int64_t{1}, int64_t{2}, o.s.batch}) {
      CAPTURE(chunk);
      const Run<double> staged = staged_run(o.s, 42, chunk);
      CHECK(max_abs_diff(staged.y, direct) < kDoubleTolerance);
      CHECK(max_abs_diff(staged.dx, ref.dx) < kDoubleTolerance);
      CHECK(max_abs_diff(staged.dw, ref.dw) < kDoubleTolerance);
    }
  }
}

TEST_CASE("first-layer weight gradient (windows of at most 32 values): the direct sums, on one thread or two") {
  const ConvShape shapes[] = {shape(3, 1, 64, 1, 37, 1, 3, 0, 1), shape(2, 1, 5, 9, 7, 3, 3, 1, 1),
                              shape(2, 3, 4, 6, 5, 3, 3, 1, 1)};
  for (const ConvShape& s : shapes) {
    CAPTURE(s.c_in);
    CAPTURE(s.kh);
    REQUIRE(s.col_rows() <= 32);
    // double: against the definition, dW[o][c][i][j] = sum over b, y, x of
    // dy[b][o][y][x] * x_padded[b][c][y + i][x + j], db[o] = sum of dy[b][o]
    const auto [x, w, b, dy] = inputs<double>(s, 21);
    std::vector<double> dw(w.size(), std::nan("")), db(s.c_out, std::nan(""));
    cpu::conv2d_backward_weight(dy.data(), x.data(), dw.data(), db.data(), s);
    std::vector<double> ref_dw(w.size(), 0.0), ref_db(s.c_out, 0.0);
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t o = 0; o < s.c_out; ++o)
        for (int64_t oy = 0; oy < s.out_h; ++oy)
          for (int64_t ox = 0; ox < s.out_w; ++ox) {
            const double g = dy[((n * s.c_out + o) * s.out_h + oy) * s.out_w + ox];
            ref_db[o] += g;
            for (int64_t c = 0; c < s.c_in; ++c)
              for (int64_t i = 0; i < s.kh; ++i)
                for (int64_t j = 0; j < s.kw; ++j) {
                  const int64_t iy = oy + i - s.pad_h, ix = ox + j - s.pad_w;
                  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                  ref_dw[((o * s.c_in + c) * s.kh + i) * s.kw + j] += g * x[((n * s.c_in + c) * s.h + iy) * s.w + ix];
                }
          }
    CHECK(max_abs_diff(dw, ref_dw) < kDoubleTolerance);
    CHECK(max_abs_diff(db, ref_db) < kDoubleTolerance);
    // float32: the same bits on one thread and on two
    const auto [xf, wf, bf, dyf] = inputs<float>(s, 22);
    std::vector<float> one(wf.size()), two(wf.size()), db_one(s.c_out), db_two(s.c_out);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    cpu::conv2d_backward_weight(dyf.data(), xf.data(), one.data(), db_one.data(), s);
    omp_set_num_threads(2);
    cpu::conv2d_backward_weight(dyf.data(), xf.data(), two.data(), db_two.data(), s);
    omp_set_num_threads(saved);
    CHECK(one == two);
    CHECK(db_one == db_two);
  }
}

TEST_CASE("winograd: which shapes fit a table, and which an automatic policy takes") {
  CHECK(varstar::winograd_fits(shape(1, 1, 1, 3, 3, 3, 3, 1, 1)));
  CHECK(varstar::winograd_fits(shape(1, 1, 1, 1, 9, 1, 5, 0, 2)));
  CHECK_FALSE(varstar::winograd_fits(shape(1, 1, 1, 9, 1, 5, 1, 2, 0)));  // one tap along the width
  CHECK_FALSE(varstar::winograd_fits(shape(1, 1, 1, 9, 9, 4, 4, 0, 0)));  // no table for 4 taps
  CHECK_FALSE(varstar::winograd_fits(varstar::make_conv_shape(1, 1, 1, 9, 9, 3, 3, 1, 1, 2, 1)));  // stride 2
  CHECK(varstar::winograd_worthwhile(shape(32, 16, 16, 12, 12, 5, 5, 2, 2)));
  CHECK_FALSE(varstar::winograd_worthwhile(shape(32, 15, 16, 12, 12, 5, 5, 2, 2)));  // too few channels in
  CHECK_FALSE(varstar::winograd_worthwhile(shape(32, 16, 15, 12, 12, 5, 5, 2, 2)));  // too few out
  CHECK_FALSE(varstar::winograd_worthwhile(shape(32, 16, 16, 3, 12, 5, 5, 2, 2)));   // no whole tile of rows
}
