// test_cuda_emulated's kernel scratch (kernels/cuda/workspace.h; the engine's
// comes from its caching allocator): plain heap blocks (filled with 0xff bytes, NaN as
// float, so a kernel that reads scratch before writing it shows), exactly the
// size asked for, so AddressSanitizer sees an access past the end.
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/cuda/workspace.h"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes, cuda_stream /*stream*/) {
  void* p = std::malloc(bytes > 0 ? bytes : 1);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0xff, bytes);
  return p;
}

void workspace_release(void* ptr) { std::free(ptr); }

}  // namespace varstar::cuda
