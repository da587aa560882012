// Times the CPU convolution of each layer of the thesis networks (batch 32,
// float32) through im2col + GEMM and through Winograd (kernels/cpu/conv_winograd.cpp),
// alternating the two, and checks that both give the same result to float32
// rounding. Both gradients are timed as two calls (dx, dw) and as the one
// call the engine makes (conv2d_backward, "dx+dw"), which must give the same
// bits. Not a test.
//   build/bench/bench_dev_conv_cpu [ROUNDS [im2col|winograd|chunks|all [LAYER]]]   (threads: OMP_NUM_THREADS)
// A path named runs that path alone (for perf record); `chunks` times the
// Winograd path at several chunk sizes, alternating; `all` both paths. LAYER
// keeps the layers whose name contains it.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv.h"

namespace {

using varstar::ConvShape;
namespace cpu = varstar::cpu;

struct Layer {
  const char* name;
  ConvShape s;
};

ConvShape conv(int64_t c_in, int64_t c_out, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t pad_h,
               int64_t pad_w) {
  return varstar::make_conv_shape(32, c_in, c_out, h, w, kh, kw, pad_h, pad_w);
}

struct Timing {
  double forward = 1e30, input = 1e30, weight = 1e30, both = 1e30;  // best seconds
};

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double peak = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    peak = std::max(peak, std::abs(double(b[i])));
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
  }
  return diff / std::max(peak, 1e-30);
}

struct Variant {
  std::string label;
  cpu::WinogradPolicy policy;
  int64_t chunk_tiles;
};

