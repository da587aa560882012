// The CUDA runtime API of tests/emu/include/cuda_runtime.h on the CPU: one
// emulated device, eager or deferred streams, stream capture into graphs that
// replay it, and the errors a GPU gives for what a capture forbids.
#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace {

using Work = std::function<void()>;
using Clock = std::chrono::steady_clock;

constexpr size_t kDeviceBytes = size_t{16} << 30;
constexpr size_t kQueueDepth = 1024;  // a deferred stream's queued items before the oldest runs

}  // namespace

struct CUgraph_st {
  std::vector<Work> nodes;
};
struct CUgraphExec_st {
  std::shared_ptr<const std::vector<Work>> nodes;  // shared with launches still queued
};
struct CUstream_st {
  bool blocking = true;         // synchronises with the legacy default stream
  CUgraph_st* capture = nullptr;  // the graph being captured, or null
  cudaError_t capture_error = cudaSuccess;
  std::deque<uint64_t> queued;  // deferred streams: ids of the work not yet run, oldest first
};
// What an event's records write: shared with records still queued or in a graph,
// so that an event may be destroyed before they run (a GPU does not wait there).
struct EventState {
  bool recorded = false;
  Clock::time_point at{};
  uint64_t last_record = 0;  // deferred streams: the id of its newest queued record (see record_queued)
};
struct CUevent_st {
  bool timing = true;
  bool in_capture = false;  // recorded by a capturing stream: no host may wait for it
  std::shared_ptr<EventState> state = std::make_shared<EventState>();
};

