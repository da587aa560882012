// bench_dev_conv: variants of the convolution (kernels/conv.h) on the layers
// of the two thesis networks at batch 32, each direction on its own:
//   fwd   x, weight, bias -> y
//   bwdd  dy, weight -> dx                     (backward data)
//   bwdf  dy, x -> dweight, dbias              (backward filter)
// Variants:
//   1 production  varstar::cuda::conv2d_* as training runs them: cuDNN's
//                 fastest deterministic, precise float32 algorithm (cudnnFind),
//                 or our GEMM or Winograd path where timing said it is faster
//                 (conv_cudnn.cpp; VARSTAR_CONV_VERBOSE=1 prints each choice)
//   2 cudnn       cuDNN's choice alone (set_conv_gemm_candidate(false),
//                 set_conv_winograd(off))
//   3 gemm        our GEMM path alone (set_use_cudnn(false); kernels/cuda/conv.cu:
//                 the columns of all samples side by side, one GEMM over B*P
//                 columns per direction; the forward and weight gradient of
//                 windows of Cin*KH*KW <= 32, the first layers, as direct kernels)
//   4 batched     the GEMM path's former forward and backward data: one GEMM per
//                 sample over P columns (cublasSgemmStridedBatched), columns
//                 batch-major (the weight gradient was already one GEMM: n/a)
//   5 winograd    our Winograd path (kernels/cuda/conv_winograd.cu; F(4,3),
//                 F(4,5)) wherever it fits (set_conv_winograd(always)), the
//                 GEMM path elsewhere; samples in chunks whose transformed
//                 tensors take up to 256 MiB (the default)
//   6 wino-8MiB   as 5 in chunks of up to 8 MiB, and 7 wino-32MiB of 32 MiB:
//                 whether chunks that stay in L2 (50 MiB on an H100) between
//                 the transforms and the GEMMs beat fewer, larger launches
// Every variant is validated against a float64 CPU reference
// (kernels/cpu/conv.cpp) before it is timed: max |got - ref| over max |ref|,
// per output, at most kRelTol (float32 sums of up to 6,400 products, and
// cuDNN's Winograd and FFT algorithms; an indexing error is of order 1).
// GFLOP/s count 2 * B * Cout * Cin * KH * KW * OH * OW per direction (the
// direct convolution's products), so algorithms that do fewer products show
// above the SGEMM rate; "% sgemm" is against cuBLAS SGEMM 4096^3 in the same
// run. "x prod" is production's time over the variant's. The totals are each
// network's four layers, all three directions: the convolution work of one
// training step.
// Usage: bench_dev_conv [--quick] (batch 4); exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/conv.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/conv_winograd.h"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"
#include "kernels/philox_math.h"

namespace {

constexpr double kRelTol = 2e-4;
constexpr unsigned kBlock = 256;

using varstar::ConvShape;

// ---- 4: batched (the former forward and backward data of the GEMM path) ----
// col (B, rows, P) from x (B, Cin, H, W).
__global__ void batched_im2col_kernel(const float* __restrict__ x, float* __restrict__ col, ConvShape s) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * rows * np;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx % np, r = (idx / np) % rows, b = idx / (np * rows);
    const int64_t src = varstar::im2col_source(s, r, p);
    col[idx] = src < 0 ? 0.f : x[b * s.c_in * s.in_pixels() + src];
  }
}

// dx (B, Cin, H, W) gathered from dcol (B, rows, P).
__global__ void batched_col2im_kernel(const float* __restrict__ dcol, float* __restrict__ dx, ConvShape s) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * s.c_in * s.in_pixels();
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t iw = idx % s.w, ih = (idx / s.w) % s.h, c = (idx / s.in_pixels()) % s.c_in;
    const int64_t b = idx / (s.c_in * s.in_pixels());
    float acc = 0.f;
    for (int64_t i = 0; i < s.kh; ++i) {
      const int64_t oh_num = ih + s.pad_h - i;
      if (oh_num < 0 || oh_num % s.stride_h != 0 || oh_num / s.stride_h >= s.out_h) continue;
      for (int64_t j = 0; j < s.kw; ++j) {
        const int64_t ow_num = iw + s.pad_w - j;
        if (ow_num < 0 || ow_num % s.stride_w != 0 || ow_num / s.stride_w >= s.out_w) continue;
        const int64_t r = (c * s.kh + i) * s.kw + j;
        acc += dcol[(b * rows + r) * np + oh_num / s.stride_h * s.out_w + ow_num / s.stride_w];
      }
    }
    dx[idx] = acc;
  }
}

