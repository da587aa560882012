// kernels/cuda/conv.cu (the GEMM path and the direct first-layer kernels) and
// kernels/cuda/conv_winograd.cu on the CPU under the emulator, against the CPU
// reference in float64. cuBLAS's products are the CPU's GEMM here
// (tests/emu/runtime.cpp); what runs as in CUDA is every kernel around them:
// im2col, col2im, the layout swaps, the bias, the direct kernels, and the
// Winograd transforms, gathers and chunking.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/conv_winograd.h"
#include "kernels/winograd_tile.h"
#include "tests/emu/emu_test.h"

using namespace emutest;
namespace cpu = varstar::cpu;
namespace gpu = varstar::cuda;
using varstar::ConvShape;

namespace {

// ||float result - float64 reference|| / ||reference||: GEMM sums of up to a few hundred products.
constexpr double kConvRelL2Tolerance = 2e-6;
// Winograd's transforms amplify rounding: F(4,5) reaches ~2e-6 (test_winograd); a margin above it.
constexpr double kWinogradRelL2Tolerance = 1e-5;

double rel_l2(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double err = 0, norm = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::isnan(err) ? INFINITY : std::sqrt(err / (norm > 0 ? norm : 1));
}

struct ConvCase {
  const char* name;
  ConvShape s;
};

struct Reference {
  std::vector<float> x, w, b, dy;
  std::vector<double> y, dx, dw, db;
};

Reference reference(const ConvShape& s, uint32_t seed) {
  Reference r;
  r.x = uniform(s.batch * s.c_in * s.in_pixels(), seed);
  r.w = uniform(s.c_out * s.col_rows(), seed + 1);
  r.b = uniform(s.c_out, seed + 2);
  r.dy = uniform(s.batch * s.c_out * s.out_pixels(), seed + 3);
  const std::vector<double> x = widen(r.x), w = widen(r.w), b = widen(r.b), dy = widen(r.dy);
  r.y.resize(r.dy.size());
  r.dx.resize(r.x.size());
  r.dw.resize(r.w.size());
  r.db.resize(r.b.size());
  cpu::conv2d_forward_naive(x.data(), w.data(), b.data(), r.y.data(), s);
  cpu::conv2d_backward_input(dy.data(), w.data(), r.dx.data(), s);
  cpu::conv2d_backward_weight(dy.data(), x.data(), r.dw.data(), r.db.data(), s);
  return r;
}

using Forward = void (*)(const float*, const float*, const float*, float*, const ConvShape&, varstar::cuda_stream);
using BackwardInput = void (*)(const float*, const float*, float*, const ConvShape&, varstar::cuda_stream);
using BackwardWeight = void (*)(const float*, const float*, float*, float*, const ConvShape&, varstar::cuda_stream);

// The three directions of one path on one shape, in every emulator run.
void check_path(const ConvShape& s, uint32_t seed, Forward forward, BackwardInput backward_input,
                BackwardWeight backward_weight, double tolerance) {
  const Reference r = reference(s, seed);
  for_each_run([&] {
    std::vector<float> y(r.y.size(), NAN), dx(r.dx.size(), NAN), dw(r.dw.size(), NAN), db(r.db.size(), NAN);
    forward(r.x.data(), r.w.data(), r.b.data(), y.data(), s, nullptr);
    backward_input(r.dy.data(), r.w.data(), dx.data(), s, nullptr);
    backward_weight(r.dy.data(), r.x.data(), dw.data(), db.data(), s, nullptr);
    CHECK(rel_l2(y, r.y) < tolerance);
    CHECK(rel_l2(dx, r.dx) < tolerance);
    CHECK(rel_l2(dw, r.dw) < tolerance);
    CHECK(rel_l2(db, r.db) < kConvRelL2Tolerance);
  });
}

}  // namespace

