// The engine's CUDA runtime entry points (engine/cuda_backend.h): device
// discovery, memory, copies. Device memory comes from the caching allocator.
#include <cuda_runtime.h>

#include "engine/cuda_backend.h"
#include "kernels/cuda/allocator.h"
#include "engine/error.h"
#include "kernels/cuda/check.cuh"

namespace varstar::cuda {

namespace {
struct Probe {
  int count = 0;
  std::string reason;
};
const Probe& probe() {
  static const Probe p = [] {
    Probe r;
    const cudaError_t err = cudaGetDeviceCount(&r.count);
    if (err != cudaSuccess) {
      r.count = 0;
      r.reason = fmt::format("no usable GPU ({})", cudaGetErrorString(err));
      cudaGetLastError();  // clear the sticky error
    } else if (r.count == 0) {
      r.reason = "no GPU is visible";
    }
    return r;
  }();
  return p;
}

void set_device(int device) { VARSTAR_CUDA_CHECK(cudaSetDevice(device)); }
}  // namespace

int device_count() { return probe().count; }
std::string unavailable_reason() { return probe().reason; }

std::string device_name(int device) {
  cudaDeviceProp prop{};
  VARSTAR_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

void* device_malloc(size_t bytes, int device) { return CachingAllocator::get(device).allocate(bytes); }
void device_free(void* ptr, int device) { CachingAllocator::get(device).release(ptr); }

void copy_host_to_device(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, current_stream(device)));
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
}
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, current_stream(device)));
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
}
void copy_device_to_device(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, current_stream(device)));
}
void memset_device(void* ptr, int value, size_t bytes, int device) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemsetAsync(ptr, value, bytes, current_stream(device)));
}
void synchronize(int device) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
}

cuda_stream current_stream(int) {
  // The legacy default stream for now; the CUDA backend issue adds stream control.
  return nullptr;
}

}  // namespace varstar::cuda