void batched_forward(const float* x, const float* w, const float* bias, float* y, const ConvShape& s,
                     cudaStream_t st) {
  const int64_t rows = s.col_rows(), np = s.out_pixels();
  varstar::cuda::Workspace col(s.batch * rows * np, st);
  batched_im2col_kernel<<<varstar::cuda::detail::grid_for(s.batch * rows * np, kBlock), kBlock, 0, st>>>(
      x, col.data(), s);
  VARSTAR_CUDA_CHECK_LAUNCH("batched_im2col");
  varstar::cuda::gemm_strided_batched(false, false, s.c_out, np, rows, 1.f, w, rows, 0, col.data(), np, rows * np,
                                      0.f, y, np, s.c_out * np, s.batch, st);
  varstar::cuda::conv2d_add_bias(y, bias, s, st);
}

void batched_backward_data(const float* dy, const float* w, float* dx, const ConvShape& s, cudaStream_t st) {
  const int64_t rows = s.col_rows(), np = s.out_pixels(), total = s.batch * s.c_in * s.in_pixels();
  varstar::cuda::Workspace dcol(s.batch * rows * np, st);
  varstar::cuda::gemm_strided_batched(true, false, rows, np, s.c_out, 1.f, w, rows, 0, dy, np, s.c_out * np, 0.f,
                                      dcol.data(), np, rows * np, s.batch, st);
  batched_col2im_kernel<<<varstar::cuda::detail::grid_for(total, kBlock), kBlock, 0, st>>>(dcol.data(), dx, s);
  VARSTAR_CUDA_CHECK_LAUNCH("batched_col2im");
}

// ---- the layers ----
struct Layer {
  const char* net;
  const char* name;
  ConvShape s;
};

ConvShape shape(int64_t batch, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t k, int64_t pad) {
  return varstar::make_conv_shape(batch, c_in, c_out, h, w, h == 1 ? 1 : k, k, h == 1 ? 0 : pad, pad);
}

// models/cnn_lstm.cpp and models/cnn2d.cpp (Table 3, same padding).
std::vector<Layer> layers(int64_t b) {
  return {{"cnn-lstm", "conv1 1->64 k3", shape(b, 1, 1, 359, 64, 3, 1)},
          {"cnn-lstm", "conv2 64->128 k3", shape(b, 64, 1, 359, 128, 3, 1)},
          {"cnn-lstm", "conv3 128->256 k5", shape(b, 128, 1, 179, 256, 5, 2)},
          {"cnn-lstm", "conv4 256->256 k5", shape(b, 256, 1, 179, 256, 5, 2)},
          {"cnn2d", "conv1 1->64 3x3", shape(b, 1, 24, 24, 64, 3, 1)},
          {"cnn2d", "conv2 64->128 5x5", shape(b, 64, 24, 24, 128, 5, 2)},
          {"cnn2d", "conv3 128->256 5x5", shape(b, 128, 12, 12, 256, 5, 2)},
          {"cnn2d", "conv4 256->256 5x5", shape(b, 256, 12, 12, 256, 5, 2)}};
}

std::vector<float> random_vector(int64_t n, uint64_t stream) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 2.f * varstar::philox_uniform(stream, static_cast<uint64_t>(i)) - 1.f;
  return v;
}

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

float* upload(const std::vector<float>& v) {
  float* d = nullptr;
  VARSTAR_CUDA_CHECK(cudaMalloc(&d, v.size() * sizeof(float)));
  VARSTAR_CUDA_CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice));
  return d;
}

// max |got - ref| / max |ref| of a device buffer against its reference.
double relative_error(const float* d, const std::vector<double>& ref) {
  std::vector<float> got(ref.size());
  VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), d, got.size() * sizeof(float), cudaMemcpyDeviceToHost));
  double err = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double e = std::abs(double(got[i]) - ref[i]);
    err = std::isnan(e) ? INFINITY : std::max(err, e);
    scale = std::max(scale, std::abs(ref[i]));
  }
  return err / std::max(scale, 1e-30);
}