TEST_CASE("emu conv.cu: the GEMM path and the direct kernels against float64, three directions") {
  using varstar::make_conv_shape;
  // make_conv_shape(batch, c_in, c_out, h, w, kh, kw, pad_h, pad_w, stride_h, stride_w)
  const std::vector<ConvCase> cases = {
      {"im2col: 3x3 same padding, odd sizes", make_conv_shape(3, 5, 4, 7, 9, 3, 3, 1, 1)},
      {"im2col: 5x5, stride 2, padding 2", make_conv_shape(2, 3, 6, 11, 10, 5, 5, 2, 2, 2, 2)},
      {"im2col: 1-d, 5 taps (the thesis's conv3 shape, smaller)", make_conv_shape(3, 16, 8, 1, 37, 1, 5, 0, 2)},
      {"direct: first 2-d layer, 1 channel, 3x3", make_conv_shape(4, 1, 5, 12, 13, 3, 3, 1, 1)},
      {"direct: first 1-d layer, 1 channel, 3 taps", make_conv_shape(5, 1, 8, 1, 101, 1, 3, 0, 1)},
      {"direct: 3 x 5 taps, 2 channels, stride (1, 2)", make_conv_shape(2, 2, 3, 6, 15, 3, 5, 1, 0, 1, 2)},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string name = cases[i].name;
    CAPTURE(name);
    check_path(cases[i].s, 100 + static_cast<uint32_t>(i) * 10, gpu::conv2d_forward_im2col,
               gpu::conv2d_backward_input_im2col, gpu::conv2d_backward_weight_im2col, kConvRelL2Tolerance);
  }
}

TEST_CASE("emu conv_winograd.cu: F(4,3), F(4,5), F(6,3), F(6,5) against float64, three directions, in chunks") {
  using varstar::make_conv_shape;
  const std::vector<ConvCase> cases = {
      {"2-d 3x3 same padding, partial tiles", make_conv_shape(2, 4, 6, 9, 11, 3, 3, 1, 1)},
      {"2-d 5x5 same padding (the 2D-CNN's layers, smaller)", make_conv_shape(2, 3, 5, 10, 7, 5, 5, 2, 2)},
      {"2-d 3x3 without padding", make_conv_shape(1, 3, 2, 8, 8, 3, 3, 0, 0)},
      {"2-d 3 x 5 taps: both tables in one convolution", make_conv_shape(2, 2, 3, 7, 13, 3, 5, 1, 2)},
      {"1-d 5 taps, F(6,5)", make_conv_shape(3, 6, 4, 1, 45, 1, 5, 0, 2)},
      {"1-d 3 taps, F(6,3)", make_conv_shape(2, 5, 7, 1, 31, 1, 3, 0, 1)},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string name = cases[i].name;
    CAPTURE(name);
    REQUIRE(varstar::winograd_fits(cases[i].s));
    check_path(cases[i].s, 200 + static_cast<uint32_t>(i) * 10, gpu::conv2d_forward_winograd,
               gpu::conv2d_backward_input_winograd, gpu::conv2d_backward_weight_winograd, kWinogradRelL2Tolerance);
  }
  SUBCASE("five samples in chunks of one or two: the weight gradient adds the chunks") {
    struct SmallChunks {
      SmallChunks() { gpu::set_winograd_chunk_floats(2 * 64 * 12 * (5 + 6 + 5)); }
      ~SmallChunks() { gpu::set_winograd_chunk_floats(0); }
    } chunks;
    const ConvShape s = make_conv_shape(5, 5, 6, 8, 8, 5, 5, 2, 2);
    check_path(s, 300, gpu::conv2d_forward_winograd, gpu::conv2d_backward_input_winograd,
               gpu::conv2d_backward_weight_winograd, kWinogradRelL2Tolerance);
  }
}

TEST_CASE("emu conv.cu: conv2d_add_bias adds each channel's bias to its planes (the cuDNN path's bias)") {
  const ConvShape s = varstar::make_conv_shape(3, 2, 5, 6, 7, 3, 3, 1, 1);
  const std::vector<float> y0 = uniform(s.batch * s.c_out * s.out_pixels(), 400), bias = uniform(s.c_out, 401);
  for_each_run([&] {
    std::vector<float> y = y0;
    gpu::conv2d_add_bias(y.data(), bias.data(), s, nullptr);
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t o = 0; o < s.c_out; ++o)
        for (int64_t p = 0; p < s.out_pixels(); ++p) {
          const int64_t i = (b * s.c_out + o) * s.out_pixels() + p;
          REQUIRE(y[i] == y0[i] + bias[o]);
        }
  });
}

TEST_CASE("emu conv_winograd.cu: a shape the path does not take is refused, not computed") {
  const ConvShape strided = varstar::make_conv_shape(1, 2, 2, 8, 8, 3, 3, 1, 1, 2, 2);
  std::vector<float> x(2 * 64), w(2 * 2 * 9), y(2 * 16);
  CHECK_THROWS_WITH(gpu::conv2d_forward_winograd(x.data(), w.data(), nullptr, y.data(), strided, nullptr),
                    doctest::Contains("Winograd"));
}
