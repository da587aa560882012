// Error reporting behind kernels/cuda/check.cuh.
#include "kernels/cuda/check.cuh"

#include <cstdlib>

#include "engine/error.h"

namespace varstar::cuda::detail {

bool sync_debug() {
  static const bool enabled = [] {
    const char* v = std::getenv("VARSTAR_SYNC_DEBUG");
    return v != nullptr && v[0] == '1';
  }();
  return enabled;
}

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  throw CudaError(fmt::format("CUDA error {} ({}) in '{}' at {}:{}", cudaGetErrorName(err),
                              cudaGetErrorString(err), expr, file, line));
}

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess && sync_debug()) err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw_cuda_error(err, kernel, file, line);
}

}  // namespace varstar::cuda::detail
