// kernels/cuda/{elementwise,gelu,harmonic,copy,pool,batch_norm,dmdt}.cu on the
// CPU under the SIMT emulator (tests/emu/simt.h), against the CPU reference of
// kernels/cpu/: every launcher, forward and backward, on odd sizes and fixed
// seeds; the float4 and the scalar kernel of the elementwise maps (16-byte
// aligned pointers or not, sizes not a multiple of 4), broadcast shapes,
// strided views, the three backward kernels of max pooling, and dm-dt
// histograms of several light curves per launch with the thesis's and Mahabal
// et al.'s edges. Each kernel runs in every thread order, and with grid-stride
// launches capped at two blocks where its grid is a grid-stride one (tests/emu/emu_test.h).
// Run: test_cuda_emulated -tc="emu pool.cu*" (or any one file's name).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/batch_norm.h"
#include "kernels/copy.h"
#include "kernels/dmdt.h"
#include "kernels/elementwise.h"
#include "kernels/gelu.h"
#include "kernels/harmonic.h"
#include "kernels/philox_math.h"
#include "kernels/pool.h"
#include "tests/emu/emu_test.h"

namespace cpu = varstar::cpu;
namespace gpu = varstar::cuda;

using namespace emutest;
using varstar::BinaryOp;
using varstar::UnaryOp;

namespace {

// Functions of one rounding (add, sub, mul, div, relu, copies, casts, max
// pooling, histogram counts) are compared bit for bit (first_bit_difference).

// tanhf, expf and erff come from the same host libm on both sides, but the
// CPU's loops and the kernels' functors may contract a multiply-add into an FMA
// differently: a few float ulps of values up to 4.
constexpr double kActivationAbsTolerance = 1e-6;
// a * x + b with or without an FMA (each compilation contracts its own way):
// one rounding apart, for values up to ~3.
constexpr double kFmaAbsTolerance = 5e-7;
// The same double-precision series; a contraction that differs changes the
// last double bit, which can move the float result by one ulp (2^-19 for
// magnitudes of 16 to 32; the series here stay below 18).
constexpr double kHarmonicAbsTolerance = 2e-6;
// Batch statistics: the kernels sum in float (a tree of 256 partial sums), the
// CPU in double. Values and gradients are O(1), the parameters' gradients sums
// of up to 387 such terms (2e-6 apart here); invstd relative (up to 316).
constexpr double kNormAbsTolerance = 2e-5;
constexpr double kNormRelTolerance = 1e-5;

// ---- helpers ----------------------------------------------------------------------

// Index of the first element whose bits differ, -1 when none: exact equality
// that also tells -0 from +0 and holds NaNs to account.
template <class T>
int64_t first_bit_difference(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return static_cast<int64_t>(i);
  return -1;
}

// Copies of `values` starting `misalign` elements past a 16-byte boundary, in
// an allocation that ends with them (a kernel that runs past n leaves it).
template <class T>
class Placed {
 public:
  Placed(const std::vector<T>& values, size_t misalign)
      : block_(static_cast<T*>(::operator new(sizeof(T) * (values.size() + misalign), std::align_val_t{16}))),
        data_(block_ + misalign),
        n_(values.size()) {
    std::copy(values.begin(), values.end(), data_);
  }
  Placed(const Placed&) = delete;
  Placed& operator=(const Placed&) = delete;
  ~Placed() { ::operator delete(block_, std::align_val_t{16}); }
  T* data() { return data_; }
  std::vector<T> values() const { return std::vector<T>(data_, data_ + n_); }

 private:
  T* block_;
  T* data_;
  size_t n_;
};

// Where the elementwise maps' pointers sit: all 16-byte aligned (the float4
// kernel), or one or all of them a few floats off (the scalar kernel).
struct Placement {
  size_t a, b, out;
  std::string_view path;  // std::string_view: CAPTURE prints a const char* as an address
};
constexpr Placement kPlacements[] = {{0, 0, 0, "float4 kernel"},
                                     {1, 1, 1, "scalar kernel: every pointer 4 bytes off"},
                                     {0, 0, 2, "scalar kernel: the output 8 bytes off"},
                                     {0, 3, 0, "scalar kernel: the second input 12 bytes off"}};
// 1 and 3: the float4 kernel's scalar tail alone; 4: one float4, no tail;
// 4099: 1,024 float4s, several turns of a two-block grid, and a tail of 3.
constexpr int64_t kMapSizes[] = {1, 3, 4, 1001, 4099};

std::string_view name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
  }
  return "?";
}
std::string_view name(UnaryOp op) {
  switch (op) {
    case UnaryOp::relu: return "relu";
    case UnaryOp::tanh: return "tanh";
    case UnaryOp::sigmoid: return "sigmoid";
  }
  return "?";
}
constexpr BinaryOp kBinaryOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div};
constexpr UnaryOp kUnaryOps[] = {UnaryOp::relu, UnaryOp::tanh, UnaryOp::sigmoid};

