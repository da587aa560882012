// Kernel scratch memory (kernels/cuda/workspace.h) from the caching allocator.
#include <cuda_runtime.h>

#include "kernels/cuda/allocator.h"
#include "engine/error.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/workspace.h"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes) {
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  return CachingAllocator::get(device).allocate(bytes);
}

void workspace_release(void* ptr) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return;
  CachingAllocator::get(device).release(ptr);
}

}  // namespace varstar::cuda
