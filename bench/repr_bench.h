#pragma once
// Rows of `varstar bench --device cuda --kernels` for the representation
// kernels: dm-dt binning (kernels/cuda/dmdt.cu) of realistic light curves
// with each edge set, against the shared-memory atomicAdd ceiling measured in
// the same run (bench/atomic_ceiling.h), and batched harmonic synthesis
// (kernels/cuda/harmonic.cu). Every kernel is validated against its CPU twin
// once before it is timed; a mismatch becomes a FAILED row, never a rate.
// Without the CUDA backend this returns nothing.
#include <vector>

#include "bench/cuda_bench.h"

namespace varstar::bench {

std::vector<KernelRate> bench_representation_kernels(int device, bool quick);

}  // namespace varstar::bench