// Uniform values with every k-th one exactly 0 (relu's and GELU's kink).
std::vector<float> uniform_with_zeros(size_t n, uint32_t seed, float lo, float hi, size_t every) {
  std::vector<float> v = uniform(n, seed, lo, hi);
  for (size_t i = 0; i < n; i += every) v[i] = 0.f;
  return v;
}

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Strides of a contiguous input of `in_shape` (the output's rank; 1 along a
// broadcast dimension, which then reads with stride 0).
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_shape) {
  std::vector<int64_t> strides(in_shape.size());
  int64_t s = 1;
  for (size_t d = in_shape.size(); d-- > 0;) {
    strides[d] = in_shape[d] == 1 ? 0 : s;
    s *= in_shape[d];
  }
  return strides;
}

}  // namespace

// ---- elementwise.cu ------------------------------------------------------------------

TEST_CASE("emu elementwise.cu: add, sub, mul, div on contiguous arrays, float4 and scalar kernels, bit for bit") {
  for (BinaryOp op : kBinaryOps) {
    for (int64_t n : kMapSizes) {
      CAPTURE(name(op));
      CAPTURE(n);
      const std::vector<float> a = uniform(n, 100 + static_cast<uint32_t>(n));
      const std::vector<float> b = uniform(n, 200 + static_cast<uint32_t>(n));
      std::vector<float> want(n);
      cpu::binary_forward<float>(op, a.data(), b.data(), want.data(), n, nullptr);
      for (const Placement& p : kPlacements) {
        CAPTURE(p.path);
        for_each_run([&] {
          Placed<float> pa(a, p.a), pb(b, p.b), out(std::vector<float>(n, NAN), p.out);
          gpu::binary_forward(op, pa.data(), pb.data(), out.data(), n, nullptr, nullptr);
          CHECK(first_bit_difference(out.values(), want) == -1);
        });
      }
    }
  }
}

TEST_CASE("emu elementwise.cu: broadcast add, sub, mul, div: rows, columns, scalars, outer product, transposed view") {
  struct Case {
    std::string_view name;
    std::vector<int64_t> shape, stride_a, stride_b;
    int64_t size_a, size_b;  // elements each input holds
  };
  const std::vector<int64_t> out3 = {3, 37, 29};
  const std::vector<Case> cases = {
      // The CPU takes one of four inner loops by the last dimension's strides (1/1, 1/0, 0/1, other).
      {"b a row over the last dimension", out3, broadcast_strides(out3), broadcast_strides({1, 1, 29}), 3 * 37 * 29,
       29},
      {"b a column (one per row)", out3, broadcast_strides(out3), broadcast_strides({3, 37, 1}), 3 * 37 * 29, 3 * 37},
      {"a a channel vector, b full", out3, broadcast_strides({1, 37, 1}), broadcast_strides(out3), 37, 3 * 37 * 29},
      {"b a scalar", out3, broadcast_strides(out3), broadcast_strides({1, 1, 1}), 3 * 37 * 29, 1},
      {"an outer product (61, 1) x (1, 53)", {61, 53}, broadcast_strides({61, 1}), broadcast_strides({1, 53}), 61, 53},
      // a holds (3, 29, 37) and is read as its transpose (3, 37, 29).
      {"a a transposed view, b a channel vector", out3, {29 * 37, 1, 37}, broadcast_strides({1, 37, 1}), 3 * 37 * 29,
       37},
      {"rank 5 with a dimension of 1", {2, 1, 3, 5, 7}, broadcast_strides({2, 1, 3, 1, 7}),
       broadcast_strides({1, 1, 3, 5, 1}), 2 * 3 * 7, 3 * 5},
  };
  for (const Case& c : cases) {
    varstar::BroadcastGeometry g;
    g.ndim = static_cast<int>(c.shape.size());
    for (int d = 0; d < g.ndim; ++d) {
      g.shape[d] = c.shape[d];
      g.stride_a[d] = c.stride_a[d];
      g.stride_b[d] = c.stride_b[d];
    }
    const int64_t n = product(c.shape);
    const std::vector<float> a = uniform(c.size_a, 300), b = uniform(c.size_b, 301);
    for (BinaryOp op : kBinaryOps) {
      CAPTURE(c.name);
      CAPTURE(name(op));
      std::vector<float> want(n);
      cpu::binary_forward<float>(op, a.data(), b.data(), want.data(), n, &g);
      for_each_run([&] {
        std::vector<float> out(n, NAN);
        gpu::binary_forward(op, a.data(), b.data(), out.data(), n, &g, nullptr);
        CHECK(first_bit_difference(out, want) == -1);
      });
    }
  }
}

