// Caching device allocator with stream-ordered reuse and graph pools (see allocator.h).
#include "kernels/cuda/allocator.h"

#include <cuda_runtime.h>

#include <algorithm>

#include "engine/error.h"
#include "kernels/cuda/check.cuh"

namespace varstar::cuda {

namespace {
// A cached block serves a request when it wastes at most a quarter of it.
size_t accept_limit(size_t size) { return size + std::max<size_t>(size / 4, 512); }
cudaEvent_t as_event(void* e) { return static_cast<cudaEvent_t>(e); }
}  // namespace

CachingAllocator& CachingAllocator::get(int device) {
  static std::mutex registry_mutex;
  // Never destroyed: tensors may be released during static destruction.
  static auto* allocators = new std::vector<std::unique_ptr<CachingAllocator>>();
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (device >= static_cast<int>(allocators->size())) allocators->resize(device + 1);
  if (!(*allocators)[device]) (*allocators)[device].reset(new CachingAllocator(device));
  return *(*allocators)[device];
}

size_t CachingAllocator::round_size(size_t bytes) {
  constexpr size_t kSmallStep = 512, kLargeStep = size_t{2} << 20, kSmallLimit = size_t{1} << 20;
  if (bytes == 0) bytes = 1;
  const size_t step = bytes < kSmallLimit ? kSmallStep : kLargeStep;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::event_locked() {
  if (!spare_events_.empty()) {
    void* e = spare_events_.back();
    spare_events_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  VARSTAR_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return e;
}

void CachingAllocator::process_pending_locked(bool wait) {
  for (size_t i = 0; i < pending_.size();) {
    Pending& p = pending_[i];
    bool done = true;
    for (void* e : p.events) {
      const cudaError_t err = wait ? cudaEventSynchronize(as_event(e)) : cudaEventQuery(as_event(e));
      if (err == cudaErrorNotReady) {
        cudaGetLastError();  // not an error: clear it so that the next launch check does not see it
        done = false;
        break;
      }
      VARSTAR_CUDA_CHECK(err);
    }
    if (!done) {
      ++i;
      continue;
    }
    for (void* e : p.events) spare_events_.push_back(e);
    free_blocks_.emplace(std::make_pair(p.block.stream, p.block.size), p.ptr);
    pending_[i] = std::move(pending_.back());
    pending_.pop_back();
  }
}

void CachingAllocator::free_cached_locked() {
  for (auto& [key, ptr] : free_blocks_) {
    cudaFree(ptr);
    stats_.bytes_reserved -= key.second;
  }
  free_blocks_.clear();
}

void* CachingAllocator::device_malloc_locked(size_t size) {
  VARSTAR_CUDA_CHECK(cudaSetDevice(device_));
  void* ptr = nullptr;
  cudaError_t err = cudaMalloc(&ptr, size);
  if (err == cudaErrorMemoryAllocation && !detail::any_graph_capture_active()) {  // cudaFree would end a capture
    // Give the cache back and try once more.
    cudaGetLastError();
    process_pending_locked(true);
    free_cached_locked();
    err = cudaMalloc(&ptr, size);
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw CudaError(fmt::format("out of GPU memory: cannot allocate {} bytes on cuda:{} ({} in use, {} reserved): {}",
                                size, device_, stats_.bytes_in_use, stats_.bytes_reserved, cudaGetErrorString(err)));
  }
  stats_.bytes_reserved += size;
  ++stats_.device_mallocs;
  return ptr;
}

void* CachingAllocator::cached_or_new_locked(cuda_stream stream, size_t size, size_t& block_size) {
  auto it = free_blocks_.lower_bound(std::make_pair(stream, size));
  if (it == free_blocks_.end() || it->first.first != stream || it->first.second > accept_limit(size)) {
    block_size = size;
    return device_malloc_locked(size);
  }
  block_size = it->first.second;
  void* ptr = it->second;
  free_blocks_.erase(it);
  ++stats_.cache_hits;
  return ptr;
}

void* CachingAllocator::allocate(size_t bytes, cuda_stream stream) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.allocations;
  Block block;
  void* ptr = nullptr;
  if (std::shared_ptr<MemPool> active = active_pool_locked(stream)) {
    MemPool& pool = *active;
    auto it = pool.free_blocks.lower_bound(size);
    if (it != pool.free_blocks.end() && it->first <= accept_limit(size)) {
      block.size = it->first;
      ptr = it->second;
      pool.free_blocks.erase(it);
      ++stats_.cache_hits;
    } else {
      // A cached block of the capture stream (e.g. from an earlier graph's
      // retired pool) joins this pool before new memory is taken: otherwise a
      // graph recaptured every epoch took new device memory each time
      // (reserved grew to the card's limit, and a capture failed for want of memory).
      ptr = cached_or_new_locked(stream, size, block.size);
      pool.bytes += block.size;
      stats_.pool_bytes += block.size;
    }
    block.stream = stream;
    block.pool = std::move(active);
  } else {
    if (!pending_.empty() && !detail::graph_capture_active()) process_pending_locked(false);
    ptr = cached_or_new_locked(stream, size, block.size);
    block.stream = stream;
  }
  stats_.bytes_in_use += block.size;
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.bytes_in_use);
  live_.emplace(ptr, std::move(block));
  return ptr;
}

void CachingAllocator::release(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;
  Block block = std::move(it->second);
  live_.erase(it);
  stats_.bytes_in_use -= block.size;
  if (block.pool && block.pool->alive) {
    block.pool->free_blocks.emplace(block.size, ptr);
    return;
  }
  if (block.pool) {  // its graph is gone: the block joins the shared cache
    block.pool->bytes -= block.size;
    stats_.pool_bytes -= block.size;
  }
  if (std::shared_ptr<MemPool> active = active_pool_locked(block.stream)) {
    // Released while a graph is being captured on its stream: the graph may
    // have used the block, so it stays out of the shared cache for as long as the graph lives.
    active->free_blocks.emplace(block.size, ptr);
    active->bytes += block.size;
    stats_.pool_bytes += block.size;
    return;
  }
  if (!block.other_streams.empty() && !detail::graph_capture_active()) {
    Pending p{ptr, block, {}};
    for (cuda_stream s : block.other_streams) {
      void* e = event_locked();
      VARSTAR_CUDA_CHECK(cudaEventRecord(as_event(e), s));
      p.events.push_back(e);
    }
    pending_.push_back(std::move(p));
    return;
  }
  free_blocks_.emplace(std::make_pair(block.stream, block.size), ptr);
}

void CachingAllocator::record_stream(void* ptr, cuda_stream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  if (it == live_.end() || it->second.stream == stream) return;
  auto& others = it->second.other_streams;
  if (std::find(others.begin(), others.end(), stream) == others.end()) others.push_back(stream);
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (detail::any_graph_capture_active()) return;  // cudaFree would end a capture
  process_pending_locked(true);
  free_cached_locked();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_bytes = stats_.bytes_in_use;
}

std::shared_ptr<MemPool> CachingAllocator::active_pool_locked(cuda_stream stream) const {
  for (const ActivePool& a : active_pools_)
    if (a.stream == stream) return a.pool;
  return nullptr;
}

void CachingAllocator::begin_pool(std::shared_ptr<MemPool> pool, cuda_stream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  VARSTAR_CHECK(active_pool_locked(stream) == nullptr, "CachingAllocator::begin_pool: the stream already has a pool");
  active_pools_.push_back({stream, std::move(pool)});
}

void CachingAllocator::end_pool(cuda_stream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(active_pools_, [stream](const ActivePool& a) { return a.stream == stream; });
}

void CachingAllocator::retire_pool(const std::shared_ptr<MemPool>& pool, cuda_stream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pool || !pool->alive) return;
  pool->alive = false;
  for (auto& [size, ptr] : pool->free_blocks) {
    free_blocks_.emplace(std::make_pair(stream, size), ptr);
    pool->bytes -= size;
    stats_.pool_bytes -= size;
  }
  pool->free_blocks.clear();
}

}  // namespace varstar::cuda
