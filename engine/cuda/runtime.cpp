// The engine's CUDA runtime entry points (engine/cuda_backend.h): device
// discovery, memory, copies, the engine's stream per device, events and
// pinned host memory. Device memory comes from the caching allocator.
#include <cuda_runtime.h>

#include <array>
#include <map>
#include <mutex>

#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/cuda/allocator.h"
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

cudaEvent_t as_event(void* e) { return static_cast<cudaEvent_t>(e); }

void check_not_capturing(const char* what) {
  VARSTAR_CHECK(!detail::graph_capture_active(),
                "{} while a CUDA graph is being captured: a captured step may not copy between host and device or "
                "wait on the host (move inputs to the GPU before the step, read results after it)", what);
}

constexpr int kMaxDevices = 64;
}  // namespace

int device_count() { return probe().count; }
std::string unavailable_reason() { return probe().reason; }

std::string device_name(int device) {
  cudaDeviceProp prop{};
  VARSTAR_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

size_t max_shared_memory_per_block(int device) {
  int bytes = 0;
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return static_cast<size_t>(bytes);
}

void device_memory_info(int device, size_t* free_bytes, size_t* total_bytes) {
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
}

void* device_malloc(size_t bytes, int device) {
  return CachingAllocator::get(device).allocate(bytes, current_stream(device));
}
void device_free(void* ptr, int device) { CachingAllocator::get(device).release(ptr); }
void record_stream(void* ptr, cuda_stream stream, int device) {
  CachingAllocator::get(device).record_stream(ptr, stream);
}

DeviceMemoryStats device_memory_stats(int device) {
  const AllocatorStats s = CachingAllocator::get(device).stats();
  DeviceMemoryStats r;
  r.bytes_in_use = s.bytes_in_use;
  r.peak_bytes = s.peak_bytes;
  r.bytes_reserved = s.bytes_reserved;
  r.allocations = s.allocations;
  r.cache_hits = s.cache_hits;
  r.device_mallocs = s.device_mallocs;
  r.pool_bytes = s.pool_bytes;
  return r;
}
void reset_peak_memory(int device) { CachingAllocator::get(device).reset_peak(); }
void empty_cache(int device) { CachingAllocator::get(device).empty_cache(); }

void* pinned_malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  detail::DeviceWideCall exclusive;  // may synchronise the device
  VARSTAR_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
  return p;
}
void pinned_free(void* ptr) {
  if (ptr == nullptr) return;
  detail::DeviceWideCall exclusive;  // synchronises the device
  cudaFreeHost(ptr);
}

void copy_host_to_device(void* dst, const void* src, size_t bytes, int device) {
  check_not_capturing("a host-to-device copy");
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, current_stream(device)));
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
}
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device) {
  check_not_capturing("a device-to-host copy");
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
void copy_host_to_device_async(void* dst, const void* src, size_t bytes, cuda_stream stream, int device) {
  if (bytes == 0) return;
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}

void synchronize(int device) {
  check_not_capturing("synchronize()");
  set_device(device);
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(current_stream(device)));
}

namespace {
// The calling thread's WorkerStream per device, or null (the default engine stream).
thread_local std::array<cudaStream_t, kMaxDevices> t_worker_stream{};

cudaStream_t default_stream(int device) {
  static std::array<cudaStream_t, kMaxDevices> streams{};
  static std::array<std::once_flag, kMaxDevices> created;
  std::call_once(created[device], [device] {
    int previous = 0;
    VARSTAR_CUDA_CHECK(cudaGetDevice(&previous));
    set_device(device);
    // A blocking stream: ordered with the legacy default stream, so code that
    // still uses stream 0 (cudaMemcpy, other libraries) sees the engine's results.
    VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&streams[device], cudaStreamDefault));
    set_device(previous);
  });
  return streams[device];
}

// Worker stream `index` (> 0) of `device`: blocking, as the default engine
// stream, and kept for the process.
cudaStream_t worker_stream(int device, int index) {
  static std::mutex mutex;
  static auto* streams = new std::map<std::pair<int, int>, cudaStream_t>();  // never destroyed
  std::lock_guard<std::mutex> lock(mutex);
  cudaStream_t& s = (*streams)[{device, index}];
  if (s == nullptr) {
    detail::DeviceWideCall exclusive;
    int previous = 0;
    VARSTAR_CUDA_CHECK(cudaGetDevice(&previous));
    set_device(device);
    VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamDefault));
    set_device(previous);
  }
  return s;
}
}  // namespace

cuda_stream current_stream(int device) {
  VARSTAR_CHECK(device >= 0 && device < kMaxDevices, "CUDA device index {} out of range", device);
  if (t_worker_stream[device] != nullptr) return t_worker_stream[device];
  return default_stream(device);
}

WorkerStream::WorkerStream(int device, int index) {
  VARSTAR_CHECK(device >= 0 && device < kMaxDevices, "CUDA device index {} out of range", device);
  VARSTAR_CHECK(index >= 0, "worker stream index {} must not be negative", index);
  device_ = device;
  previous_ = t_worker_stream[device];
  t_worker_stream[device] = index == 0 ? nullptr : worker_stream(device, index);
}

WorkerStream::~WorkerStream() {
  if (device_ < 0) return;
  // The thread's work is done before its stream is handed on: a later owner
  // (or the default stream) must not overtake it.
  cudaStreamSynchronize(current_stream(device_));
  t_worker_stream[device_] = previous_;
}

cuda_stream create_stream(int device) {
  int previous = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&previous));
  set_device(device);
  cudaStream_t s = nullptr;
  {
    detail::DeviceWideCall exclusive;
    VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  }
  set_device(previous);
  return s;
}
void destroy_stream(cuda_stream stream) {
  if (stream == nullptr) return;
  detail::DeviceWideCall exclusive;
  cudaStreamDestroy(stream);
}

void* event_create(int device) {
  set_device(device);
  cudaEvent_t e = nullptr;
  VARSTAR_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return e;
}
void event_destroy(void* event) {
  if (event != nullptr) cudaEventDestroy(as_event(event));
}
void event_record(void* event, cuda_stream stream) { VARSTAR_CUDA_CHECK(cudaEventRecord(as_event(event), stream)); }
void event_synchronize(void* event) {
  check_not_capturing("waiting for an event");
  VARSTAR_CUDA_CHECK(cudaEventSynchronize(as_event(event)));
}
void stream_wait_event(cuda_stream stream, void* event) {
  VARSTAR_CUDA_CHECK(cudaStreamWaitEvent(stream, as_event(event), 0));
}

bool graph_capturing() { return detail::graph_capture_active(); }
void set_max_grid_blocks(int64_t blocks) { detail::set_max_grid_blocks(blocks); }

}  // namespace varstar::cuda
