// Kernel scratch memory (kernels/cuda/workspace.h) from the caching allocator.
#include "kernels/cuda/workspace.h"

#include <cuda_runtime.h>

#include "engine/error.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.cuh"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes, cuda_stream stream) {
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  return CachingAllocator::get(device).allocate(bytes, stream);
}

void workspace_release(void* ptr) {
  if (ptr == nullptr) return;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return;
  CachingAllocator::get(device).release(ptr);
}

}  // namespace varstar::cuda
