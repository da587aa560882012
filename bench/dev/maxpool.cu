// bench_dev_maxpool: variants of max pooling (kernels/pool.h) over (planes, H, W),
// planes = B * C, no padding; 1-d pooling is H = KH = 1.
//   forward   x (planes, H, W) -> y, argmax (planes, OH, OW) (argmax: flat index in the plane)
//   backward  dy, argmax (planes, OH, OW) -> dx (planes, H, W), overwritten
//   1 naive       forward: one thread per output, 64-bit index math (maxpool_window of
//                 kernels/pool_math.h); backward: the CPU loop ported, dx zeroed
//                 (cudaMemsetAsync), then one thread per output atomically adds
//                 its dy at its argmax
//   2 production  varstar::cuda::maxpool2d_forward / _backward (kernels/cuda/pool.cu:
//                 the forward one thread per output, 64-bit index math; the backward,
//                 where stride = kernel and planes * H * W < 2^31, a window scatter:
//                 one thread per output writes its whole window of dx (dy at the
//                 argmax, 0 elsewhere; the last row and column of windows also zero
//                 the uncovered edge), one index split per output, not per input
//                 (the former variant "scatter", promoted); else 3's 32-bit gather
//                 for any window (4's 64-bit gather beyond 2^31 elements))
//   3 idx32       both as 2's gather, with 32-bit index arithmetic (planes * H * W
//                 < 2^31) and the networks' windows (1 x 2 and 2 x 2, stride =
//                 kernel) as compile-time constants
//   4 previous    the backward production had before the scatter and 3 were
//                 promoted: one thread per input element gathers the windows that
//                 chose it, 64-bit index math (the forward did not change: n/a)
// The forward is comparisons only and the backward adds the same dy values in
// the same order as the CPU (kernels/cpu/pool.cpp), so every variant must equal
// it bit for bit (y, argmax, dx); the one exception is naive's atomics where
// windows overlap (an input in up to 4 windows: the order of its adds varies),
// held to kOverlapAtomicTol. x is ReLU-like (half zeros), so ties are common
// and the first-maximum rule is checked too. Only valid variants are timed
// (CUDA events, median). GB/s count the bytes each op must move: forward
// reads x and writes y and argmax (4 in + 8 out bytes), backward reads dy and
// argmax and writes dx (8 out + 4 in); "x prod" is the production kernel's time
// over the variant's. Shapes: the thesis networks' pools at batch 32
// (models/cnn_lstm.cpp, models/cnn2d.cpp) and an odd 3 x 3 stride 2 pool.
// Usage: bench_dev_maxpool [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/philox_math.h"
#include "kernels/pool.h"
#include "kernels/pool_math.h"

namespace {

// Naive's atomics on overlapping windows: up to 4 adds in any order, each
// rounding by at most half an ulp of a partial sum <= 4 max|dy|.
constexpr double kOverlapAtomicTol = 8.0 * FLT_EPSILON;  // times max|dy|

constexpr unsigned kBlock = 256;

using varstar::PoolShape;

// ---- 1: naive ----
__global__ void naive_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ argmax,
                                     PoolShape s) {
  const int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x, out_plane = s.out_h * s.out_w;
  if (idx >= s.planes * out_plane) return;
  const int64_t p = idx / out_plane, o = idx % out_plane;
  varstar::maxpool_window(x + p * s.h * s.w, s, o / s.out_w, o % s.out_w, y[idx], argmax[idx]);
}

// dx must be zero.
__global__ void naive_backward_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                      float* __restrict__ dx, PoolShape s) {
  const int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x, out_plane = s.out_h * s.out_w;
  if (idx >= s.planes * out_plane) return;
  atomicAdd(dx + idx / out_plane * s.h * s.w + argmax[idx], dy[idx]);
}