TEST_CASE("emu elementwise.cu: relu, tanh, sigmoid forward and backward, float4 and scalar kernels") {
  for (UnaryOp op : kUnaryOps) {
    for (int64_t n : kMapSizes) {
      CAPTURE(name(op));
      CAPTURE(n);
      const std::vector<float> x = uniform_with_zeros(n, 400 + static_cast<uint32_t>(n), -4.f, 4.f, 7);
      const std::vector<float> dy = uniform(n, 500 + static_cast<uint32_t>(n));
      std::vector<float> y_cpu(n), dx_cpu(n);
      cpu::unary_forward<float>(op, x.data(), y_cpu.data(), n);
      cpu::unary_backward<float>(op, y_cpu.data(), dy.data(), dx_cpu.data(), n);
      for (const Placement& p : kPlacements) {
        CAPTURE(p.path);
        for_each_run([&] {
          Placed<float> px(x, p.a), y(std::vector<float>(n, NAN), p.out);
          gpu::unary_forward(op, px.data(), y.data(), n, nullptr);
          Placed<float> py(y_cpu, p.a), pdy(dy, p.b), dx(std::vector<float>(n, NAN), p.out);
          gpu::unary_backward(op, py.data(), pdy.data(), dx.data(), n, nullptr);
          if (op == UnaryOp::relu) {
            CHECK(first_bit_difference(y.values(), y_cpu) == -1);
            CHECK(first_bit_difference(dx.values(), dx_cpu) == -1);
          } else {
            CHECK(max_abs_diff(y.values(), y_cpu) <= kActivationAbsTolerance);
            CHECK(max_abs_diff(dx.values(), dx_cpu) <= kActivationAbsTolerance);
          }
        });
      }
    }
  }
}

TEST_CASE("emu elementwise.cu: affine y = alpha * x + beta, float4 and scalar kernels") {
  const float alpha = -1.75f, beta = 0.3125f;
  for (int64_t n : kMapSizes) {
    CAPTURE(n);
    const std::vector<float> x = uniform(n, 600 + static_cast<uint32_t>(n));
    std::vector<float> want(n);
    cpu::affine_forward<float>(x.data(), want.data(), n, alpha, beta);
    for (const Placement& p : kPlacements) {
      CAPTURE(p.path);
      for_each_run([&] {
        Placed<float> px(x, p.a), y(std::vector<float>(n, NAN), p.out);
        gpu::affine_forward(px.data(), y.data(), n, alpha, beta, nullptr);
        CHECK(max_abs_diff(y.values(), want) <= kFmaAbsTolerance);
      });
    }
  }
}

// ---- gelu.cu --------------------------------------------------------------------------

TEST_CASE("emu gelu.cu: GELU forward and backward against the CPU") {
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1001}, int64_t{3001}}) {
    CAPTURE(n);
    const std::vector<float> x = uniform_with_zeros(n, 700 + static_cast<uint32_t>(n), -4.f, 4.f, 11);
    const std::vector<float> dy = uniform(n, 800 + static_cast<uint32_t>(n));
    std::vector<float> y_cpu(n), dx_cpu(n);
    cpu::gelu_forward<float>(x.data(), y_cpu.data(), n);
    cpu::gelu_backward<float>(x.data(), dy.data(), dx_cpu.data(), n);
    for_each_run([&] {
      std::vector<float> y(n, NAN), dx(n, NAN);
      gpu::gelu_forward(x.data(), y.data(), n, nullptr);
      gpu::gelu_backward(x.data(), dy.data(), dx.data(), n, nullptr);
      CHECK(max_abs_diff(y, y_cpu) <= kActivationAbsTolerance);
      CHECK(max_abs_diff(dx, dx_cpu) <= kActivationAbsTolerance);
    });
  }
}

// ---- harmonic.cu -----------------------------------------------------------------------

TEST_CASE("emu harmonic.cu: batched harmonic synthesis against the CPU, 0 to 16 harmonics and the thesis's two") {
  const int64_t n_stars = 7, n_points = 101;
  // The thesis's grid (numpy.linspace(0, 1, 101)) and phases outside [0, 1).
  std::vector<double> grid(n_points), wide(n_points);
  for (int p = 0; p < n_points; ++p) {
    grid[p] = varstar::linspace_point(0.0, 1.0, static_cast<int>(n_points), p);
    wide[p] = varstar::linspace_point(-1.5, 2.5, static_cast<int>(n_points), p);
  }
  for (int harmonics : {0, 1, 2, 5, varstar::kMaxHarmonics}) {
    const int stride = varstar::harmonic_coeff_stride(harmonics);
    std::mt19937 rng(900 + harmonics);
    std::uniform_real_distribution<double> mean_mag(12, 15), amp(-0.5, 0.5);
    std::vector<double> coeffs(n_stars * stride);
    for (int64_t s = 0; s < n_stars; ++s) {
      coeffs[s * stride] = mean_mag(rng);
      for (int k = 1; k <= harmonics; ++k) {
        coeffs[s * stride + 2 * k - 1] = amp(rng) / k;
        coeffs[s * stride + 2 * k] = amp(rng) / k;
      }
    }
    if (harmonics == 2)  // the thesis's coefficients from catalog columns
      for (int64_t s = 0; s < n_stars; ++s)
        varstar::thesis_harmonic_coefficients(mean_mag(rng), 0.2 + 0.1 * s, 0.3 + 0.05 * s, 0.7 * s,
                                              coeffs.data() + s * stride);
    for (const std::vector<double>* phase : {&grid, &wide}) {
      CAPTURE(harmonics);
      const std::string_view phases = phase == &grid ? "linspace(0, 1, 101)" : "linspace(-1.5, 2.5, 101)";
      CAPTURE(phases);
      std::vector<float> want(n_stars * n_points);
      cpu::harmonic_synthesis_forward(coeffs.data(), n_stars, harmonics, phase->data(), n_points, want.data());
      for_each_run([&] {
        std::vector<float> out(n_stars * n_points, NAN);
        gpu::harmonic_synthesis_forward(coeffs.data(), n_stars, harmonics, phase->data(), n_points, out.data(),
                                        nullptr);
        CHECK(max_abs_diff(out, want) <= kHarmonicAbsTolerance);
      });
    }
  }
}

