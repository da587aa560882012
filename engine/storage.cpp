// Storage: device memory blocks. Host blocks come from a size-class cache
// (exact rounded sizes, 64-byte aligned) guarded by a mutex.
#include "engine/storage.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include "engine/cuda_backend.h"

namespace varstar {

namespace {

class HostCache {
 public:
  static HostCache& get() {
    static HostCache* cache = new HostCache();  // never destroyed: tensors may outlive statics
    return *cache;
  }

  void* allocate(size_t bytes) {
    const size_t size = round(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocations;
    stats_.bytes_in_use += size;
    stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.bytes_in_use);
    auto it = free_.find(size);
    if (it != free_.end()) {
      void* p = it->second;
      free_.erase(it);
      stats_.cached_bytes -= size;
      ++stats_.cache_hits;
      return p;
    }
    void* p = std::aligned_alloc(64, size);
    if (p == nullptr) {
      release_all_locked();
      p = std::aligned_alloc(64, size);
    }
    if (p == nullptr) {
      stats_.bytes_in_use -= size;
      throw Error(fmt::format("out of host memory: cannot allocate {} bytes", size));
    }
    return p;
  }

  void release(void* p, size_t bytes) {
    const size_t size = round(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.bytes_in_use -= size;
    if (size > kMaxCachedBlock || stats_.cached_bytes + size > kMaxCachedTotal) {
      std::free(p);
      return;
    }
    free_.emplace(size, p);
    stats_.cached_bytes += size;
  }

  HostMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes = stats_.bytes_in_use;
  }

  void release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_all_locked();
  }

 private:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr size_t kMaxCachedBlock = 0;  // AddressSanitizer must see every free
#else
  static constexpr size_t kMaxCachedBlock = size_t{256} << 20;
#endif
  static constexpr size_t kMaxCachedTotal = size_t{2} << 30;

  // Sizes are rounded to 1/8 of their power of two (at least 64 bytes), so a
  // slightly different request still hits the cache.
  static size_t round(size_t bytes) {
    if (bytes <= 64) return 64;
    size_t pow2 = 64;
    while (pow2 < bytes) pow2 <<= 1;
    const size_t step = std::max<size_t>(pow2 / 8, 64);
    return (bytes + step - 1) / step * step;
  }

  void release_all_locked() {
    for (auto& [size, p] : free_) std::free(p);
    free_.clear();
    stats_.cached_bytes = 0;
  }

  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  HostMemoryStats stats_;
};

}  // namespace

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cpu()) {
    data_ = HostCache::get().allocate(bytes);
  } else {
    data_ = cuda::device_malloc(bytes, device.index);
  }
}

Storage::~Storage() {
  if (data_ == nullptr) return;
  if (device_.is_cpu()) {
    HostCache::get().release(data_, bytes_);
  } else {
    cuda::device_free(data_, device_.index);
  }
}

HostMemoryStats host_memory_stats() { return HostCache::get().stats(); }
void host_memory_reset_peak() { HostCache::get().reset_peak(); }
void host_memory_release_cache() { HostCache::get().release_all(); }

}  // namespace varstar
