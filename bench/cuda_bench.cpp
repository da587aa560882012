// GPU ceilings and varstar's kernel throughput (see cuda_bench.h).
#include "bench/cuda_bench.h"

#include "bench/repr_bench.h"

#ifdef VARSTAR_HAS_CUDA
#include <cuda_runtime.h>

#include <algorithm>
#include <functional>

#include "bench/cuda_timing.h"
#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "engine/tensor.h"
#include "kernels/batch_norm.h"
#include "kernels/conv.h"
#include "kernels/copy.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/optim.h"
#include "kernels/pool.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

namespace varstar::bench {

namespace {

constexpr int kWarmup = 3;

double median_ms(const std::function<void()>& run, cuda_stream stream, int repeats) {
  return median_event_ms(run, stream, kWarmup, repeats);
}

// Random float32 device tensor (values in [lo, hi)).
Tensor random_device(const Shape& shape, uint64_t seed, int device, float lo = -1.f, float hi = 1.f) {
  Tensor t = Tensor::empty(shape, DType::f32, Device::cuda(device));
  cuda::fill_uniform(t.data<float>(), t.numel(), seed, lo, hi, cuda::current_stream(device));
  return t;
}

}  // namespace

GpuPeaks measure_gpu_peaks(int device) {
  GpuPeaks p;
  cudaDeviceProp prop{};
  VARSTAR_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  p.device = fmt::format("{} ({} SMs, {:.0f} MiB L2)", prop.name, prop.multiProcessorCount, prop.l2CacheSize / 1048576.0);
  cuda_stream s = cuda::current_stream(device);
  {
    const int64_t n = int64_t{1} << 29;  // 2 GiB per buffer: far beyond the L2
    Tensor a = random_device({n}, 1, device), b = Tensor::empty({n}, DType::f32, Device::cuda(device));
    const double ms = median_ms(
        [&] { VARSTAR_CUDA_CHECK(cudaMemcpyAsync(b.raw_data(), a.raw_data(), n * 4, cudaMemcpyDeviceToDevice, s)); }, s,
        10);
    p.copy_gbs = 2.0 * 4.0 * static_cast<double>(n) / (ms * 1e6);
  }
  {
    const int64_t n = 8192;
    Tensor a = random_device({n, n}, 2, device), b = random_device({n, n}, 3, device),
           c = Tensor::empty({n, n}, DType::f32, Device::cuda(device));
    const bool tf32 = cuda::allow_tf32();
    for (bool use_tf32 : {false, true}) {
      cuda::set_allow_tf32(use_tf32);
      const double ms = median_ms(
          [&] { cuda::gemm(false, false, n, n, n, 1.f, a.data<float>(), n, b.data<float>(), n, 0.f, c.data<float>(), n, s); },
          s, 5);
      (use_tf32 ? p.tf32_gflops : p.sgemm_gflops) = 2.0 * n * n * n / (ms * 1e6);
    }
    cuda::set_allow_tf32(tf32);
  }
  cuda::empty_cache(device);
  return p;
}

std::vector<KernelRate> bench_cuda_kernels(int device, bool quick) {
  std::vector<KernelRate> rows;
  const int reps = quick ? 10 : 20;
  cuda_stream s = cuda::current_stream(device);
  const Device d = Device::cuda(device);
  const auto add_row = [&](const std::string& name, const std::string& shape, double ms, double bytes, double flops) {
    KernelRate r;
    r.name = name;
    r.shape = shape;
    r.ms = ms;
    r.gbs = bytes > 0 ? bytes / (ms * 1e6) : 0;
    r.gflops = flops > 0 ? flops / (ms * 1e6) : 0;
    rows.push_back(r);
  };
  const int64_t n = int64_t{1} << 26;  // 64 Mi floats = 256 MiB per tensor
  const double fn = static_cast<double>(n) * 4;  // bytes of one tensor
  {
    Tensor a = random_device({n}, 11, device), b = random_device({n}, 12, device), c = Tensor::empty({n}, DType::f32, d);
    add_row("binary add (contiguous)", fmt::format("{}", n),
            median_ms([&] { cuda::binary_forward(BinaryOp::add, a.data<float>(), b.data<float>(), c.data<float>(), n, nullptr, s); }, s, reps),
            3 * fn, 0);
    // (256, 1024, 256) + (1024, 1): the broadcast path (bias over channels).
    BroadcastGeometry g;
    g.ndim = 3;
    g.shape[0] = 256; g.shape[1] = 1024; g.shape[2] = 256;
    g.stride_a[0] = 1024 * 256; g.stride_a[1] = 256; g.stride_a[2] = 1;
    g.stride_b[0] = 0; g.stride_b[1] = 1; g.stride_b[2] = 0;
    add_row("binary add (broadcast (C,1))", "256x1024x256 + 1024x1",
            median_ms([&] { cuda::binary_forward(BinaryOp::add, a.data<float>(), b.data<float>(), c.data<float>(), n, &g, s); }, s, reps),
            2 * fn, 0);
    add_row("relu forward", fmt::format("{}", n),
            median_ms([&] { cuda::unary_forward(UnaryOp::relu, a.data<float>(), c.data<float>(), n, s); }, s, reps), 2 * fn, 0);
    add_row("relu backward", fmt::format("{}", n),
            median_ms([&] { cuda::unary_backward(UnaryOp::relu, a.data<float>(), b.data<float>(), c.data<float>(), n, s); }, s, reps),
            3 * fn, 0);
    add_row("affine (mul_scalar)", fmt::format("{}", n),
            median_ms([&] { cuda::affine_forward(a.data<float>(), c.data<float>(), n, 0.5f, 0.f, s); }, s, reps), 2 * fn, 0);
    add_row("dropout p=0.1 (Philox)", fmt::format("{}", n),
            median_ms([&] { cuda::dropout_apply(a.data<float>(), c.data<float>(), n, 0.1f, 7, 0, nullptr, s); }, s,
                      reps),
            2 * fn, 0);
    StridedGeometry t;  // transpose of (8192, 8192): the strided gather of contiguous()
    t.ndim = 2;
    t.shape[0] = 8192; t.shape[1] = 8192;
    t.strides[0] = 1; t.strides[1] = 8192;
    add_row("copy_strided (transpose)", "8192x8192",
            median_ms([&] { cuda::copy_strided(a.raw_data(), 4, t, c.raw_data(), s); }, s, reps), 2 * fn, 0);
    add_row("sum_dim rows", "4096 x 16384 -> 4096",
            median_ms([&] { cuda::sum_dim(a.data<float>(), c.data<float>(), 4096, 16384, 1, s); }, s, reps), fn, 0);
    add_row("sum_dim columns (few outputs)", "16384 x 4096 -> 4096",
            median_ms([&] { cuda::sum_dim(a.data<float>(), c.data<float>(), 1, 16384, 4096, s); }, s, reps), fn, 0);
    add_row("sum_dim all", fmt::format("{} -> 1", n),
            median_ms([&] { cuda::sum_dim(a.data<float>(), c.data<float>(), 1, n, 1, s); }, s, reps), fn, 0);
    NormShape ns{64, 256, 4096};
    Tensor mean = Tensor::empty({256}, DType::f32, d), invstd = Tensor::empty({256}, DType::f32, d);
    add_row("batch_norm forward (train)", "64x256x4096",
            median_ms([&] { cuda::batch_norm_forward_train(a.data<float>(), nullptr, nullptr, c.data<float>(), mean.data<float>(), invstd.data<float>(), 1e-5f, ns, s); }, s, reps),
            4 * fn, 0);
    add_row("log_softmax forward", "1048576 x 64",
            median_ms([&] { cuda::log_softmax_forward(a.data<float>(), c.data<float>(), n / 64, 64, s); }, s, reps), 2 * fn, 0);
    PoolShape ps;
    ps.planes = 64 * 256; ps.h = 64; ps.w = 64; ps.kh = 2; ps.kw = 2; ps.stride_h = 2; ps.stride_w = 2;
    ps.out_h = 32; ps.out_w = 32;
    Tensor arg = Tensor::empty({n / 4}, DType::i32, d);
    add_row("maxpool2d 2x2 forward", "64x256x64x64",
            median_ms([&] { cuda::maxpool2d_forward(a.data<float>(), c.data<float>(), arg.data<int32_t>(), ps, s); }, s, reps),
            fn + 0.5 * fn, 0);
    add_row("maxpool2d 2x2 backward", "64x256x64x64",
            median_ms([&] { cuda::maxpool2d_backward(b.data<float>(), arg.data<int32_t>(), c.data<float>(), ps, s); }, s, reps),
            fn + 0.5 * fn, 0);
  }
  {
    // Fused Adam over one 64 Mi-element tensor: read p, g, m, v; write p, m, v.
    Tensor p = random_device({n}, 21, device), g = random_device({n}, 22, device), m = random_device({n}, 23, device),
           v = random_device({n}, 24, device, 0.f, 1e-2f);
    Tensor step = Tensor::zeros({1}, DType::i32, d);
    Tensor lr_words = Tensor::empty({2}, DType::i32, d);  // one double
    auto* lr = reinterpret_cast<double*>(lr_words.data<int32_t>());
    cuda::set_device_double(lr, 2e-4, s);
    AdamTensor list{p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), n};
    AdamParams a;
    AdamScalars sc;
    add_row("adam fused (multi-tensor)", fmt::format("{}", n),
            median_ms([&] { cuda::adam_multi_tensor(&list, 1, a, sc, lr, step.data<int32_t>(), s); }, s, reps),
            7 * fn, 0);
  }
  // Convolutions of the thesis networks (batch 32): cuDNN's choice alone, then our GEMM path
  // (production takes the faster per direction; bench_dev_conv has every layer).
  struct Conv {
    const char* name;
    ConvShape s;
  };
  std::vector<Conv> convs;
  {
    ConvShape c;  // cnn-lstm conv4: (32, 256, 179) -> 256, k5 p2
    c.batch = 32; c.c_in = 256; c.h = 1; c.w = 179; c.c_out = 256; c.kh = 1; c.kw = 5; c.pad_w = 2;
    c.out_h = 1; c.out_w = 179;
    convs.push_back({"cnn-lstm conv4 (1-d k5)", c});
    ConvShape e;  // cnn2d conv3: (32, 128, 12, 12) -> 256, 5x5 p2
    e.batch = 32; e.c_in = 128; e.h = 12; e.w = 12; e.c_out = 256; e.kh = 5; e.kw = 5; e.pad_h = 2; e.pad_w = 2;
    e.out_h = 12; e.out_w = 12;
    convs.push_back({"cnn2d conv3 (5x5)", e});
  }
  const bool cudnn_was = cuda::use_cudnn(), candidate_was = cuda::conv_gemm_candidate();
  const WinogradPolicy winograd_was = cuda::conv_winograd();
  cuda::set_conv_gemm_candidate(false);
  for (const Conv& c : convs) {
    const ConvShape& cs = c.s;
    Tensor x = random_device({cs.batch * cs.c_in * cs.h * cs.w}, 31, device);
    Tensor w = random_device({cs.c_out * cs.c_in * cs.kh * cs.kw}, 32, device);
    Tensor y = Tensor::empty({cs.batch * cs.c_out * cs.out_h * cs.out_w}, DType::f32, d);
    Tensor dy = random_device({y.numel()}, 33, device), dx = Tensor::empty({x.numel()}, DType::f32, d),
           dw = Tensor::empty({w.numel()}, DType::f32, d);
    const double flops = 2.0 * cs.batch * cs.c_out * cs.out_h * cs.out_w * cs.c_in * cs.kh * cs.kw;
    const std::string shape = fmt::format("B{} {}x{}x{} -> {}", cs.batch, cs.c_in, cs.h, cs.w, cs.c_out);
    for (const std::string path : {"cuDNN", "GEMM path", "Winograd path"}) {
      const bool cudnn = path == "cuDNN";
      if (cudnn && !cuda::cudnn_compiled()) continue;
      try {
      cuda::set_use_cudnn(cudnn);
      cuda::set_conv_winograd(path == "Winograd path" ? WinogradPolicy::always : WinogradPolicy::off);
      add_row(fmt::format("{} forward, {}", c.name, path), shape,
              median_ms([&] { cuda::conv2d_forward(x.data<float>(), w.data<float>(), nullptr, y.data<float>(), cs, s); }, s, reps),
              0, flops);
      add_row(fmt::format("{} backward data, {}", c.name, path), shape,
              median_ms([&] { cuda::conv2d_backward_input(dy.data<float>(), w.data<float>(), dx.data<float>(), cs, s); }, s, reps),
              0, flops);
      add_row(fmt::format("{} backward filter, {}", c.name, path), shape,
              median_ms([&] { cuda::conv2d_backward_weight(dy.data<float>(), x.data<float>(), dw.data<float>(), nullptr, cs, s); }, s, reps),
              0, flops);
      } catch (const std::exception& e) {
        add_row(fmt::format("{} {}: FAILED {}", c.name, path, e.what()).substr(0, 120), shape,
                0, 0, 0);
      }
    }
  }
  cuda::set_use_cudnn(cudnn_was);
  cuda::set_conv_gemm_candidate(candidate_was);
  cuda::set_conv_winograd(winograd_was);
  // dm-dt binning against the atomicAdd ceiling, harmonic synthesis (bench/repr_bench.h).
  for (KernelRate& r : bench_representation_kernels(device, quick)) rows.push_back(std::move(r));
  cuda::empty_cache(device);
  return rows;
}

}  // namespace varstar::bench

#else  // no CUDA backend

namespace varstar::bench {
GpuPeaks measure_gpu_peaks(int) { return {}; }
std::vector<KernelRate> bench_cuda_kernels(int, bool) { return {}; }
}  // namespace varstar::bench

#endif
