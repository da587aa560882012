#pragma once
// Caching device allocator: blocks are rounded to size classes (512 B steps
// below 1 MiB, 2 MiB steps above) and kept on a free list when released, so a
// training step's allocations are served from the previous step's blocks.
// One allocator per device; all calls are thread-safe.
#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

namespace varstar::cuda {

struct AllocatorStats {
  size_t bytes_in_use = 0;    // handed out to tensors now
  size_t peak_bytes = 0;      // largest bytes_in_use seen
  size_t bytes_reserved = 0;  // in use + cached, as obtained from cudaMalloc
  size_t allocations = 0;
  size_t cache_hits = 0;
};

class CachingAllocator {
 public:
  static CachingAllocator& get(int device);
  void* allocate(size_t bytes);
  void release(void* ptr);
  void empty_cache();  // frees every cached block
  AllocatorStats stats() const;
  static size_t round_size(size_t bytes);

 private:
  explicit CachingAllocator(int device) : device_(device) {}
  int device_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> free_blocks_;   // size -> block
  std::unordered_map<void*, size_t> live_;     // block -> size
  AllocatorStats stats_;
};

}  // namespace varstar::cuda