std::vector<Variant> variants_for(const std::string& mode) {
  const Variant im2col{"im2col", cpu::WinogradPolicy::off, cpu::kDefaultChunkTiles};
  const Variant winograd{"winograd", cpu::WinogradPolicy::always, cpu::kDefaultChunkTiles};
  if (mode == "im2col") return {im2col};
  if (mode == "winograd") return {winograd};
  if (mode == "chunks") {
    std::vector<Variant> v{im2col};
    for (int64_t tiles : {128, 256, 512, 1024, 1 << 20})
      v.push_back({"chunk " + std::to_string(tiles), cpu::WinogradPolicy::always, tiles});
    return v;
  }
  return {im2col, winograd};
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: bench_dev_conv_cpu [ROUNDS [im2col|winograd|chunks|all [LAYER]]]  (ROUNDS: 1 to 1000, default 5)\n";
  char* end = nullptr;
  const long parsed = argc > 1 ? std::strtol(argv[1], &end, 10) : 5;
  const std::string mode = argc > 2 && std::string(argv[2]) != "all" ? argv[2] : "";
  const std::string only = argc > 3 ? argv[3] : "";
  if ((argc > 1 && (*end != '\0' || parsed < 1 || parsed > 1000)) || argc > 4 ||
      !(mode.empty() || mode == "im2col" || mode == "winograd" || mode == "chunks")) {
    std::fputs(usage, stderr);
    return 2;
  }
  const int rounds = static_cast<int>(parsed);
  const std::vector<Variant> variants = variants_for(mode);
  const std::vector<Layer> layers = {
      {"cnn-lstm conv1 (1-d, 3 taps, 1->64, L 359)", conv(1, 64, 1, 359, 1, 3, 0, 1)},
      {"cnn-lstm conv2 (1-d, 3 taps, 64->128, L 359)", conv(64, 128, 1, 359, 1, 3, 0, 1)},
      {"cnn-lstm conv3 (1-d, 5 taps, 128->256, L 179)", conv(128, 256, 1, 179, 1, 5, 0, 2)},
      {"cnn-lstm conv4 (1-d, 5 taps, 256->256, L 179)", conv(256, 256, 1, 179, 1, 5, 0, 2)},
      {"cnn2d conv1 (3x3, 1->64, 24x24)", conv(1, 64, 24, 24, 3, 3, 1, 1)},
      {"cnn2d conv2 (5x5, 64->128, 24x24)", conv(64, 128, 24, 24, 5, 5, 2, 2)},
      {"cnn2d conv3 (5x5, 128->256, 12x12)", conv(128, 256, 12, 12, 5, 5, 2, 2)},
      {"cnn2d conv4 (5x5, 256->256, 12x12)", conv(256, 256, 12, 12, 5, 5, 2, 2)},
      // The demo's 2D-CNN: 16 x 16 images plus 10 feature channels.
      {"demo cnn2d conv1 (3x3, 11->64, 16x16)", conv(11, 64, 16, 16, 3, 3, 1, 1)},
      {"demo cnn2d conv2 (5x5, 64->128, 16x16)", conv(64, 128, 16, 16, 5, 5, 2, 2)},
      {"demo cnn2d conv3 (5x5, 128->256, 8x8)", conv(128, 256, 8, 8, 5, 5, 2, 2)},
      {"demo cnn2d conv4 (5x5, 256->256, 8x8)", conv(256, 256, 8, 8, 5, 5, 2, 2)},
  };
  std::printf("CPU convolution, batch 32, float32, %d thread(s), best of %d alternating rounds\n",
              omp_get_max_threads(), rounds);
  std::printf("%-48s %-12s %9s %9s %9s %9s %9s %8s %10s\n", "layer", "path", "fwd ms", "dx ms", "dw ms",
              "dx+dw ms", "total", "vs first", "max diff");
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const size_t nv = variants.size();
  for (const Layer& layer : layers) {
    if (std::string(layer.name).find(only) == std::string::npos) continue;
    const ConvShape& s = layer.s;
    std::vector<float> x(s.batch * s.c_in * s.h * s.w), w(s.c_out * s.c_in * s.kh * s.kw), bias(s.c_out),
        dy(s.batch * s.c_out * s.out_h * s.out_w);
    for (auto* v : {&x, &w, &bias, &dy}) std::generate(v->begin(), v->end(), [&] { return dist(gen); });
    std::vector<std::vector<float>> y(nv), dx(nv), dw(nv), db(nv), dx1(nv), dw1(nv), db1(nv);
    std::vector<Timing> t(nv);
    for (int r = 0; r < rounds + 1; ++r) {
      for (size_t k = 0; k < nv; ++k) {
        const cpu::WinogradScope scope(variants[k].policy);
        cpu::set_winograd_chunk_tiles(variants[k].chunk_tiles);
        y[k].resize(s.batch * s.c_out * s.out_h * s.out_w);
        dx[k].resize(x.size());
        dw[k].resize(w.size());
        db[k].resize(s.c_out);
        dx1[k].resize(x.size());
        dw1[k].resize(w.size());
        db1[k].resize(s.c_out);
        using clock = std::chrono::steady_clock;
        const auto t0 = clock::now();
        cpu::conv2d_forward(x.data(), w.data(), bias.data(), y[k].data(), s);
        const auto t1 = clock::now();
        cpu::conv2d_backward_input(dy.data(), w.data(), dx[k].data(), s);
        const auto t2 = clock::now();
        cpu::conv2d_backward_weight(dy.data(), x.data(), dw[k].data(), db[k].data(), s);
        const auto t3 = clock::now();
        cpu::conv2d_backward(dy.data(), x.data(), w.data(), dx1[k].data(), dw1[k].data(), db1[k].data(), s);
        const auto t4 = clock::now();
        if (dx1[k] != dx[k] || dw1[k] != dw[k] || db1[k] != db[k]) {
          std::fprintf(stderr, "%s, %s: conv2d_backward differs from the two calls\n", layer.name,
                       variants[k].label.c_str());
          return 1;
        }
        if (r == 0) continue;  // warm-up
        auto sec = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
        t[k].forward = std::min(t[k].forward, sec(t0, t1));
        t[k].input = std::min(t[k].input, sec(t1, t2));
        t[k].weight = std::min(t[k].weight, sec(t2, t3));
        t[k].both = std::min(t[k].both, sec(t3, t4));
      }
    }
    const double first = t[0].forward + t[0].input + t[0].weight;
    for (size_t k = 0; k < nv; ++k) {
      const double total = t[k].forward + t[k].input + t[k].weight;
      const double diff =
          std::max({max_rel_diff(y[k], y[0]), max_rel_diff(dx[k], dx[0]), max_rel_diff(dw[k], dw[0])});
      std::printf("%-48s %-12s %9.2f %9.2f %9.2f %9.2f %9.2f %7.2fx %10.1e\n", k == 0 ? layer.name : "",
                  variants[k].label.c_str(), 1e3 * t[k].forward, 1e3 * t[k].input, 1e3 * t[k].weight,
                  1e3 * t[k].both, 1e3 * total, first / total, diff);
    }
  }
  return 0;
}
