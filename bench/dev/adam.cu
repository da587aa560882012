// bench_dev_adam: the Adam step of the thesis networks' parameters on the GPU,
//   per-tensor  one launch per parameter tensor (kernels/cuda/optim.cu adam_step)
//   fused       one multi-tensor launch for all (adam_multi_tensor, what the engine uses)
// each validated against the CPU step (kernels/cpu/optim.cpp, float32, same
// math) on fresh random data, then timed with CUDA events (median). Reports
// GB/s: 7 floats per element (read p, g, m, v; write p, m, v), and the
// per-launch cost that fusion removes.
// Usage: bench_dev_adam [--quick]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/optim.h"
#include "kernels/philox_math.h"

namespace {

constexpr double kMaxRelError = 1e-6;  // the same float32 formula; FMA contraction differs at most by ulps

struct Model {
  const char* name;
  std::vector<int64_t> sizes;  // elements of each parameter tensor
};

// Parameter tensors of the thesis networks (models/models.h), in order.
std::vector<Model> models() {
  return {
      {"cnn-lstm",
       {64 * 1 * 3, 64, 128 * 64 * 3, 128, 256 * 128 * 5, 256, 256 * 256 * 5, 256,  // conv1..4
        256 * 256, 256 * 64, 256, 256,                                               // lstm1
        512 * 64, 512 * 128, 512, 512,                                               // lstm2
        1024 * 128, 1024, 512 * 1024, 512, 5 * 512, 5}},                             // fc1..3
      {"cnn2d",
       {64 * 1 * 9, 64, 128 * 64 * 25, 128, 256 * 128 * 25, 256, 256 * 256 * 25, 256, 1024 * 256 * 36, 1024,
        512 * 1024, 512, 5 * 512, 5}},
  };
}

float rnd(uint64_t seed, uint64_t i) { return 2.f * varstar::philox_uniform(seed, i) - 1.f; }

double median_ms(const std::function<void()>& run, cudaStream_t s, int reps) {
  return varstar::bench::median_event_ms(run, s, 3, reps);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t s;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int reps = quick ? 20 : 100;
  int failures = 0;
  std::printf("%-10s %-12s %8s %10s %10s %10s %8s\n", "model", "variant", "tensors", "elements", "ms", "GB/s",
              "rel err");
  for (const Model& model : models()) {
    int64_t total = 0;
    for (int64_t n : model.sizes) total += n;
    // One buffer per role; tensor k at offset[k] (aligned to 64 floats as separate allocations would be).
    std::vector<int64_t> offset;
    int64_t at = 0;
    for (int64_t n : model.sizes) {
      offset.push_back(at);
      at += (n + 63) / 64 * 64;
    }
    std::vector<float> p(at), g(at), m(at), v(at);
    for (int64_t i = 0; i < at; ++i) {
      p[i] = rnd(1, i);
      g[i] = rnd(2, i);
      m[i] = 0.1f * rnd(3, i);
      v[i] = 0.01f * std::fabs(rnd(4, i));
    }
    float *dp, *dg, *dm, *dv;
    for (float** ptr : {&dp, &dg, &dm, &dv}) VARSTAR_CUDA_CHECK(cudaMalloc(ptr, at * 4));
    int32_t* step;
    VARSTAR_CUDA_CHECK(cudaMalloc(&step, 4));
    const double lr = 2e-4;
    double* device_lr;
    VARSTAR_CUDA_CHECK(cudaMalloc(&device_lr, sizeof(double)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(device_lr, &lr, sizeof(double), cudaMemcpyHostToDevice));
    const auto upload = [&] {
      VARSTAR_CUDA_CHECK(cudaMemcpy(dp, p.data(), at * 4, cudaMemcpyHostToDevice));
      VARSTAR_CUDA_CHECK(cudaMemcpy(dg, g.data(), at * 4, cudaMemcpyHostToDevice));
      VARSTAR_CUDA_CHECK(cudaMemcpy(dm, m.data(), at * 4, cudaMemcpyHostToDevice));
      VARSTAR_CUDA_CHECK(cudaMemcpy(dv, v.data(), at * 4, cudaMemcpyHostToDevice));
      VARSTAR_CUDA_CHECK(cudaMemset(step, 0, 4));  // the fused step makes it 1
    };
    varstar::AdamParams a;
    a.lr = static_cast<float>(lr);
    varstar::AdamScalars sc;
    const double bc1 = 1.0 - std::pow(sc.beta1, 1.0), bc2 = 1.0 - std::pow(sc.beta2, 1.0);
    a.step_size = static_cast<float>(lr / bc1);
    a.bias_correction2_sqrt = static_cast<float>(std::sqrt(bc2));
    // CPU reference: step 1 on every tensor.
    std::vector<float> rp = p, rm = m, rv = v;
    for (size_t k = 0; k < model.sizes.size(); ++k)
      varstar::cpu::adam_step<float>(rp.data() + offset[k], g.data() + offset[k], rm.data() + offset[k],
                                     rv.data() + offset[k], model.sizes[k], a);
    std::vector<varstar::AdamTensor> list;
    for (size_t k = 0; k < model.sizes.size(); ++k)
      list.push_back({dp + offset[k], dg + offset[k], dm + offset[k], dv + offset[k], model.sizes[k]});
    const auto per_tensor = [&] {
      for (const auto& t : list) varstar::cuda::adam_step(t.p, t.g, t.m, t.v, t.n, a, s);
    };
    const auto fused = [&] {
      varstar::cuda::adam_multi_tensor(list.data(), static_cast<int64_t>(list.size()), a, sc, device_lr, step, s);
    };
    for (auto& [name, run] : std::vector<std::pair<std::string, std::function<void()>>>{{"per-tensor", per_tensor},
                                                                                           {"fused", fused}}) {
      upload();
      run();
      VARSTAR_CUDA_CHECK(cudaStreamSynchronize(s));
      std::vector<float> out(at);
      VARSTAR_CUDA_CHECK(cudaMemcpy(out.data(), dp, at * 4, cudaMemcpyDeviceToHost));
      double num = 0, den = 0;
      for (size_t k = 0; k < model.sizes.size(); ++k)
        for (int64_t i = offset[k]; i < offset[k] + model.sizes[k]; ++i) {
          const double d = double(out[i]) - double(rp[i]);
          num += std::isnan(out[i]) ? INFINITY : d * d;
          den += double(rp[i]) * rp[i];
        }
      const double err = std::sqrt(num / den);
      const bool ok = err < kMaxRelError;
      double ms = NAN, gbs = NAN;
      if (ok) {
        ms = median_ms(run, s, reps);
        gbs = 7.0 * 4.0 * static_cast<double>(total) / (ms * 1e6);
      } else {
        ++failures;
      }
      std::printf("%-10s %-12s %8zu %10lld %10.4f %10.1f %8.1e %s\n", model.name, name.c_str(), list.size(),
                  static_cast<long long>(total), ms, gbs, err, ok ? "" : "FAILED validation: not timed");
    }
    for (float* ptr : {dp, dg, dm, dv}) cudaFree(ptr);
    cudaFree(step);
    cudaFree(device_lr);
  }
  cudaStreamDestroy(s);
  return failures == 0 ? 0 : 1;
}