// ---- copy.cu ---------------------------------------------------------------------------

namespace {

// A view into a buffer: shape, strides (elements, not negative) and where it starts.
struct View {
  std::string_view name;
  std::vector<int64_t> shape, strides;
  int64_t offset;

  varstar::StridedGeometry geometry() const {
    varstar::StridedGeometry g;
    g.ndim = static_cast<int>(shape.size());
    for (int d = 0; d < g.ndim; ++d) {
      g.shape[d] = shape[d];
      g.strides[d] = strides[d];
    }
    return g;
  }
  // Elements of the buffer the view lies in (its last element is the buffer's last).
  int64_t extent() const {
    int64_t last = offset;
    for (size_t d = 0; d < shape.size(); ++d) last += (shape[d] - 1) * strides[d];
    return last + 1;
  }
  bool overlaps() const {  // some element seen twice (a stride of 0 along a dimension longer than 1)
    for (size_t d = 0; d < shape.size(); ++d)
      if (strides[d] == 0 && shape[d] > 1) return true;
    return false;
  }
};

const std::vector<View>& views() {
  static const std::vector<View> v = {
      {"a transposed (13, 7): (7, 13)", {7, 13}, {1, 7}, 0},
      {"(3, 5, 7) permuted to (7, 3, 5)", {7, 3, 5}, {1, 35, 7}, 0},
      {"(2, 3, 5, 7) permuted to (5, 2, 7, 3)", {5, 2, 7, 3}, {7, 105, 1, 35}, 0},
      {"every third column of rows 2..7 of a (8, 20), from column 3", {6, 5}, {20, 3}, 43},
      {"a row of 5 expanded over 11 rows (stride 0)", {11, 5}, {0, 1}, 0},
      {"a 0-d scalar at element 3", {}, {}, 3},
      {"every other element of 4,098, from the second (several grid turns)", {2049}, {2}, 1},
      {"a transposed (29, 37): (37, 29)", {37, 29}, {1, 37}, 0},
  };
  return v;
}

template <class T>
std::vector<T> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> v(n);
  if constexpr (std::is_same_v<T, int32_t>) {
    for (T& x : v) x = static_cast<int32_t>(rng());
  } else {
    std::uniform_real_distribution<T> dist(-1, 1);
    for (T& x : v) x = dist(rng);
  }
  return v;
}

template <class T>
void check_copy_and_scatter(const View& view, uint32_t seed) {
  CAPTURE(view.name);
  CAPTURE(sizeof(T));
  const varstar::StridedGeometry g = view.geometry();
  const int64_t n = product(view.shape), extent = view.extent();
  const std::vector<T> storage = random_values<T>(extent, seed);
  std::vector<T> want(n);
  cpu::copy_strided<T>(storage.data() + view.offset, g, want.data());
  for_each_run([&] {
    std::vector<T> dst(n, T(-7));
    gpu::copy_strided(storage.data() + view.offset, sizeof(T), g, dst.data(), nullptr);
    CHECK(first_bit_difference(dst, want) == -1);
  });
  if (view.overlaps()) return;  // scatter through it would write one element from several threads
  // The inverse: contiguous values written through the view; the elements it
  // does not reach keep the buffer's own.
  const std::vector<T> src = random_values<T>(n, seed + 1);
  std::vector<T> scattered = storage;
  cpu::scatter_strided<T>(src.data(), g, scattered.data() + view.offset);
  for_each_run([&] {
    std::vector<T> dst = storage;
    gpu::scatter_strided(src.data(), sizeof(T), g, dst.data() + view.offset, nullptr);
    CHECK(first_bit_difference(dst, scattered) == -1);
  });
}

}  // namespace

