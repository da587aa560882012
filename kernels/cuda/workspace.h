#pragma once
// Scratch device memory for one kernel call, taken from the engine's caching
// allocator for `stream` and returned when the Workspace goes out of scope.
// Reuse is safe because the allocator is stream-ordered: the block is handed
// out again only to work queued on the same stream after this call's work.
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes, cuda_stream stream);
void workspace_release(void* ptr);

class Workspace {
 public:
  Workspace(int64_t floats, cuda_stream stream)
      : ptr_(static_cast<float*>(
            workspace_acquire(static_cast<size_t>(floats > 0 ? floats : 1) * sizeof(float), stream))) {}
  ~Workspace() { workspace_release(ptr_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return ptr_; }

 private:
  float* ptr_;
};

// Untyped scratch of `bytes` (cuDNN workspaces); null when bytes == 0.
class ByteWorkspace {
 public:
  ByteWorkspace(size_t bytes, cuda_stream stream) : ptr_(bytes > 0 ? workspace_acquire(bytes, stream) : nullptr) {}
  ~ByteWorkspace() { workspace_release(ptr_); }
  ByteWorkspace(const ByteWorkspace&) = delete;
  ByteWorkspace& operator=(const ByteWorkspace&) = delete;
  void* data() const { return ptr_; }

 private:
  void* ptr_;
};

}  // namespace varstar::cuda
