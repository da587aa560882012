// Shared-memory atomicAdd ceiling (bench/atomic_ceiling.h). Grid: 32 blocks
// per SM of 256 threads; each thread does kIters increments into its warp's
// histogram. The histograms are summed and compared with an impossible value
// at the end, so the compiler must perform every increment.
#include <algorithm>
#include <vector>

#include "bench/atomic_ceiling.h"
#include "kernels/cuda/check.cuh"

namespace varstar::bench {

namespace {

constexpr int kWarps = 8;
constexpr int kBlock = kWarps * 32;
constexpr int kIters = 4096;

__global__ void __launch_bounds__(kBlock) shared_atomic_kernel(int bin_mask, unsigned* __restrict__ sink) {
  extern __shared__ unsigned hist[];  // (kWarps, bins)
  const int bins = bin_mask + 1;
  for (int b = threadIdx.x; b < kWarps * bins; b += blockDim.x) hist[b] = 0;
  __syncthreads();
  unsigned* mine = hist + (threadIdx.x / 32) * bins;
  unsigned x = (blockIdx.x * blockDim.x + threadIdx.x) * 2654435761u + 12345u;
  for (int i = 0; i < kIters; ++i) {
    x = x * 1664525u + 1013904223u;
    atomicAdd(&mine[(x >> 9) & bin_mask], 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < bins; b += blockDim.x) {
    unsigned total = 0;
    for (int w = 0; w < kWarps; ++w) total += hist[w * bins + b];
    if (total == 0xffffffffu) sink[b] = total;  // never true: keeps the work alive
  }
}

}  // namespace

double shared_atomic_increments_per_s(int bins, cuda_stream stream, int repeats) {
  repeats = repeats < 1 ? 1 : repeats;
  int device = 0, sms = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const unsigned blocks = static_cast<unsigned>(sms) * 32;
  const size_t shared = sizeof(unsigned) * kWarps * static_cast<size_t>(bins);
  if (shared > 48 * 1024)
    VARSTAR_CUDA_CHECK(
        cudaFuncSetAttribute(shared_atomic_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)));
  unsigned* sink = nullptr;
  VARSTAR_CUDA_CHECK(cudaMalloc(&sink, sizeof(unsigned) * bins));
  cudaEvent_t a, b;
  VARSTAR_CUDA_CHECK(cudaEventCreate(&a));
  VARSTAR_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int r = -1; r < repeats; ++r) {  // r = -1: warm-up
    VARSTAR_CUDA_CHECK(cudaEventRecord(a, stream));
    shared_atomic_kernel<<<blocks, kBlock, shared, stream>>>(bins - 1, sink);
    VARSTAR_CUDA_CHECK_LAUNCH("shared_atomic_kernel");
    VARSTAR_CUDA_CHECK(cudaEventRecord(b, stream));
    VARSTAR_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    VARSTAR_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    if (r >= 0) ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  cudaFree(sink);
  std::sort(ms.begin(), ms.end());
  const double increments = static_cast<double>(blocks) * kBlock * kIters;
  return increments / (ms[ms.size() / 2] * 1e-3);
}

}  // namespace varstar::bench