TEST_CASE("emu copy.cu: strided gather and scatter, 4- and 8-byte elements: transposes, slices, stride 0, 0-d") {
  uint32_t seed = 1000;
  for (const View& v : views()) {
    check_copy_and_scatter<float>(v, seed++);
    check_copy_and_scatter<int32_t>(v, seed++);
    check_copy_and_scatter<double>(v, seed++);
  }
}

TEST_CASE("emu copy.cu: fill (float, int32) writes n elements and nothing past them; int32 to float cast") {
  // One guard element on either side of the n filled.
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1001}, int64_t{3001}}) {
    CAPTURE(n);
    for (float value : {2.5f, -0.f}) {
      CAPTURE(value);
      std::vector<float> want = uniform(n + 2, 1100 + static_cast<uint32_t>(n));
      const std::vector<float> before = want;
      cpu::fill<float>(want.data() + 1, n, value);
      for_each_run([&] {
        std::vector<float> buf = before;
        gpu::fill(buf.data() + 1, n, value, nullptr);
        CHECK(first_bit_difference(buf, want) == -1);
      });
    }
    std::vector<int32_t> want = random_values<int32_t>(n + 2, 1200 + static_cast<uint32_t>(n));
    const std::vector<int32_t> before = want;
    cpu::fill<int32_t>(want.data() + 1, n, -123456789);
    for_each_run([&] {
      std::vector<int32_t> buf = before;
      gpu::fill(buf.data() + 1, n, -123456789, nullptr);
      CHECK(first_bit_difference(buf, want) == -1);
    });

    // Casts: values past 2^24 round to a float; the extremes.
    std::vector<int32_t> ints = random_values<int32_t>(n, 1300 + static_cast<uint32_t>(n));
    const int32_t special[] = {0, -1, (1 << 24) + 1, -(1 << 24) - 3, std::numeric_limits<int32_t>::max(),
                               std::numeric_limits<int32_t>::min()};
    for (size_t i = 0; i < std::size(special) && i < ints.size(); ++i) ints[i] = special[i];
    std::vector<float> cast_want(n);
    cpu::cast<int32_t, float>(ints.data(), cast_want.data(), n);
    for_each_run([&] {
      std::vector<float> out(n, NAN);
      gpu::cast(ints.data(), out.data(), n, nullptr);
      CHECK(first_bit_difference(out, cast_want) == -1);
    });
  }
}

TEST_CASE("emu copy.cu: fill_uniform is lo + (hi - lo) * philox_uniform(seed, i)") {
  for (int64_t n : {int64_t{1}, int64_t{1001}, int64_t{3001}}) {
    for (uint64_t seed : {uint64_t{0}, uint64_t{0x123456789abcdefULL}}) {
      CAPTURE(n);
      CAPTURE(seed);
      const float lo = -1.5f, hi = 2.f;
      std::vector<float> want(n);
      for (int64_t i = 0; i < n; ++i)
        want[i] = lo + (hi - lo) * varstar::philox_uniform(seed, static_cast<uint64_t>(i));
      for_each_run([&] {
        std::vector<float> out(n, NAN);
        gpu::fill_uniform(out.data(), n, seed, lo, hi, nullptr);
        CHECK(max_abs_diff(out, want) <= kFmaAbsTolerance);
        CHECK(*std::min_element(out.begin(), out.end()) >= lo);
        CHECK(*std::max_element(out.begin(), out.end()) < hi);
      });
    }
  }
}

// ---- pool.cu ---------------------------------------------------------------------------