// ---- 3: 32-bit indices; KH, KW > 0: a KH x KW window with stride = kernel (fixed_window), else s's ----
template <int KH, int KW>
__global__ void idx32_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ argmax,
                                     PoolShape shape) {
  const PoolShape s = fixed_window<KH, KW>(shape);
  const uint32_t out_w = static_cast<uint32_t>(s.out_w), out_plane = static_cast<uint32_t>(s.out_h) * out_w;
  const uint32_t in_plane = static_cast<uint32_t>(s.h * s.w), total = static_cast<uint32_t>(s.planes) * out_plane;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t p = idx / out_plane, o = idx - p * out_plane, oh = o / out_w;
    varstar::maxpool_window(x + p * in_plane, s, oh, o - oh * out_w, y[idx], argmax[idx]);
  }
}

// The production gather in 32-bit: dx[e] = sum over windows containing e (rows, then columns, ascending) that chose e.
template <int KH, int KW>
__global__ void idx32_backward_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                      float* __restrict__ dx, PoolShape shape) {
  const PoolShape s = fixed_window<KH, KW>(shape);
  const int32_t w = static_cast<int32_t>(s.w), kh = static_cast<int32_t>(s.kh), kw = static_cast<int32_t>(s.kw);
  const int32_t sh = static_cast<int32_t>(s.stride_h), sw = static_cast<int32_t>(s.stride_w);
  const int32_t out_h = static_cast<int32_t>(s.out_h), out_w = static_cast<int32_t>(s.out_w);
  const uint32_t in_plane = static_cast<uint32_t>(s.h) * static_cast<uint32_t>(w);
  const uint32_t out_plane = static_cast<uint32_t>(out_h * out_w), total = static_cast<uint32_t>(s.planes) * in_plane;
  for (uint32_t idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
    const uint32_t p = idx / in_plane;
    const int32_t e = static_cast<int32_t>(idx - p * in_plane), ih = e / w, iw = e - ih * w;
    const int32_t oh_lo = ih >= kh ? (ih - kh) / sh + 1 : 0, oh_hi = min(ih / sh, out_h - 1);
    const int32_t ow_lo = iw >= kw ? (iw - kw) / sw + 1 : 0, ow_hi = min(iw / sw, out_w - 1);
    const uint32_t base = p * out_plane;
    float acc = 0.f;
    for (int32_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int32_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const uint32_t o = base + static_cast<uint32_t>(oh * out_w + ow);
        if (argmax[o] == e) acc += dy[o];
      }
    dx[idx] = acc;
  }
}

// ---- 4: previous production backward: the gather of 3 with 64-bit indices, any window ----
__global__ void previous_backward_kernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                         float* __restrict__ dx, PoolShape s) {
  const int64_t in_plane = s.h * s.w, out_plane = s.out_h * s.out_w, total = s.planes * in_plane;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = idx / in_plane, e = idx % in_plane;
    const int64_t ih = e / s.w, iw = e % s.w;
    // Windows (oh, ow) that contain (ih, iw).
    const int64_t oh_lo = ih >= s.kh ? (ih - s.kh) / s.stride_h + 1 : 0;
    const int64_t oh_hi = ih / s.stride_h < s.out_h - 1 ? ih / s.stride_h : s.out_h - 1;
    const int64_t ow_lo = iw >= s.kw ? (iw - s.kw) / s.stride_w + 1 : 0;
    const int64_t ow_hi = iw / s.stride_w < s.out_w - 1 ? iw / s.stride_w : s.out_w - 1;
    float acc = 0.f;
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = p * out_plane + oh * s.out_w + ow;
        if (argmax[o] == e) acc += dy[o];
      }
    dx[idx] = acc;
  }
}

struct Buffers {
  const float* x;            // (planes, H, W)
  float* y;                  // (planes, OH, OW)
  int32_t* argmax;           // (planes, OH, OW) forward output
  const float* dy;           // (planes, OH, OW)
  const int32_t* argmax_in;  // (planes, OH, OW) backward input: the CPU's argmax
  float* dx;                 // (planes, H, W)
  PoolShape s;
};

using Run = std::function<void(const Buffers&, cudaStream_t)>;
// An empty Run (and its reason) when the variant does not apply to the shape.
using Pick = std::function<Run(const PoolShape&, const char*& why_not)>;

