#pragma once
// A reference ceiling for the dm-dt kernel (kernels/cuda/dmdt.cu), measured on
// the card in the same run: the throughput of shared-memory atomicAdd in the
// dm-dt kernel's own configuration (blocks of 8 warps, one private histogram
// of `bins` counters per warp in dynamic shared memory), every thread adding 1
// to pseudo-random bins (an LCG per thread, so the lanes of a warp rarely hit
// the same counter, as in dm-dt where consecutive partners spread over dm bins).
// Built only with the CUDA backend; no fmt here (nvcc), timing by CUDA events.
#include "kernels/common.h"

namespace varstar::bench {

// Shared-memory increments per second on the current device, median of
// `repeats` timed launches after one warm-up. bins: a power of two <= 4096.
double shared_atomic_increments_per_s(int bins, cuda_stream stream, int repeats);

}  // namespace varstar::bench