TEST_CASE("emu pool.cu: max pooling forward and backward on every kernel, bit for bit (ties, NaN, -0)") {
  struct Case {
    int64_t planes, h, w, kh, kw, stride_h, stride_w;
    std::string_view path;
  };
  const std::vector<Case> cases = {
      {12, 13, 17, 2, 2, 2, 2, "2x2 tiles (the 2-D CNN), the last row and column in no window: scatter<2, 2>"},
      {8, 12, 16, 2, 2, 2, 2, "2x2 tiles covering the plane: scatter<2, 2>"},
      {32, 1, 75, 1, 2, 1, 2, "1x2 tiles (the CNN-LSTM's pooling over time), odd length: scatter<1, 2>"},
      {6, 11, 14, 3, 3, 3, 3, "3x3 tiles: scatter<0, 0>"},
      {5, 1, 301, 1, 4, 1, 4, "1x4 tiles: scatter<0, 0>"},
      {3, 12, 13, 2, 3, 2, 3, "2x3 tiles: scatter<0, 0>"},
      {4, 13, 17, 3, 3, 2, 2, "3x3 windows, stride 2 (overlapping): 32-bit gather"},
      {3, 9, 10, 3, 3, 1, 1, "3x3 windows, stride 1 (up to 9 windows choose one element): 32-bit gather"},
      {4, 14, 17, 2, 2, 3, 3, "2x2 windows, stride 3 (gaps no window reads): 32-bit gather"},
      {7, 1, 99, 1, 3, 1, 2, "1x3 windows, stride 2 (1-d, overlapping): 32-bit gather"},
      {3, 12, 13, 2, 3, 2, 1, "2x3 windows, strides (2, 1): 32-bit gather"},
  };
  uint32_t seed = 1400;
  for (const Case& c : cases) {
    CAPTURE(c.path);
    const varstar::PoolShape s = varstar::make_pool_shape(c.planes, c.h, c.w, c.kh, c.kw, c.stride_h, c.stride_w);
    const int64_t in = s.planes * s.h * s.w, out = s.planes * s.out_h * s.out_w;
    // Five levels: ties in most windows (the first maximum wins); a NaN in a few planes.
    std::vector<float> x = uniform(in, seed++);
    for (float& v : x) v = std::round(v * 2.f) / 2.f;
    for (int64_t i = 5; i < in; i += 97) x[i] = NAN;
    std::vector<float> dy = uniform(out, seed++);
    for (int64_t o = 0; o < out; o += 5) dy[o] = -0.f;  // 0 + -0 is +0, on the CPU and in the kernels
    std::vector<float> y_cpu(out), dx_cpu(in);
    std::vector<int32_t> argmax_cpu(out);
    cpu::maxpool2d_forward<float>(x.data(), y_cpu.data(), argmax_cpu.data(), s);
    cpu::maxpool2d_backward<float>(dy.data(), argmax_cpu.data(), dx_cpu.data(), s);
    for_each_run([&] {
      std::vector<float> y(out, 1.f), dx(in, NAN);
      std::vector<int32_t> argmax(out, -1);
      gpu::maxpool2d_forward(x.data(), y.data(), argmax.data(), s, nullptr);
      CHECK(first_bit_difference(y, y_cpu) == -1);
      CHECK(first_bit_difference(argmax, argmax_cpu) == -1);
      gpu::maxpool2d_backward(dy.data(), argmax_cpu.data(), dx.data(), s, nullptr);
      CHECK(first_bit_difference(dx, dx_cpu) == -1);
    });
  }
}

// ---- batch_norm.cu ---------------------------------------------------------------------

namespace {

struct NormCase {
  varstar::NormShape shape;
  std::string_view name;
};
const std::vector<NormCase>& norm_cases() {
  static const std::vector<NormCase> v = {
      // Each channel is a block of 256 threads through ~20 barriers: few channels keep the emulator quick.
      {{37, 3, 1}, "(N, C) = (37, 3): the 1-d networks' dense layers, fewer values than threads"},
      {{3, 2, 129}, "(3, 2, 129): 387 values a channel, threads take two"},
      {{2, 3, 143}, "(2, 3, 11 x 13): a 2-D CNN's feature maps"},
      {{1, 2, 1}, "(1, 2, 1): one value a channel, variance 0"},
  };
  return v;
}

}  // namespace

TEST_CASE("emu batch_norm.cu: training forward (batch statistics) and eval forward, with and without gamma, beta") {
  const float eps = 1e-5f;
  uint32_t seed = 1500;
  for (const NormCase& c : norm_cases()) {
    const varstar::NormShape& s = c.shape;
    const int64_t total = s.n * s.c * s.s;
    const std::vector<float> x = uniform(total, seed++, -2.f, 3.f);  // a channel mean away from 0
    const std::vector<float> gamma = uniform(s.c, seed++, 0.5f, 2.f), beta = uniform(s.c, seed++);
    const std::vector<float> running_mean = uniform(s.c, seed++), running_var = uniform(s.c, seed++, 0.5f, 2.f);
    for (bool affine : {true, false}) {
      CAPTURE(c.name);
      CAPTURE(affine);
      const float* g = affine ? gamma.data() : nullptr;
      const float* b = affine ? beta.data() : nullptr;
      std::vector<float> y_cpu(total), mean_cpu(s.c), invstd_cpu(s.c), y_eval_cpu(total);
      cpu::batch_norm_forward_train<float>(x.data(), g, b, y_cpu.data(), mean_cpu.data(), invstd_cpu.data(), eps, s);
      cpu::batch_norm_forward_eval<float>(x.data(), g, b, running_mean.data(), running_var.data(), y_eval_cpu.data(),
                                          eps, s);
      for_each_order([&] {
        std::vector<float> y(total, NAN), mean(s.c, NAN), invstd(s.c, NAN);
        gpu::batch_norm_forward_train(x.data(), g, b, y.data(), mean.data(), invstd.data(), eps, s, nullptr);
        CHECK(max_abs_diff(mean, mean_cpu) <= kNormAbsTolerance);
        for (int64_t ch = 0; ch < s.c; ++ch)  // up to 1 / sqrt(eps) = 316 for a constant channel
          CHECK(invstd[ch] == doctest::Approx(invstd_cpu[ch]).epsilon(kNormRelTolerance));
        CHECK(max_abs_diff(y, y_cpu) <= kNormAbsTolerance);
      });
      for_each_run([&] {
        std::vector<float> y_eval(total, NAN);
        gpu::batch_norm_forward_eval(x.data(), g, b, running_mean.data(), running_var.data(), y_eval.data(), eps, s,
                                     nullptr);
        CHECK(max_abs_diff(y_eval, y_eval_cpu) <= kNormAbsTolerance);
      });
    }
  }
}