namespace {

thread_local bool t_running_work = false;  // deferred streams: running device work, state_mutex held

// Streams and captures are shared by every host thread.
std::mutex& state_mutex() {
  if (t_running_work) {  // it would wait for itself
    std::fprintf(stderr, "emu: device work (a host function?) called the CUDA runtime\n");
    std::abort();
  }
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

// ---- deferred streams (state_mutex held throughout, work included) ---------------------
std::atomic<bool>& deferred_flag() {
  static std::atomic<bool> flag = [] {
    const char* v = std::getenv("VARSTAR_EMU_STREAMS");
    return v != nullptr && std::string(v) == "deferred";
  }();
  return flag;
}
struct Queued {
  CUstream_st* stream;
  Work work;
  std::vector<uint64_t> after;  // work of other streams that must run first
};
struct DeviceQueue {
  uint64_t next_id = 1;           // ids grow with issue order: what an item waits for has a smaller one
  std::map<uint64_t, Queued> items;  // not yet run
  std::set<CUstream_st*> blocking;   // live blocking streams (the legacy stream waits for them)
  CUstream_st legacy;
};
DeviceQueue& queue() {
  static auto* q = new DeviceQueue();  // never destroyed: streams may be used during static destruction
  return *q;
}
void run_through(uint64_t id);
// Runs the oldest queued item of `s`, after the work it waits for.
void run_oldest(CUstream_st* s) {
  DeviceQueue& q = queue();
  auto node = q.items.extract(s->queued.front());
  for (uint64_t other : node.mapped().after) run_through(other);
  s->queued.pop_front();
  t_running_work = true;
  struct Reset {
    ~Reset() { t_running_work = false; }
  } reset;
  node.mapped().work();
}
// Runs item `id`, if still queued, and everything it must follow.
void run_through(uint64_t id) {
  DeviceQueue& q = queue();
  const auto it = q.items.find(id);
  if (it == q.items.end()) return;
  CUstream_st* s = it->second.stream;
  while (!s->queued.empty() && s->queued.front() <= id) run_oldest(s);
}
void run_stream(CUstream_st* s) {
  if (!s->queued.empty()) run_through(s->queued.back());
}
void run_all() {
  DeviceQueue& q = queue();
  while (!q.items.empty()) run_through(q.items.begin()->first);
}
// Whether the event's last record is still queued (ids start at 1: never recorded is not queued).
bool record_queued(const CUevent_st* event) { return queue().items.contains(event->state->last_record); }
CUstream_st* queue_of(cudaStream_t stream) { return stream != nullptr ? stream : &queue().legacy; }
// Queues `work` on `stream` (null: the legacy stream) after `after`; its id.
uint64_t enqueue(cudaStream_t stream, Work work, std::vector<uint64_t> after = {}) {
  DeviceQueue& q = queue();
  CUstream_st* s = queue_of(stream);
  if (stream == nullptr) {
    for (CUstream_st* b : q.blocking)
      if (!b->queued.empty()) after.push_back(b->queued.back());
  } else if (stream->blocking && !q.legacy.queued.empty()) {
    after.push_back(q.legacy.queued.back());
  }
  const uint64_t id = q.next_id++;
  q.items.emplace(id, Queued{s, std::move(work), std::move(after)});
  s->queued.push_back(id);
  if (s->queued.size() > kQueueDepth) run_oldest(s);
  return id;
}

// Pinned host memory (cudaHostAlloc): copies from it read when they run.
std::map<const char*, size_t>& pinned_blocks() {
  static auto* blocks = new std::map<const char*, size_t>();
  return *blocks;
}
bool is_pinned(const void* p) {
  const auto* c = static_cast<const char*>(p);
  const auto& blocks = pinned_blocks();
  auto it = blocks.upper_bound(c);
  if (it == blocks.begin()) return false;
  --it;
  return c < it->first + it->second;
}

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
  if (device_wait_ends_captures()) return cudaErrorStreamCaptureUnsupported;
  run_all();
  return cudaSuccess;
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
    run_all();
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
  if (*ptr == nullptr) return cudaErrorMemoryAllocation;
  std::lock_guard lock(state_mutex());
  pinned_blocks()[static_cast<const char*>(*ptr)] = bytes;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void* ptr) {
  std::lock_guard lock(state_mutex());
  run_all();  // as the driver, which waits for the device here
  pinned_blocks().erase(static_cast<const char*>(ptr));
  std::free(ptr);
  return cudaSuccess;
}

// ---- streams -------------------------------------------------------------------------
namespace {
struct Submitted {
  cudaError_t error = cudaSuccess;
  bool run_now = false;  // eager streams: the caller runs the work (outside state_mutex)
  uint64_t queued = 0;   // deferred streams: the work's id
};
// What submit does under state_mutex: record the work in a capture, queue it, or leave it to the caller.
Submitted submit_locked(cudaStream_t stream, Work& work, std::vector<uint64_t> after = {}) {
  if (stream != nullptr && stream->capture != nullptr) {
    if (stream->capture_error != cudaSuccess) return {cudaErrorStreamCaptureInvalidated};
    stream->capture->nodes.push_back(std::move(work));
    return {};
  }
  if (stream == nullptr && legacy_stream_ends_captures()) return {cudaErrorStreamCaptureImplicit};
  if (!deferred_flag()) return {cudaSuccess, true};
  return {cudaSuccess, false, enqueue(stream, std::move(work), std::move(after))};
}
}  // namespace

cudaError_t varstar::emu::submit(cudaStream_t stream, std::function<void()> work) {
  Submitted r;
  {
    std::lock_guard lock(state_mutex());
    r = submit_locked(stream, work);
  }
  if (r.run_now) work();
  return r.error;
}
cudaError_t varstar::emu::submit_launch(cudaStream_t stream, std::function<void()> work) {
  const cudaError_t e = submit(stream, std::move(work));
  if (e != cudaSuccess) t_last_error = e;
  return e;
}
void varstar::emu::set_deferred_streams(bool deferred) {
  std::lock_guard lock(state_mutex());
  if (!deferred) run_all();
  deferred_flag() = deferred;
}
bool varstar::emu::deferred_streams() { return deferred_flag(); }

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  *stream = new CUstream_st{};
  (*stream)->blocking = (flags & cudaStreamNonBlocking) == 0;
  std::lock_guard lock(state_mutex());
  if ((*stream)->blocking) queue().blocking.insert(*stream);
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream == nullptr) return cudaErrorInvalidResourceHandle;
  {
    std::lock_guard lock(state_mutex());
    if (stream->capture != nullptr) return cudaErrorIllegalState;
    run_stream(stream);  // a GPU finishes a destroyed stream's work
    queue().blocking.erase(stream);
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
  run_stream(queue_of(stream));
  if (stream == nullptr)  // the legacy stream waits for the blocking streams
    for (CUstream_st* b : queue().blocking) run_stream(b);
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned /*flags*/) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  Work nothing = [] {};
  std::lock_guard lock(state_mutex());
  std::vector<uint64_t> after;
  if (record_queued(event)) after.push_back(event->state->last_record);
  return submit_locked(stream, nothing, std::move(after)).error;
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
  delete event;  // its queued records keep its state
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  std::lock_guard lock(state_mutex());
  event->in_capture = stream != nullptr && stream->capture != nullptr;
  // A queued record that runs after a newer one was issued (on another stream) leaves the event alone.
  auto id = std::make_shared<uint64_t>(0);  // its queue id; 0 when run at once or from a graph
  Work record = [state = event->state, id] {
    if (*id != 0 && *id != state->last_record) return;
    state->recorded = true;
    state->at = Clock::now();
  };
  const Submitted r = submit_locked(stream, record);
  if (r.queued != 0) event->state->last_record = *id = r.queued;
  if (r.run_now) record();
  return r.error;
}
namespace {
// A host wait for `event`: an error when a capture recorded it; else its work runs (all of it, or one step).
cudaError_t host_wait(cudaEvent_t event, bool whole) {
  if (event == nullptr) return cudaErrorInvalidResourceHandle;
  std::lock_guard lock(state_mutex());
  if (event->in_capture) {
    device_wait_ends_captures();
    return cudaErrorStreamCaptureUnsupported;
  }
  if (!record_queued(event)) return cudaSuccess;
  if (whole) {
    run_through(event->state->last_record);
    return cudaSuccess;
  }
  run_oldest(queue().items.at(event->state->last_record).stream);
  return cudaErrorNotReady;
}
}  // namespace
cudaError_t cudaEventSynchronize(cudaEvent_t event) { return host_wait(event, true); }
cudaError_t cudaEventQuery(cudaEvent_t event) { return host_wait(event, false); }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (start == nullptr || end == nullptr || !start->timing || !end->timing) return cudaErrorInvalidResourceHandle;
  std::lock_guard lock(state_mutex());  // deferred records run under it
  if (record_queued(start) || record_queued(end)) return cudaErrorNotReady;
  if (!start->state->recorded || !end->state->recorded) return cudaErrorInvalidResourceHandle;
  *ms = std::chrono::duration<float, std::milli>(end->state->at - start->state->at).count();
  return cudaSuccess;
}

// ---- copies --------------------------------------------------------------------------
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind /*kind*/) {
  Work copy = [=] { std::memmove(dst, src, bytes); };
  Submitted r;
  {
    std::lock_guard lock(state_mutex());
    r = submit_locked(nullptr, copy);
    if (r.queued != 0) run_through(r.queued);  // synchronous with the host
  }
  if (r.run_now) copy();
  return r.error;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  bool staged = false;
  if (kind == cudaMemcpyHostToDevice && deferred_flag()) {
    std::lock_guard lock(state_mutex());
    staged = !is_pinned(src) && (stream == nullptr || stream->capture == nullptr);  // a graph's copy reads at replay
  }
  if (staged) {  // pageable: the driver copies the source to a staging buffer before it returns
    auto stage = std::make_shared<std::vector<char>>(static_cast<const char*>(src), static_cast<const char*>(src) + bytes);
    return varstar::emu::submit(stream, [=] { std::memcpy(dst, stage->data(), bytes); });
  }
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
  *exec = new CUgraphExec_st{std::make_shared<const std::vector<Work>>(graph->nodes)};
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (exec == nullptr) return cudaErrorInvalidResourceHandle;
  return varstar::emu::submit(stream, [nodes = exec->nodes] {
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
