#pragma once
// Scratch device memory for one kernel call, taken from the engine's caching
// allocator and returned when the Workspace goes out of scope. Reuse is safe
// because every varstar launch goes to the one stream the engine uses.
#include <cstdint>

#include "kernels/common.h"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes);
void workspace_release(void* ptr);

class Workspace {
 public:
  Workspace(int64_t floats, cuda_stream /*stream*/)
      : ptr_(static_cast<float*>(workspace_acquire(static_cast<size_t>(floats > 0 ? floats : 1) * sizeof(float)))) {}
  ~Workspace() { workspace_release(ptr_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return ptr_; }

 private:
  float* ptr_;
};

}  // namespace varstar::cuda