struct Variant {
  const char* name;
  Pick forward, backward;
};

bool tiles(const PoolShape& s, int64_t kh, int64_t kw) {
  return s.kh == kh && s.kw == kw && s.stride_h == kh && s.stride_w == kw;
}
bool fits_32bit(const PoolShape& s) { return s.planes * s.h * s.w < (int64_t{1} << 31); }
unsigned grid_of(int64_t n) { return varstar::cuda::detail::grid_for(n, kBlock); }
int64_t outputs(const PoolShape& s) { return s.planes * s.out_h * s.out_w; }
int64_t inputs(const PoolShape& s) { return s.planes * s.h * s.w; }

template <int KH, int KW>
Run idx32_forward() {
  return [](const Buffers& d, cudaStream_t st) {
    idx32_forward_kernel<KH, KW><<<grid_of(outputs(d.s)), kBlock, 0, st>>>(d.x, d.y, d.argmax, d.s);
    VARSTAR_CUDA_CHECK_LAUNCH("idx32_forward_kernel");
  };
}
template <int KH, int KW>
Run idx32_backward() {
  return [](const Buffers& d, cudaStream_t st) {
    idx32_backward_kernel<KH, KW><<<grid_of(inputs(d.s)), kBlock, 0, st>>>(d.dy, d.argmax_in, d.dx, d.s);
    VARSTAR_CUDA_CHECK_LAUNCH("idx32_backward_kernel");
  };
}

std::vector<Variant> variants() {
  const Pick naive_forward = [](const PoolShape&, const char*&) -> Run {
    return [](const Buffers& d, cudaStream_t st) {
      naive_forward_kernel<<<static_cast<unsigned>((outputs(d.s) + kBlock - 1) / kBlock), kBlock, 0, st>>>(
          d.x, d.y, d.argmax, d.s);
      VARSTAR_CUDA_CHECK_LAUNCH("naive_forward_kernel");
    };
  };
  const Pick naive_backward = [](const PoolShape&, const char*&) -> Run {
    return [](const Buffers& d, cudaStream_t st) {
      VARSTAR_CUDA_CHECK(cudaMemsetAsync(d.dx, 0, inputs(d.s) * sizeof(float), st));
      naive_backward_kernel<<<static_cast<unsigned>((outputs(d.s) + kBlock - 1) / kBlock), kBlock, 0, st>>>(
          d.dy, d.argmax_in, d.dx, d.s);
      VARSTAR_CUDA_CHECK_LAUNCH("naive_backward_kernel");
    };
  };
  return {
      {"naive", naive_forward, naive_backward},
      {"production",
       [](const PoolShape&, const char*&) -> Run {
         return [](const Buffers& d, cudaStream_t st) {
           varstar::cuda::maxpool2d_forward(d.x, d.y, d.argmax, d.s, st);
         };
       },
       [](const PoolShape&, const char*&) -> Run {
         return [](const Buffers& d, cudaStream_t st) {
           varstar::cuda::maxpool2d_backward(d.dy, d.argmax_in, d.dx, d.s, st);
         };
       }},
      {"idx32",
       [](const PoolShape& s, const char*& why_not) -> Run {
         if (!fits_32bit(s)) {
           why_not = "needs planes * H * W < 2^31";
           return {};
         }
         if (tiles(s, 2, 2)) return idx32_forward<2, 2>();
         if (tiles(s, 1, 2)) return idx32_forward<1, 2>();
         return idx32_forward<0, 0>();
       },
       [](const PoolShape& s, const char*& why_not) -> Run {
         if (!fits_32bit(s)) {
           why_not = "needs planes * H * W < 2^31";
           return {};
         }
         if (tiles(s, 2, 2)) return idx32_backward<2, 2>();
         if (tiles(s, 1, 2)) return idx32_backward<1, 2>();
         return idx32_backward<0, 0>();
       }},
      {"previous",
       [](const PoolShape&, const char*& why_not) -> Run {
         why_not = "forward unchanged: production";
         return {};
       },
       [](const PoolShape&, const char*&) -> Run {
         return [](const Buffers& d, cudaStream_t st) {
           previous_backward_kernel<<<grid_of(inputs(d.s)), kBlock, 0, st>>>(d.dy, d.argmax_in, d.dx, d.s);
           VARSTAR_CUDA_CHECK_LAUNCH("previous_backward_kernel");
         };
       }},
  };
}

