// The CUDA runtime API of tests/emu/include/cuda_runtime.h on the CPU: one
// emulated device, streams whose work runs when it is issued, stream capture
// into graphs that replay it, and the errors a GPU gives for what a capture forbids.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace {

using Work = std::function<void()>;
using Clock = std::chrono::steady_clock;

constexpr size_t kDeviceBytes = size_t{16} << 30;

}  // namespace

struct CUgraph_st {
  std::vector<Work> nodes;
};
struct CUgraphExec_st {
  std::vector<Work> nodes;
};
struct CUstream_st {
  bool blocking = true;         // synchronises with the legacy default stream
  CUgraph_st* capture = nullptr;  // the graph being captured, or null
  cudaError_t capture_error = cudaSuccess;
};
struct CUevent_st {
  bool timing = true;
  bool recorded = false;
  bool in_capture = false;  // recorded by a capturing stream: no host may wait for it
  Clock::time_point at{};
};

namespace {

// Streams and captures are shared by every host thread.
std::mutex& state_mutex() {
  static auto* m = new std::mutex();
  return *m;
}
std::set<CUstream_st*>& capturing() {
  static auto* streams = new std::set<CUstream_st*>();
  return *streams;
}
struct DeviceMemory {
  std::mutex mutex;
  std::map<void*, size_t> live;  // block -> bytes
  size_t bytes = 0;
};
DeviceMemory& device_memory() {
  static auto* memory = new DeviceMemory();  // never destroyed: the context lives until exit
  return *memory;
}

thread_local cudaError_t t_last_error = cudaSuccess;

// Ends every capture `pred` selects with `error`; whether any was.
template <class Pred>
bool invalidate_captures(cudaError_t error, Pred pred) {
  bool any = false;
  for (CUstream_st* s : capturing())
    if (pred(s)) {
      if (s->capture_error == cudaSuccess) s->capture_error = error;
      any = true;
    }
  return any;
}

// A wait for the whole device (or for work of a capture) ends every capture; whether one was.
bool device_wait_ends_captures() {
  return invalidate_captures(cudaErrorStreamCaptureUnsupported, [](CUstream_st*) { return true; });
}

// The legacy default stream waits for every blocking stream: using it ends their captures.
bool legacy_stream_ends_captures() {
  return invalidate_captures(cudaErrorStreamCaptureImplicit, [](CUstream_st* s) { return s->blocking; });
}

int visible_devices() {
  static const int count = [] {
    const char* v = std::getenv("VARSTAR_EMU_GPU");
    return v != nullptr && v[0] == '1' ? 1 : 0;
  }();
  return count;
}
thread_local int t_device = 0;

}  // namespace

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorNoDevice:
      return "no CUDA-capable device is detected (an emulated CUDA build shows its CPU-emulated GPU when "
             "VARSTAR_EMU_GPU=1)";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureImplicit:
      return "operation would make the legacy stream depend on a capturing blocking stream";
  }
  return "unknown error";
}
const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureImplicit: return "cudaErrorStreamCaptureImplicit";
  }
  return "cudaErrorUnknown";
}
cudaError_t cudaGetLastError() {
  const cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return t_last_error; }

// ---- device --------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* count) {
  *count = visible_devices();
  return *count > 0 ? cudaSuccess : cudaErrorNoDevice;
}
cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= visible_devices()) return cudaErrorInvalidDevice;
  t_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() {
  std::lock_guard lock(state_mutex());
  return device_wait_ends_captures() ? cudaErrorStreamCaptureUnsupported : cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= visible_devices()) return cudaErrorInvalidDevice;
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "varstar SIMT emulator (CPU)");
  prop->totalGlobalMem = kDeviceBytes;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->multiProcessorCount = 16;
  prop->l2CacheSize = 4 << 20;
  prop->major = 9;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  DeviceMemory& memory = device_memory();
  std::lock_guard lock(memory.mutex);
  *total_bytes = kDeviceBytes;
  *free_bytes = memory.bytes < kDeviceBytes ? kDeviceBytes - memory.bytes : 0;
  return cudaSuccess;
}

// ---- memory --------------------------------------------------------------------------
cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  DeviceMemory& memory = device_memory();
  std::lock_guard lock(memory.mutex);
  if (bytes > kDeviceBytes - memory.bytes) return cudaErrorMemoryAllocation;
  *ptr = std::malloc(bytes > 0 ? bytes : 1);
  if (*ptr == nullptr) return cudaErrorMemoryAllocation;
  memory.live[*ptr] = bytes;
  memory.bytes += bytes;
  return cudaSuccess;
}
cudaError_t cudaFree(void* ptr) {
  {
    std::lock_guard lock(state_mutex());  // cudaFree synchronises the device
    if (device_wait_ends_captures()) return cudaErrorStreamCaptureUnsupported;
  }
  if (ptr == nullptr) return cudaSuccess;
  DeviceMemory& memory = device_memory();
  std::lock_guard lock(memory.mutex);
  const auto it = memory.live.find(ptr);
  if (it == memory.live.end()) return cudaErrorInvalidValue;
  memory.bytes -= it->second;
  memory.live.erase(it);
  std::free(ptr);
  return cudaSuccess;
}
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned /*flags*/) {
  *ptr = std::malloc(bytes > 0 ? bytes : 1);
  return *ptr == nullptr ? cudaErrorMemoryAllocation : cudaSuccess;
}
cudaError_t cudaFreeHost(void* ptr) {
  std::free(ptr);
  return cudaSuccess;
}

