#pragma once
// Median time of a piece of GPU work, measured with CUDA events; the one
// timing loop of the CUDA benchmarks (bench/cuda_bench.cpp,
// bench/repr_bench.cpp, bench/dev/*.cu).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels/cuda/check.cuh"

namespace varstar::bench {

// The start of every bench/dev program: `quick` is whether its one option,
// `--quick`, was given; false (after printing "SKIPPED: no usable GPU") when
// there is no GPU, and the program then exits with 77.
inline bool dev_bench_start(int argc, char** argv, bool& quick) {
  quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no usable GPU\n");
    return false;
  }
  return true;
}

// Runs `run` `warmup` times untimed, then `repeats` times, each between two
// events recorded on `stream`; returns the median in milliseconds.
inline double median_event_ms(const std::function<void()>& run, cudaStream_t stream, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) run();
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(stream));
  cudaEvent_t a, b;
  VARSTAR_CUDA_CHECK(cudaEventCreate(&a));
  VARSTAR_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    VARSTAR_CUDA_CHECK(cudaEventRecord(a, stream));
    run();
    VARSTAR_CUDA_CHECK(cudaEventRecord(b, stream));
    VARSTAR_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    VARSTAR_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace varstar::bench
