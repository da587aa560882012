#pragma once
// GPU rates for `varstar bench --device cuda`: the card's two ceilings
// measured in the same run (a large device-to-device copy, counting bytes
// read plus bytes written; a large cuBLAS SGEMM in float32 and in TF32), and
// the throughput of varstar's own kernels (GB/s of the bytes each must move
// at least, or GFLOP/s for convolutions) against them. Correctness of these
// kernels is the parity tests' job (tests/cuda); inputs are random, never zeros.
// In a build without CUDA these return nothing.
#include <string>
#include <vector>

namespace varstar::bench {

struct GpuPeaks {
  std::string device;        // e.g. "NVIDIA H200 (132 SMs)"
  double copy_gbs = 0;       // device-to-device copy, read + write bytes
  double sgemm_gflops = 0;   // cuBLAS float32, 8192^3
  double tf32_gflops = 0;    // cuBLAS TF32 tensor cores, 8192^3
};
GpuPeaks measure_gpu_peaks(int device);

struct KernelRate {
  std::string name;   // e.g. "binary add (contiguous)"
  std::string shape;  // the problem, e.g. "67108864"
  double ms = 0;      // median of the timed repeats (CUDA events)
  double gbs = 0;     // bytes moved at least / time (0 when not bandwidth-bound)
  double gflops = 0;  // for compute-bound rows (convolutions)
  std::string note;   // further rates (pairs/s, share of a ceiling), printed under the row
};
std::vector<KernelRate> bench_cuda_kernels(int device, bool quick);

}  // namespace varstar::bench