// Sets the convolution switches for one variant and restores them afterwards.
struct Switches {
  bool cudnn = varstar::cuda::use_cudnn(), candidate = varstar::cuda::conv_gemm_candidate();
  varstar::WinogradPolicy winograd = varstar::cuda::conv_winograd();
  Switches(bool use_cudnn, bool gemm_candidate, varstar::WinogradPolicy winograd_policy, int64_t chunk_floats) {
    varstar::cuda::set_use_cudnn(use_cudnn);
    varstar::cuda::set_conv_gemm_candidate(gemm_candidate);
    varstar::cuda::set_conv_winograd(winograd_policy);
    varstar::cuda::set_winograd_chunk_floats(chunk_floats);  // 0: the default
  }
  ~Switches() {
    varstar::cuda::set_use_cudnn(cudnn);
    varstar::cuda::set_conv_gemm_candidate(candidate);
    varstar::cuda::set_conv_winograd(winograd);
    varstar::cuda::set_winograd_chunk_floats(0);
  }
};

double sgemm_gflops(cudaStream_t st, int reps) {
  constexpr int64_t n = 4096;
  std::vector<float> a = random_vector(n * n, 90);
  float *da = upload(a), *db = upload(a), *dc = nullptr;
  VARSTAR_CUDA_CHECK(cudaMalloc(&dc, n * n * sizeof(float)));
  const double ms = varstar::bench::median_event_ms(
      [&] { varstar::cuda::gemm(false, false, n, n, n, 1.f, da, n, db, n, 0.f, dc, n, st); }, st, 2, reps);
  for (float* p : {da, db, dc}) cudaFree(p);
  return 2.0 * n * n * n / (ms * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 5 : 30;
  const double peak = sgemm_gflops(st, reps);
  std::printf("cuBLAS SGEMM 4096^3: %.0f GFLOP/s (float32); cuDNN %s, deterministic algorithms, FMA math\n", peak,
              varstar::cuda::use_cudnn() ? "on" : "off (not built or VARSTAR_CUDNN=0)");
  std::printf("%-9s %-20s %-5s %-11s %9s %10s %8s %7s %10s\n", "net", "layer", "dir", "variant", "ms", "GFLOP/s",
              "% sgemm", "x prod", "rel err");
  int failures = 0;
  std::map<std::string, double> totals;  // "net variant" -> ms
  for (const Layer& layer : layers(quick ? 4 : 32)) {
    const ConvShape& s = layer.s;
    const int64_t nx = s.batch * s.c_in * s.in_pixels(), nw = s.c_out * s.col_rows();
    const int64_t ny = s.batch * s.c_out * s.out_pixels();
    const std::vector<float> x = random_vector(nx, 1), w = random_vector(nw, 2), bias = random_vector(s.c_out, 3),
                             dy = random_vector(ny, 4);
    std::vector<double> ref_y(ny), ref_dx(nx), ref_dw(nw), ref_db(s.c_out);
    {
      const std::vector<double> xd = widen(x), wd = widen(w), bd = widen(bias), dyd = widen(dy);
      varstar::cpu::conv2d_forward<double>(xd.data(), wd.data(), bd.data(), ref_y.data(), s);
      varstar::cpu::conv2d_backward_input<double>(dyd.data(), wd.data(), ref_dx.data(), s);
      varstar::cpu::conv2d_backward_weight<double>(dyd.data(), xd.data(), ref_dw.data(), ref_db.data(), s);
    }
    float *d_x = upload(x), *d_w = upload(w), *d_b = upload(bias), *d_dy = upload(dy);
    float *d_y = nullptr, *d_dx = nullptr, *d_dw = nullptr, *d_db = nullptr;
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_y, ny * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_dx, nx * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_dw, nw * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_db, s.c_out * sizeof(float)));
    const double flop = 2.0 * s.batch * s.c_out * s.col_rows() * s.out_pixels();

    using varstar::WinogradPolicy;
    struct Variant {
      const char* name;
      bool cudnn, candidate;
      WinogradPolicy winograd;
      int64_t winograd_chunk_floats = 0;  // 0: the default
    };
    constexpr int64_t kMiBFloats = (int64_t{1} << 20) / sizeof(float);
    const Variant variants[] = {{"production", true, true, WinogradPolicy::automatic},
                                {"cudnn", true, false, WinogradPolicy::off},
                                {"gemm", false, false, WinogradPolicy::off},
                                {"batched", false, false, WinogradPolicy::off},
                                {"winograd", false, false, WinogradPolicy::always},
                                {"wino-8MiB", false, false, WinogradPolicy::always, 8 * kMiBFloats},
                                {"wino-32MiB", false, false, WinogradPolicy::always, 32 * kMiBFloats}};
    for (const char* dir : {"fwd", "bwdd", "bwdf"}) {
      struct Row {
        const char* variant;
        double ms, err;
        const char* note;
      };
      std::vector<Row> rows;
      for (const Variant& v : variants) {
        const bool batched = std::strcmp(v.name, "batched") == 0;
        if (batched && std::strcmp(dir, "bwdf") == 0) {
          rows.push_back({v.name, NAN, NAN, "n/a: the weight gradient was already one GEMM"});
          continue;
        }
        const Switches switches(v.cudnn, v.candidate, v.winograd, v.winograd_chunk_floats);
        std::function<void()> run;
        std::vector<std::pair<float*, const std::vector<double>*>> outputs;
        if (std::strcmp(dir, "fwd") == 0) {
          run = batched ? std::function<void()>([&] { batched_forward(d_x, d_w, d_b, d_y, s, st); })
                        : [&] { varstar::cuda::conv2d_forward(d_x, d_w, d_b, d_y, s, st); };
          outputs = {{d_y, &ref_y}};
        } else if (std::strcmp(dir, "bwdd") == 0) {
          run = batched ? std::function<void()>([&] { batched_backward_data(d_dy, d_w, d_dx, s, st); })
                        : [&] { varstar::cuda::conv2d_backward_input(d_dy, d_w, d_dx, s, st); };
          outputs = {{d_dx, &ref_dx}};
        } else {
          run = [&] { varstar::cuda::conv2d_backward_weight(d_dy, d_x, d_dw, d_db, s, st); };
          outputs = {{d_dw, &ref_dw}, {d_db, &ref_db}};
        }
        for (auto& [d, ref] : outputs)  // NaN: an unwritten output shows up
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(d, 0xff, ref->size() * sizeof(float), st));
        run();
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
        double err = 0;
        for (auto& [d, ref] : outputs) err = std::max(err, relative_error(d, *ref));
        if (!(err <= kRelTol)) {
          ++failures;
          rows.push_back({v.name, NAN, err, "FAILED validation; not timed"});
          continue;
        }
        const double ms = varstar::bench::median_event_ms(run, st, 3, reps);
        rows.push_back({v.name, ms, err, ""});
        totals[std::string(layer.net) + " " + v.name] += ms;
      }
      double prod_ms = NAN;
      for (const Row& r : rows)
        if (std::strcmp(r.variant, "production") == 0) prod_ms = r.ms;
      for (const Row& r : rows) {
        if (std::isnan(r.ms)) {
          std::printf("%-9s %-20s %-5s %-11s %9s %10s %8s %7s %10.2e %s\n", layer.net, layer.name, dir, r.variant, "-",
                      "-", "-", "-", r.err, r.note);
          continue;
        }
        const double gflops = flop / (r.ms * 1e6);
        std::printf("%-9s %-20s %-5s %-11s %9.4f %10.0f %7.0f%% %7.2f %10.2e\n", layer.net, layer.name, dir,
                    r.variant, r.ms, gflops, 100 * gflops / peak, prod_ms / r.ms, r.err);
      }
    }
    for (float* p : {d_x, d_w, d_b, d_dy, d_y, d_dx, d_dw, d_db}) cudaFree(p);
  }
  std::printf("\ntotals over each network's four layers, fwd + bwdd + bwdf (batched: fwd + bwdd only):\n");
  for (const auto& [key, ms] : totals) std::printf("  %-24s %8.4f ms\n", key.c_str(), ms);
  cudaStreamDestroy(st);
  if (failures == 0) std::printf("all variants within %.0e of the float64 CPU reference\n", kRelTol);
  else std::printf("%d variant run(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
