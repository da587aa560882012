#pragma once
// OpenMP helpers for the CPU kernels: a range split into one static chunk per
// thread (deterministic: the split depends only on n and the thread count),
// run serially below a size where threading costs more than it saves.
#include <omp.h>

#include <cstdint>

namespace varstar::cpu {

inline constexpr int64_t kParallelGrain = 1 << 15;  // elements

template <class F>
void parallel_for(int64_t n, int64_t grain, F&& body) {
  if (n < grain || omp_get_max_threads() == 1 || omp_in_parallel()) {
    if (n > 0) body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads();
    const int64_t t = omp_get_thread_num();
    const int64_t chunk = (n + threads - 1) / threads;
    const int64_t begin = t * chunk;
    const int64_t end = begin + chunk < n ? begin + chunk : n;
    if (begin < end) body(begin, end);
  }
}

}  // namespace varstar::cpu