TEST_CASE("emu batch_norm.cu: backward through the batch statistics and the running ones, every output optional") {
  const float eps = 1e-5f;
  uint32_t seed = 1600;
  for (const NormCase& c : norm_cases()) {
    const varstar::NormShape& s = c.shape;
    const int64_t total = s.n * s.c * s.s;
    const std::vector<float> x = uniform(total, seed++, -2.f, 3.f), dy = uniform(total, seed++);
    const std::vector<float> gamma = uniform(s.c, seed++, 0.5f, 2.f), beta = uniform(s.c, seed++);
    std::vector<float> y(total), mean(s.c), invstd(s.c);
    cpu::batch_norm_forward_train<float>(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                         eps, s);
    // Eval without gamma adds nothing the other three do not reach.
    for (const auto& [training, affine] : {std::pair{true, true}, std::pair{true, false}, std::pair{false, true}}) {
      CAPTURE(c.name);
      CAPTURE(training);
      CAPTURE(affine);
      const float* g = affine ? gamma.data() : nullptr;
      std::vector<float> dx_cpu(total), dgamma_cpu(s.c), dbeta_cpu(s.c);
      cpu::batch_norm_backward<float>(dy.data(), x.data(), g, mean.data(), invstd.data(), training, dx_cpu.data(),
                                      dgamma_cpu.data(), dbeta_cpu.data(), s);
      std::vector<float> dx(total, NAN), dgamma(s.c, NAN), dbeta(s.c, NAN);
      for_each_order([&] {
        std::fill(dx.begin(), dx.end(), NAN);
        std::fill(dgamma.begin(), dgamma.end(), NAN);
        std::fill(dbeta.begin(), dbeta.end(), NAN);
        gpu::batch_norm_backward(dy.data(), x.data(), g, mean.data(), invstd.data(), training, dx.data(),
                                 dgamma.data(), dbeta.data(), s, nullptr);
        CHECK(max_abs_diff(dx, dx_cpu) <= kNormAbsTolerance);
        CHECK(max_abs_diff(dgamma, dgamma_cpu) <= kNormAbsTolerance);
        CHECK(max_abs_diff(dbeta, dbeta_cpu) <= kNormAbsTolerance);
      });
      if (!training || !affine) continue;
      // Only the input's gradient (a frozen affine), then only the parameters'
      // (a first layer): the same values as with all three.
      std::vector<float> dx_only(total, NAN), dgamma_only(s.c, NAN), dbeta_only(s.c, NAN);
      gpu::batch_norm_backward(dy.data(), x.data(), g, mean.data(), invstd.data(), training, dx_only.data(), nullptr,
                               nullptr, s, nullptr);
      CHECK(first_bit_difference(dx_only, dx) == -1);
      gpu::batch_norm_backward(dy.data(), x.data(), g, mean.data(), invstd.data(), training, nullptr,
                               dgamma_only.data(), dbeta_only.data(), s, nullptr);
      CHECK(first_bit_difference(dgamma_only, dgamma) == -1);
      CHECK(first_bit_difference(dbeta_only, dbeta) == -1);
    }
  }
}

// ---- dmdt.cu ---------------------------------------------------------------------------

namespace {

struct LightCurves {
  std::vector<double> t, m;
  std::vector<int64_t> offsets = {0};
  int64_t longest = 0;
  int64_t count() const { return static_cast<int64_t>(offsets.size()) - 1; }
  void add(const std::vector<double>& ts, const std::vector<double>& ms) {
    t.insert(t.end(), ts.begin(), ts.end());
    m.insert(m.end(), ms.begin(), ms.end());
    offsets.push_back(static_cast<int64_t>(t.size()));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ts.size()));
  }
};

// A sorted light curve of n points over `span` days, times on a grid of 1/`grid`
// day (repeated times; dt exactly on the edges 1.5, 2.5, 7, ... d), every third
// magnitude on a 0.1 grid.
void add_light_curve(LightCurves& lc, std::mt19937_64& rng, int n, double span, double grid, double mean_mag) {
  std::uniform_real_distribution<double> when(58000, 58000 + span), noise(-1.2, 1.2);
  std::vector<double> ts(n), ms(n);
  for (double& x : ts) x = std::round(when(rng) * grid) / grid;
  std::sort(ts.begin(), ts.end());
  for (int i = 0; i < n; ++i) {
    const double mag = mean_mag + noise(rng);
    ms[i] = i % 3 == 0 ? std::round(mag * 10) / 10 : mag;
  }
  lc.add(ts, ms);
}