struct Case {
  const char* name;
  PoolShape s;
};

// Largest |got - ref| over max|scale|; a NaN counts as infinite.
double max_error(const std::vector<float>& got, const std::vector<float>& ref, double scale) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) return INFINITY;
    worst = std::max(worst, std::fabs(double(got[i]) - double(ref[i])) / scale);
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 20 : 100;
  constexpr int64_t kBatch = 32;
  const std::vector<Case> cases = {
      // cnn-lstm (L = 359): maxpool1d(2) after conv2 (128 channels) and after conv4 (256).
      {"lstm pool1 359", varstar::make_pool_shape(kBatch * 128, 1, 359, 1, 2, 1, 2)},
      {"lstm pool2 179", varstar::make_pool_shape(kBatch * 256, 1, 179, 1, 2, 1, 2)},
      // cnn2d (24 x 24): maxpool2d(2) after conv2 (128) and after conv4 (256).
      {"cnn2d pool1 24x24", varstar::make_pool_shape(kBatch * 128, 24, 24, 2, 2, 2, 2)},
      {"cnn2d pool2 12x12", varstar::make_pool_shape(kBatch * 256, 12, 12, 2, 2, 2, 2)},
      // cnn2d-scripts (90 x 53): maxpool2d(2) after conv1 (64); the odd last column is dropped.
      {"scripts pool 90x53", varstar::make_pool_shape(kBatch * 64, 90, 53, 2, 2, 2, 2)},
      // Odd: overlapping 3 x 3 windows, stride 2, an input in up to 4 windows.
      {"odd k3s2 61x47", varstar::make_pool_shape(3 * 37, 61, 47, 3, 3, 2, 2)},
  };
  int failures = 0;
  std::printf("%-19s %-4s %-11s %10s %9s %8s %9s\n", "case", "op", "variant", "ms", "GB/s", "x prod", "err");
  for (const Case& cs : cases) {
    const PoolShape& s = cs.s;
    const int64_t n_in = inputs(s), n_out = outputs(s);
    const bool overlap = s.kh > s.stride_h || s.kw > s.stride_w;
    std::vector<float> x(n_in), dy(n_out);
    for (int64_t i = 0; i < n_in; ++i) x[i] = std::max(0.f, 2.f * varstar::philox_uniform(21, i) - 1.f);
    double max_dy = 0;
    for (int64_t i = 0; i < n_out; ++i) {
      dy[i] = 2.f * varstar::philox_uniform(22, i) - 1.f;
      max_dy = std::max(max_dy, std::fabs(double(dy[i])));
    }
    std::vector<float> ref_y(n_out), ref_dx(n_in);
    std::vector<int32_t> ref_argmax(n_out);
    varstar::cpu::maxpool2d_forward<float>(x.data(), ref_y.data(), ref_argmax.data(), s);
    varstar::cpu::maxpool2d_backward<float>(dy.data(), ref_argmax.data(), ref_dx.data(), s);

    float *d_x, *d_y, *d_dy, *d_dx;
    int32_t *d_argmax, *d_argmax_in;
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_x, n_in * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_dx, n_in * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_y, n_out * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_dy, n_out * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_argmax, n_out * sizeof(int32_t)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_argmax_in, n_out * sizeof(int32_t)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_x, x.data(), n_in * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_dy, dy.data(), n_out * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(
        cudaMemcpy(d_argmax_in, ref_argmax.data(), n_out * sizeof(int32_t), cudaMemcpyHostToDevice));
    const Buffers d{d_x, d_y, d_argmax, d_dy, d_argmax_in, d_dx, s};

    struct Row {
      const char* op;
      const char* variant;
      double ms, err;  // ms NaN: not timed; err NaN: not run
      const char* note;
    };
    std::vector<Row> rows;
    std::vector<float> got_y(n_out), got_dx(n_in);
    std::vector<int32_t> got_argmax(n_out);
    for (const Variant& v : variants()) {
      for (const bool fwd : {true, false}) {
        const char* op = fwd ? "fwd" : "bwd";
        const char* why_not = "";
        const Run run = (fwd ? v.forward : v.backward)(s, why_not);
        if (!run) {
          rows.push_back({op, v.name, NAN, NAN, why_not});
          continue;
        }
        // Poison every output: NaN floats, argmax -1.
        if (fwd) {
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(d_y, 0xff, n_out * sizeof(float), st));
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(d_argmax, 0xff, n_out * sizeof(int32_t), st));
        } else {
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(d_dx, 0xff, n_in * sizeof(float), st));
        }
        run(d, st);
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
        double err = 0;
        bool ok = true;
        if (fwd) {
          VARSTAR_CUDA_CHECK(cudaMemcpy(got_y.data(), d_y, n_out * sizeof(float), cudaMemcpyDeviceToHost));
          VARSTAR_CUDA_CHECK(
              cudaMemcpy(got_argmax.data(), d_argmax, n_out * sizeof(int32_t), cudaMemcpyDeviceToHost));
          err = max_error(got_y, ref_y, 1.0);
          ok = std::memcmp(got_y.data(), ref_y.data(), n_out * sizeof(float)) == 0 &&
               std::memcmp(got_argmax.data(), ref_argmax.data(), n_out * sizeof(int32_t)) == 0;
        } else {
          VARSTAR_CUDA_CHECK(cudaMemcpy(got_dx.data(), d_dx, n_in * sizeof(float), cudaMemcpyDeviceToHost));
          err = max_error(got_dx, ref_dx, max_dy);
          const bool atomic_order = overlap && std::strcmp(v.name, "naive") == 0;
          ok = atomic_order ? err <= kOverlapAtomicTol
                            : std::memcmp(got_dx.data(), ref_dx.data(), n_in * sizeof(float)) == 0;
        }
        if (!ok) {
          ++failures;
          rows.push_back({op, v.name, NAN, err, "FAILED validation: not timed"});
          continue;
        }
        rows.push_back({op, v.name, varstar::bench::median_event_ms([&] { run(d, st); }, st, 3, reps), err, ""});
      }
    }
    for (const char* op : {"fwd", "bwd"}) {
      double prod_ms = NAN;
      for (const Row& r : rows)
        if (std::strcmp(r.op, op) == 0 && std::strcmp(r.variant, "production") == 0) prod_ms = r.ms;
      for (const Row& r : rows) {
        if (std::strcmp(r.op, op) != 0) continue;
        if (std::isnan(r.ms)) {
          if (std::isnan(r.err))
            std::printf("%-19s %-4s %-11s %10s  n/a: %s\n", cs.name, r.op, r.variant, "-", r.note);
          else
            std::printf("%-19s %-4s %-11s %10s %9s %8s %9.1e %s\n", cs.name, r.op, r.variant, "-", "-", "-", r.err,
                        r.note);
          continue;
        }
        const double gbs = (4.0 * static_cast<double>(n_in) + 8.0 * static_cast<double>(n_out)) / (r.ms * 1e6);
        std::printf("%-19s %-4s %-11s %10.4f %9.1f %8.2f %9.1e\n", cs.name, r.op, r.variant, r.ms, gbs,
                    prod_ms / r.ms, r.err);
      }
    }
    for (float* p : {d_x, d_y, d_dy, d_dx}) cudaFree(p);
    cudaFree(d_argmax);
    cudaFree(d_argmax_in);
  }
  cudaStreamDestroy(st);
  std::printf("err: largest |gpu - cpu| (y; dx over max|dy|); bit-identical required except naive's atomics on "
              "overlapping windows (<= %.1e)\n",
              kOverlapAtomicTol);
  if (failures == 0) std::printf("all variants match the CPU\n");
  else std::printf("%d variant run(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
