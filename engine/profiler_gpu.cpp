// The profiler's CUDA side (see profiler_gpu.h): a pool of timing events per
// process, recorded on the op's stream, read once the device has passed them.
#include "engine/profiler_gpu.h"

#ifdef VARSTAR_HAS_CUDA
#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.cuh"

namespace varstar::profiler::gpu {

namespace {
struct Pool {
  std::mutex mutex;
  std::vector<cudaEvent_t> free;
};
Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: events may be recycled during exit
  return *p;
}
}  // namespace

void* record_event(int device, cuda_stream stream) {
  cudaEvent_t event = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool().mutex);
    if (!pool().free.empty()) {
      event = pool().free.back();
      pool().free.pop_back();
    }
  }
  VARSTAR_CUDA_CHECK(cudaSetDevice(device));
  if (event == nullptr) VARSTAR_CUDA_CHECK(cudaEventCreate(&event));  // default flags: timing on
  VARSTAR_CUDA_CHECK(cudaEventRecord(event, stream));
  return event;
}

double elapsed_ms(void* a, void* b) {
  VARSTAR_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(b)));
  float ms = 0;
  VARSTAR_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(a), static_cast<cudaEvent_t>(b)));
  return ms;
}

void recycle_event(void* event) {
  if (event == nullptr) return;
  std::lock_guard<std::mutex> lock(pool().mutex);
  pool().free.push_back(static_cast<cudaEvent_t>(event));
}

void synchronize_device(int device) {
  VARSTAR_CUDA_CHECK(cudaSetDevice(device));
  VARSTAR_CUDA_CHECK(cudaDeviceSynchronize());
}

bool device_memory(int device, DeviceMemory* out) {
  if (device >= cuda::device_count()) return false;
  const cuda::AllocatorStats s = cuda::CachingAllocator::get(device).stats();
  out->bytes_in_use = s.bytes_in_use;
  out->peak_bytes = s.peak_bytes;
  out->bytes_reserved = s.bytes_reserved;
  return true;
}

}  // namespace varstar::profiler::gpu

#else  // no CUDA backend: nothing to record

namespace varstar::profiler::gpu {
void* record_event(int, cuda_stream) { return nullptr; }
double elapsed_ms(void*, void*) { return 0.0; }
void recycle_event(void*) {}
void synchronize_device(int) {}
bool device_memory(int, DeviceMemory*) { return false; }
}  // namespace varstar::profiler::gpu

#endif
