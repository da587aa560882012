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

// Unrolls the loop that follows: in device code, and in host code built by
// the host compiler alone (nvcc's host pass takes neither pragma).
#if defined(__CUDA_ARCH__)
#define VARSTAR_UNROLL _Pragma("unroll")
#elif defined(__CUDACC__)
#define VARSTAR_UNROLL
#else
#define VARSTAR_UNROLL _Pragma("GCC unroll 16")
#endif

struct CUstream_st;

namespace varstar {
using cuda_stream = CUstream_st*;  // same type as cudaStream_t
}  // namespace varstar
