// Stand-ins for the CUDA entry points in a build without the CUDA backend:
// no devices, and a clear error if device memory is asked for anyway.
#ifndef VARSTAR_HAS_CUDA
#include "engine/cuda_backend.h"
#include "engine/error.h"

namespace varstar::cuda {

namespace {
[[noreturn]] void no_backend() {
  throw Error("this varstar was built without the CUDA backend (configure with -DVARSTAR_CUDA=ON)");
}
}  // namespace

int device_count() { return 0; }
std::string unavailable_reason() { return "this varstar was built without the CUDA backend"; }
std::string device_name(int) { no_backend(); }
void* device_malloc(size_t, int) { no_backend(); }
void device_free(void*, int) {}
void copy_host_to_device(void*, const void*, size_t, int) { no_backend(); }
void copy_device_to_host(void*, const void*, size_t, int) { no_backend(); }
void copy_device_to_device(void*, const void*, size_t, int) { no_backend(); }
void memset_device(void*, int, size_t, int) { no_backend(); }
void synchronize(int) {}
cuda_stream current_stream(int) { return nullptr; }

}  // namespace varstar::cuda
#endif
