// CUDA optimizer steps: per-tensor Adam and SGD (one launch per parameter),
// and the fused multi-tensor Adam/AdamW (kernels/optim.h) the engine uses.
// Bench: bench/dev/adam.cu.
#include <algorithm>

#include "kernels/cuda/check.cuh"
#include "kernels/optim.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

__global__ void adam_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                            float* __restrict__ v, int64_t n, AdamParams a) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    adam_update(p[i], g[i], m[i], v[i], a);
}

__global__ void sgd_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ buf, int64_t n,
                           SgdParams s) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    float unused = 0.f;
    sgd_update(p[i], g[i], buf != nullptr ? buf[i] : unused, s);
  }
}

// ---- multi-tensor Adam ------------------------------------------------------------
constexpr int kMaxTensors = 48;        // tensors per launch
constexpr int kMaxBlocks = 320;        // thread blocks per launch
// Elements per thread block: 16 per thread, so that the CNN-LSTM's 1.4 M
// parameters make ~190 blocks (all SMs busy) rather than ~40 (1 << 16 did:
// 0.088 ms, 433 GB/s on an H100; bench_dev_adam).
constexpr int64_t kChunk = 1 << 13;
constexpr unsigned kFusedBlock = 512;

// Passed by value as the kernel's parameter block (under 4 KB).
struct AdamLaunch {
  float* p[kMaxTensors];
  const float* g[kMaxTensors];
  float* m[kMaxTensors];
  float* v[kMaxTensors];
  int64_t n[kMaxTensors];
  unsigned char block_tensor[kMaxBlocks];
  int32_t block_chunk[kMaxBlocks];
};
static_assert(sizeof(AdamLaunch) <= 4000, "kernel parameter block too large");

__global__ void adam_increment_step_kernel(int32_t* step) { *step += 1; }

__global__ void set_double_kernel(double* dst, double value) { *dst = value; }

__global__ void adam_multi_tensor_kernel(AdamLaunch launch, AdamParams a, AdamScalars sc,
                                         const double* __restrict__ lr, const int32_t* __restrict__ step) {
  __shared__ float rate, step_size, bc2_sqrt;
  if (threadIdx.x == 0) {
    // As the CPU path: lr / (1 - beta1^t) and sqrt(1 - beta2^t) in double, then float.
    const double t = static_cast<double>(*step);
    rate = static_cast<float>(*lr);
    step_size = static_cast<float>(*lr / (1.0 - pow(sc.beta1, t)));
    bc2_sqrt = static_cast<float>(sqrt(1.0 - pow(sc.beta2, t)));
  }
  __syncthreads();
  a.lr = rate;
  a.step_size = step_size;
  a.bias_correction2_sqrt = bc2_sqrt;
  const int t = launch.block_tensor[blockIdx.x];
  const int64_t begin = static_cast<int64_t>(launch.block_chunk[blockIdx.x]) * kChunk;
  const int64_t end = begin + kChunk < launch.n[t] ? begin + kChunk : launch.n[t];
  float* __restrict__ p = launch.p[t];
  const float* __restrict__ g = launch.g[t];
  float* __restrict__ m = launch.m[t];
  float* __restrict__ v = launch.v[t];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) adam_update(p[i], g[i], m[i], v[i], a);
}
}  // namespace

void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a, cuda_stream stream) {
  if (n == 0) return;
  adam_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(p, g, m, v, n, a);
  VARSTAR_CUDA_CHECK_LAUNCH("adam_step");
}

void sgd_step(float* p, const float* g, float* buf, int64_t n, const SgdParams& s, cuda_stream stream) {
  if (n == 0) return;
  sgd_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(p, g, buf, n, s);
  VARSTAR_CUDA_CHECK_LAUNCH("sgd_step");
}

void set_device_double(double* dst, double value, cuda_stream stream) {
  set_double_kernel<<<1, 1, 0, stream>>>(dst, value);
  VARSTAR_CUDA_CHECK_LAUNCH("set_device_double");
}

void adam_multi_tensor(const AdamTensor* tensors, int64_t count, const AdamParams& a, const AdamScalars& scalars,
                       const double* lr, int32_t* step, cuda_stream stream) {
  adam_increment_step_kernel<<<1, 1, 0, stream>>>(step);
  VARSTAR_CUDA_CHECK_LAUNCH("adam_increment_step");
  AdamLaunch launch{};
  int tensors_in_launch = 0, blocks = 0;
  const auto flush = [&] {
    if (blocks > 0) {
      adam_multi_tensor_kernel<<<static_cast<unsigned>(blocks), kFusedBlock, 0, stream>>>(launch, a, scalars, lr,
                                                                                              step);
      VARSTAR_CUDA_CHECK_LAUNCH("adam_multi_tensor");
    }
    tensors_in_launch = 0;
    blocks = 0;
  };
  for (int64_t i = 0; i < count; ++i) {
    const AdamTensor& t = tensors[i];
    if (t.n == 0) continue;
    if (tensors_in_launch == kMaxTensors) flush();
    const int slot = tensors_in_launch++;
    launch.p[slot] = t.p;
    launch.g[slot] = t.g;
    launch.m[slot] = t.m;
    launch.v[slot] = t.v;
    launch.n[slot] = t.n;
    const int64_t chunks = (t.n + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      if (blocks == kMaxBlocks) {
        // Launch what is listed; this tensor stays listed (slot 0) for its remaining chunks.
        flush();
        launch.p[0] = t.p;
        launch.g[0] = t.g;
        launch.m[0] = t.m;
        launch.v[0] = t.v;
        launch.n[0] = t.n;
        tensors_in_launch = 1;
      }
      launch.block_tensor[blocks] = static_cast<unsigned char>(tensors_in_launch - 1);
      launch.block_chunk[blocks] = static_cast<int32_t>(c);
      ++blocks;
    }
  }
  flush();
}

}  // namespace varstar::cuda
