#pragma once
// Definitions every kernel header shares: the host/device qualifier for math
// used by both backends, and the opaque stream handle CUDA launchers take.
// This header never includes cuda_runtime.h, so CPU-only code can see it.
#include <cstdint>

#if defined(__CUDACC__)
#define VARSTAR_HD __host__ __device__ __forceinline__
#else
#define VARSTAR_HD inline
#endif

struct CUstream_st;

namespace varstar {
using cuda_stream = CUstream_st*;  // same type as cudaStream_t
}  // namespace varstar
