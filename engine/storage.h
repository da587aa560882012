#pragma once
// A block of memory on one device. CPU blocks are 64-byte aligned and come from
// a small size-class cache, so a training step reuses the previous step's
// buffers instead of faulting in fresh pages.
#include <cstddef>
#include <memory>

#include "engine/device.h"

namespace varstar {

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

// Host allocator statistics (bytes handed out now, peak, cache hits).
struct HostMemoryStats {
  size_t bytes_in_use = 0;
  size_t peak_bytes = 0;
  size_t cached_bytes = 0;
  size_t allocations = 0;
  size_t cache_hits = 0;
};
HostMemoryStats host_memory_stats();
// Starts a new peak: peak_bytes becomes the bytes in use now (the profiler does this per step).
void host_memory_reset_peak();
// Returns every cached host block to the system.
void host_memory_release_cache();

}  // namespace varstar