varstar::DmdtPlan make_plan(std::initializer_list<varstar::DmdtGeometry> geometries) {
  varstar::DmdtPlan plan;
  for (const varstar::DmdtGeometry& g : geometries) plan.geometry[plan.n_geometries++] = g;
  return plan;
}

// The CUDA launcher against the CPU: counts and pair counts exactly, into
// buffers full of garbage (the launcher zeroes them itself).
void check_dmdt(const varstar::DmdtPlan& plan, const LightCurves& lc) {
  const int size = varstar::dmdt_plan_size(plan);
  const int64_t n_series = lc.count();
  std::vector<uint32_t> want(n_series * size);
  std::vector<int64_t> want_pairs(n_series);
  cpu::dmdt_histogram_forward(plan, lc.t.data(), lc.m.data(), lc.offsets.data(), n_series, want.data(),
                              want_pairs.data());
  // The data reach what they are meant to: binned pairs, and pairs outside every image.
  int64_t binned = 0, pairs = 0;
  for (uint32_t v : want) binned += v;
  for (int64_t p : want_pairs) pairs += p;
  REQUIRE(binned > 0);
  REQUIRE(binned < pairs * plan.n_geometries);
  for_each_order([&] {
    std::vector<uint32_t> counts(n_series * size, 0xdeadbeefu);
    std::vector<int64_t> n_pairs(n_series, -7);
    gpu::dmdt_histogram_forward(plan, lc.t.data(), lc.m.data(), lc.offsets.data(), n_series, lc.longest,
                                counts.data(), n_pairs.data(), nullptr);
    CHECK(first_bit_difference(counts, want) == -1);
    CHECK(first_bit_difference(n_pairs, want_pairs) == -1);
  });
}

}  // namespace

TEST_CASE("emu dmdt.cu: several stars' g and r light curves in one launch, thesis and Mahabal edges, exact counts") {
  std::mt19937_64 rng(1700);
  LightCurves lc;
  // Five stars, g then r: 0 to 100 points (4 row blocks a series), over 5,000
  // days (pairs past the last dt edge, 4,000 d); odd stars on a 1/256-day grid
  // (dt > 0 below the first edge, 1/145 d).
  const int g_points[] = {0, 2, 33, 97, 64}, r_points[] = {1, 31, 100, 5, 70};
  for (int star = 0; star < 5; ++star) {
    const double grid = star % 2 == 0 ? 64 : 256, mean_mag = 14.5 + 0.5 * star;
    add_light_curve(lc, rng, g_points[star], 5000, grid, mean_mag + 0.4);
    add_light_curve(lc, rng, r_points[star], 5000, grid, mean_mag);
  }
  // Flat and evenly sampled: dm = 0 on an edge for every pair, runs of equal bins.
  std::vector<double> even(96);
  for (int i = 0; i < 96; ++i) even[i] = 58000 + 0.75 * i;
  lc.add(even, std::vector<double>(96, 15.5));

  const varstar::DmdtGeometry thesis =
      varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  const varstar::DmdtGeometry mahabal =
      varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  SUBCASE("thesis edges, |dm|") { check_dmdt(make_plan({thesis}), lc); }
  SUBCASE("Mahabal et al. 2017 edges, signed dm") { check_dmdt(make_plan({mahabal}), lc); }
  SUBCASE("both images from one pass (the representation's plan)") { check_dmdt(make_plan({thesis, mahabal}), lc); }
}

TEST_CASE("emu dmdt.cu: 2,100 points (64 row blocks, the cap), two 31 x 31 images (61 KB of shared histograms)") {
  std::mt19937_64 rng(1800);
  LightCurves lc;
  add_light_curve(lc, rng, 2100, 6000, 64, 16.);  // ceil(2100 / 32) = 66 row blocks, capped at 64
  // 32 edges a lookup; log-spaced positive edges take the IEEE-bits lookup (|dm| too), signed ones the uniform one.
  std::vector<double> dt_log(32), dm_log(32), dt_lin(32), dm_signed(32);
  for (int i = 0; i < 32; ++i) {
    dt_log[i] = 0.01 * std::pow(5000 / 0.01, i / 31.0);
    dm_log[i] = 0.001 * std::pow(10 / 0.001, i / 31.0);
    dt_lin[i] = 1 + 100.0 * i;
    dm_signed[i] = -3 + 6.0 * i / 31;
  }
  const varstar::DmdtPlan plan = make_plan(
      {varstar::make_dmdt_geometry(dt_log, dm_log, true), varstar::make_dmdt_geometry(dt_lin, dm_signed, false)});
  REQUIRE(plan.geometry[0].dm.kind == varstar::BinLookupKind::log_bits);
  REQUIRE(plan.geometry[1].dm.kind == varstar::BinLookupKind::uniform);
  REQUIRE(sizeof(uint32_t) * 8 * varstar::dmdt_plan_size(plan) > 48 * 1024);
  check_dmdt(plan, lc);
}