// ---- streams -------------------------------------------------------------------------
cudaError_t varstar::emu::submit(cudaStream_t stream, std::function<void()> work) {
  {
    std::lock_guard lock(state_mutex());
    if (stream != nullptr && stream->capture != nullptr) {
      if (stream->capture_error != cudaSuccess) return cudaErrorStreamCaptureInvalidated;
      stream->capture->nodes.push_back(std::move(work));
      return cudaSuccess;
    }
    if (stream == nullptr && legacy_stream_ends_captures()) return cudaErrorStreamCaptureImplicit;
  }
  work();
  return cudaSuccess;
}
cudaError_t varstar::emu::submit_launch(cudaStream_t stream, std::function<void()> work) {
  const cudaError_t e = submit(stream, std::move(work));
  if (e != cudaSuccess) t_last_error = e;
  return e;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  *stream = new CUstream_st{};
  (*stream)->blocking = (flags & cudaStreamNonBlocking) == 0;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream == nullptr) return cudaErrorInvalidResourceHandle;
  {
    std::lock_guard lock(state_mutex());
    if (stream->capture != nullptr) return cudaErrorIllegalState;
  }
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  std::lock_guard lock(state_mutex());
  if (stream != nullptr &&
      invalidate_captures(cudaErrorStreamCaptureUnsupported, [stream](CUstream_st* s) { return s == stream; }))
    return cudaErrorStreamCaptureUnsupported;
  if (stream == nullptr && legacy_stream_ends_captures()) return cudaErrorStreamCaptureImplicit;
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned /*flags*/) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  return varstar::emu::submit(stream, [] {});
}
cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* user_data) {
  return varstar::emu::submit(stream, [fn, user_data] { fn(user_data); });
}

// ---- events --------------------------------------------------------------------------
cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags) {
  *event = new CUevent_st{};
  (*event)->timing = (flags & cudaEventDisableTiming) == 0;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  {
    std::lock_guard lock(state_mutex());
    event->in_capture = stream != nullptr && stream->capture != nullptr;
  }
  return varstar::emu::submit(stream, [event] {
    event->recorded = true;
    event->at = Clock::now();
  });
}
namespace {
cudaError_t host_wait(cudaEvent_t event) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  std::lock_guard lock(state_mutex());
  if (!event->in_capture) return cudaSuccess;
  device_wait_ends_captures();
  return cudaErrorStreamCaptureUnsupported;
}
}  // namespace
cudaError_t cudaEventSynchronize(cudaEvent_t event) { return host_wait(event); }
cudaError_t cudaEventQuery(cudaEvent_t event) { return host_wait(event); }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (start == nullptr || end == nullptr || !start->timing || !end->timing) return cudaErrorInvalidResourceHandle;
  if (!start->recorded || !end->recorded) return cudaErrorInvalidResourceHandle;
  *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return cudaSuccess;
}

// ---- copies --------------------------------------------------------------------------
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind /*kind*/, cudaStream_t stream) {
  return varstar::emu::submit(stream, [=] { std::memmove(dst, src, bytes); });
}
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
  return varstar::emu::submit(stream, [=] { std::memset(dst, value, bytes); });
}
cudaError_t cudaMemset2DAsync(void* dst, size_t pitch, int value, size_t width, size_t height, cudaStream_t stream) {
  return varstar::emu::submit(stream, [=] {
    for (size_t row = 0; row < height; ++row) std::memset(static_cast<char*>(dst) + row * pitch, value, width);
  });
}

// ---- graphs --------------------------------------------------------------------------
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode /*mode*/) {
  if (stream == nullptr) return cudaErrorStreamCaptureUnsupported;  // the legacy stream cannot capture
  std::lock_guard lock(state_mutex());
  if (stream->capture != nullptr) return cudaErrorIllegalState;
  stream->capture = new CUgraph_st{};
  stream->capture_error = cudaSuccess;
  capturing().insert(stream);
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  *graph = nullptr;
  if (stream == nullptr) return cudaErrorIllegalState;
  std::lock_guard lock(state_mutex());
  if (stream->capture == nullptr) return cudaErrorIllegalState;
  CUgraph_st* captured = stream->capture;
  const cudaError_t error = stream->capture_error;
  stream->capture = nullptr;
  stream->capture_error = cudaSuccess;
  capturing().erase(stream);
  if (error != cudaSuccess) {
    delete captured;
    return cudaErrorStreamCaptureInvalidated;
  }
  *graph = captured;
  return cudaSuccess;
}
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* count) {
  if (graph == nullptr || nodes != nullptr) return cudaErrorInvalidValue;
  *count = graph->nodes.size();
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long /*flags*/) {
  if (graph == nullptr) return cudaErrorInvalidValue;
  *exec = new CUgraphExec_st{graph->nodes};
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (exec == nullptr) return cudaErrorInvalidResourceHandle;
  const std::vector<Work>* nodes = &exec->nodes;
  return varstar::emu::submit(stream, [nodes] {
    for (const Work& node : *nodes) node();
  });
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
