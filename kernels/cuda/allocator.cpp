// Caching device allocator (see allocator.h).
#include "kernels/cuda/allocator.h"

#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "engine/error.h"
#include "kernels/cuda/check.cuh"

namespace varstar::cuda {

CachingAllocator& CachingAllocator::get(int device) {
  static std::mutex registry_mutex;
  static std::vector<std::unique_ptr<CachingAllocator>> allocators;
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (device >= static_cast<int>(allocators.size())) allocators.resize(device + 1);
  if (!allocators[device]) allocators[device].reset(new CachingAllocator(device));
  return *allocators[device];
}

size_t CachingAllocator::round_size(size_t bytes) {
  constexpr size_t kSmallStep = 512, kLargeStep = size_t{2} << 20, kSmallLimit = size_t{1} << 20;
  if (bytes == 0) bytes = 1;
  const size_t step = bytes < kSmallLimit ? kSmallStep : kLargeStep;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.allocations;
  void* ptr = nullptr;
  auto it = free_blocks_.find(size);
  if (it != free_blocks_.end()) {
    ptr = it->second;
    free_blocks_.erase(it);
    ++stats_.cache_hits;
  } else {
    VARSTAR_CUDA_CHECK(cudaSetDevice(device_));
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back and try once more
      cudaGetLastError();
      for (auto& [s, p] : free_blocks_) {
        cudaFree(p);
        stats_.bytes_reserved -= s;
      }
      free_blocks_.clear();
      err = cudaMalloc(&ptr, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw CudaError(fmt::format("out of GPU memory: cannot allocate {} bytes on cuda:{} ({} in use, {} "
                                  "reserved)", size, device_, stats_.bytes_in_use, stats_.bytes_reserved));
    }
    stats_.bytes_reserved += size;
  }
  live_[ptr] = size;
  stats_.bytes_in_use += size;
  if (stats_.bytes_in_use > stats_.peak_bytes) stats_.peak_bytes = stats_.bytes_in_use;
  return ptr;
}

void CachingAllocator::release(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: destructors only log, never throw
  stats_.bytes_in_use -= it->second;
  free_blocks_.emplace(it->second, ptr);
  live_.erase(it);
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, ptr] : free_blocks_) {
    cudaFree(ptr);
    stats_.bytes_reserved -= size;
  }
  free_blocks_.clear();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace varstar::cuda
