#pragma once
// Caching device allocator. Blocks are rounded to size classes (512 B steps
// below 1 MiB, 2 MiB steps above) and kept on a free list when released, so a
// training step's allocations are served from the previous step's blocks.
//
// Stream-ordered reuse: a block belongs to the stream it was allocated for and
// goes back to that stream's free list, so it is handed out again only to
// work queued after everything that used it on that stream. A block that was
// also used on another stream (record_stream) is held back until events
// recorded on those streams at release time have completed.
//
// Graph capture: while a MemPool is active (begin_pool), every allocation is
// served from the pool (its own free blocks first, then free blocks of the
// capture stream taken over from the shared cache, then cudaMalloc) and every
// block released goes to the pool, never to the shared cache; a captured CUDA
// graph keeps its pool alive so that replays find the same addresses, and
// nobody else is given them meanwhile. A retired pool's free blocks return to
// the shared cache, so the next graph on that stream reuses them.
//
// One allocator per device; all calls are thread-safe. This header does not
// include cuda_runtime.h.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/common.h"

namespace varstar::cuda {

struct AllocatorStats {
  size_t bytes_in_use = 0;    // handed out now (rounded sizes)
  size_t peak_bytes = 0;      // largest bytes_in_use since the last reset_peak()
  size_t bytes_reserved = 0;  // obtained from cudaMalloc: in use + cached + held by pools
  size_t allocations = 0;     // allocate() calls
  size_t cache_hits = 0;      // served without cudaMalloc
  size_t device_mallocs = 0;  // cudaMalloc calls
  size_t pool_bytes = 0;      // held by live graph pools (in use or free)
};

// A private pool of blocks for one captured CUDA graph (see the top comment).
struct MemPool {
  std::multimap<size_t, void*> free_blocks;  // size -> block
  size_t bytes = 0;                          // every block the pool owns
  bool alive = true;
};

class CachingAllocator {
 public:
  static CachingAllocator& get(int device);
  // A block of at least `bytes`, for use on `stream` (never null; throws CudaError when out of memory).
  void* allocate(size_t bytes, cuda_stream stream);
  // Returns a block; unknown pointers are ignored (destructors only log, never throw).
  void release(void* ptr);
  // `ptr` is also used by work queued on `stream`: reuse waits for that work.
  void record_stream(void* ptr, cuda_stream stream);
  // Frees every cached block (not blocks held by live graph pools).
  void empty_cache();
  AllocatorStats stats() const;
  void reset_peak();
  // Routes allocations on `stream`, and releases of its blocks, through `pool`
  // until end_pool(stream). Several streams may each have a pool at once
  // (graphs captured in several threads).
  void begin_pool(std::shared_ptr<MemPool> pool, cuda_stream stream);
  void end_pool(cuda_stream stream);
  // The pool's graph is gone: its free blocks return to the shared cache on
  // `stream` (the stream its graph ran on), and so will its live blocks when released.
  void retire_pool(const std::shared_ptr<MemPool>& pool, cuda_stream stream);
  static size_t round_size(size_t bytes);

 private:
  struct Block {
    size_t size = 0;
    cuda_stream stream = nullptr;
    std::vector<cuda_stream> other_streams;
    std::shared_ptr<MemPool> pool;
  };
  struct Pending {
    void* ptr;
    Block block;
    std::vector<void*> events;  // cudaEvent_t
  };
  explicit CachingAllocator(int device) : device_(device) {}
  void* device_malloc_locked(size_t size);
  void process_pending_locked(bool wait);
  void free_cached_locked();
  // The smallest cached block of `stream` that fits `size` (within the
  // accepted slack), taken off the shared free list (a cache hit), else new
  // device memory; block_size is what the block holds.
  void* cached_or_new_locked(cuda_stream stream, size_t size, size_t& block_size);
  void* event_locked();

  int device_;
  mutable std::mutex mutex_;
  // (stream, size) -> block: reuse stays on the stream that freed the block.
  std::multimap<std::pair<cuda_stream, size_t>, void*> free_blocks_;
  std::unordered_map<void*, Block> live_;
  std::vector<Pending> pending_;
  std::vector<void*> spare_events_;
  // The pool of `stream` while a graph is captured on it, else null.
  std::shared_ptr<MemPool> active_pool_locked(cuda_stream stream) const;
  struct ActivePool {
    cuda_stream stream;
    std::shared_ptr<MemPool> pool;
  };
  std::vector<ActivePool> active_pools_;  // one per capture in progress
  AllocatorStats stats_;
};

}  // namespace varstar::cuda
