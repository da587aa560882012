// The profiler's recording side (see profiler.h): per-thread event buffers,
// scopes, step markers, CUDA event resolution. Reports and the trace file
// are in profiler_report.cpp.
//
// Each thread that runs an op while the profiler is on gets a ThreadLog the
// first time; the log lives for the rest of the process (it is reused by the
// next session), so the hot path never locks: a scope appends an event to its
// own thread's vector and pushes its index on the thread's stack of open scopes.
#include "engine/profiler.h"

#include <array>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>

#include "engine/cuda_backend.h"
#include "engine/profiler_gpu.h"
#include "engine/storage.h"

namespace varstar::profiler {

namespace detail {
std::atomic<bool> g_enabled{false};
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxDevices = 16;

struct Recorded {
  OpEvent event;
  bool device_known = false;
  bool closed = false;
  void* gpu_begin = nullptr;
  void* gpu_end = nullptr;
};

struct ThreadLog {
  int index = 0;
  uint64_t session = 0;
  std::vector<Recorded> events;
  std::vector<int64_t> open;  // indexes of the open scopes, innermost last
};

struct GpuReference {
  std::atomic<bool> set{false};
  void* event = nullptr;  // recorded with the device idle
  int64_t host_ns = 0;    // host clock at that moment
};

struct State {
  std::mutex mutex;
  std::vector<std::unique_ptr<ThreadLog>> logs;
  std::atomic<uint64_t> session{0};
  Clock::time_point t0 = Clock::now();
  int64_t stop_ns = -1;
  std::vector<StepRecord> steps;
  std::atomic<int> current_step{-1};
  size_t step_start_allocations = 0;
  std::array<GpuReference, kMaxDevices> gpu_refs;
};

State& state() {
  static State* s = new State();  // never destroyed: scopes may close during static destruction
  return *s;
}

thread_local ThreadLog* t_log = nullptr;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - state().t0).count();
}

ThreadLog* thread_log() {
  State& st = state();
  if (t_log == nullptr) {
    std::lock_guard<std::mutex> lock(st.mutex);
    auto log = std::make_unique<ThreadLog>();
    log->index = static_cast<int>(st.logs.size());
    t_log = log.get();
    st.logs.push_back(std::move(log));
  }
  const uint64_t session = st.session.load(std::memory_order_relaxed);
  if (t_log->session != session) {  // first record of this thread in a new session
    t_log->events.clear();
    t_log->open.clear();
    t_log->session = session;
  }
  return t_log;
}

// Sets the device's time reference the first time an op runs there in this session.
void ensure_gpu_reference(int device) {
  if (device < 0 || device >= kMaxDevices) return;
  GpuReference& ref = state().gpu_refs[device];
  if (ref.set.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(state().mutex);
  if (ref.set.load(std::memory_order_relaxed)) return;
  gpu::synchronize_device(device);
  ref.event = gpu::record_event(device, cuda::current_stream(device));
  gpu::synchronize_device(device);
  ref.host_ns = now_ns();
  ref.set.store(true, std::memory_order_release);
}

// Reads every pending CUDA event pair (waits for the devices).
void resolve_gpu_events_locked(State& st) {
  for (int d = 0; d < kMaxDevices; ++d)
    if (st.gpu_refs[d].set.load()) gpu::synchronize_device(d);
  for (auto& log : st.logs) {
    if (log->session != st.session.load()) continue;
    for (Recorded& r : log->events) {
      if (r.gpu_begin == nullptr || r.gpu_end == nullptr) continue;
      const int d = r.event.device.index;
      const GpuReference& ref = st.gpu_refs[d];
      if (ref.set.load()) {
        try {
          r.event.gpu_start_us =
              static_cast<double>(ref.host_ns) / 1e3 + 1e3 * gpu::elapsed_ms(ref.event, r.gpu_begin);
          r.event.gpu_us = 1e3 * gpu::elapsed_ms(r.gpu_begin, r.gpu_end);
        } catch (const std::exception&) {  // keep the host time
          r.event.gpu_start_us = r.event.gpu_us = -1;
        }
      }
      gpu::recycle_event(r.gpu_begin);
      gpu::recycle_event(r.gpu_end);
      r.gpu_begin = r.gpu_end = nullptr;
    }
  }
}

MemorySnapshot memory_now() {
  MemorySnapshot m;
  const HostMemoryStats h = host_memory_stats();
  m.host_bytes_in_use = h.bytes_in_use;
  m.host_peak_bytes = h.peak_bytes;
  m.host_allocations = h.allocations;
  m.live_tensors = live_tensor_count();
  gpu::DeviceMemory g;
  if (state().gpu_refs[0].set.load() && gpu::device_memory(0, &g)) {
    m.has_cuda = true;
    m.cuda_bytes_in_use = g.bytes_in_use;
    m.cuda_peak_bytes = g.peak_bytes;
    m.cuda_bytes_reserved = g.bytes_reserved;
  }
  return m;
}

}  // namespace

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::forward: return "forward";
    case Direction::backward: return "backward";
    case Direction::optimizer: return "optimizer";
  }
  return "?";
}

void start() {
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  for (GpuReference& ref : st.gpu_refs) {
    if (ref.set.load()) gpu::recycle_event(ref.event);
    ref.event = nullptr;
    ref.set.store(false);
  }
  for (auto& log : st.logs) {  // give back events a previous session left unresolved
    for (Recorded& r : log->events) {
      gpu::recycle_event(r.gpu_begin);
      gpu::recycle_event(r.gpu_end);
    }
    log->events.clear();
    log->open.clear();
  }
  st.session.fetch_add(1);
  st.steps.clear();
  st.current_step.store(-1);
  st.t0 = Clock::now();
  st.stop_ns = -1;
  detail::g_enabled.store(true);
}

void stop() {
  if (!enabled()) return;
  State& st = state();
  detail::g_enabled.store(false);
  std::lock_guard<std::mutex> lock(st.mutex);
  st.stop_ns = now_ns();
  resolve_gpu_events_locked(st);
}

void begin_step(std::string label) {
  if (!enabled()) return;
  State& st = state();
  if (st.current_step.load() >= 0) end_step();
  for (int d = 0; d < kMaxDevices; ++d)  // a step starts with the devices idle
    if (st.gpu_refs[d].set.load()) gpu::synchronize_device(d);
  const int thread = thread_log()->index;  // before the lock: a first call registers the thread
  std::lock_guard<std::mutex> lock(st.mutex);
  StepRecord step;
  step.label = label.empty() ? "step " + std::to_string(st.steps.size() + 1) : std::move(label);
  step.thread = thread;
  host_memory_reset_peak();
  st.step_start_allocations = host_memory_stats().allocations;
  step.start_ns = now_ns();
  st.steps.push_back(std::move(step));
  st.current_step.store(static_cast<int>(st.steps.size()) - 1);
}

void end_step() {
  State& st = state();
  const int index = st.current_step.load();
  if (index < 0) return;
  for (int d = 0; d < kMaxDevices; ++d)  // the step ends when its kernels have
    if (st.gpu_refs[d].set.load()) gpu::synchronize_device(d);
  const int64_t end = now_ns();
  std::lock_guard<std::mutex> lock(st.mutex);
  StepRecord& step = st.steps[index];
  step.end_ns = end;
  step.memory = memory_now();
  step.memory.host_allocations -= st.step_start_allocations;
  st.current_step.store(-1);
}

void add_cost(double flops, double bytes) {
  ThreadLog* log = t_log;
  if (log == nullptr || log->open.empty() || log->session != state().session.load(std::memory_order_relaxed)) return;
  OpEvent& e = log->events[log->open.back()].event;
  e.flops += flops;
  e.bytes += bytes;
}

// ---- OpScope --------------------------------------------------------------------------

void OpScope::open(const char* name, bool explicit_direction, Direction direction) {
  ThreadLog* log = thread_log();
  Recorded r;
  r.event.name = name;
  r.event.depth = static_cast<int>(log->open.size());
  r.event.thread = log->index;
  r.event.step = state().current_step.load(std::memory_order_relaxed);
  // A scope opened inside another one belongs to its direction (a matmul inside
  // linear's backward is backward work).
  r.event.direction =
      explicit_direction || log->open.empty() ? direction : log->events[log->open.back()].event.direction;
  log->events.push_back(std::move(r));
  index_ = static_cast<int64_t>(log->events.size()) - 1;
  log->open.push_back(index_);
  log_ = log;
}

void OpScope::add_input(const Tensor& t) {
  Recorded& r = static_cast<ThreadLog*>(log_)->events[index_];
  if (!t.defined()) {
    r.event.shapes.push_back(-1);
    return;
  }
  r.event.shapes.push_back(t.dim());
  for (int64_t s : t.shape()) r.event.shapes.push_back(s);
  if (!r.device_known) {
    r.event.device = t.device();
    r.device_known = true;
  }
}

void OpScope::add_input(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts) add_input(t);
}

void OpScope::add_input(const std::vector<std::pair<std::string, Tensor>>& named) {
  Recorded& r = static_cast<ThreadLog*>(log_)->events[index_];
  for (const auto& [name, t] : named) {
    if (!t.defined()) continue;
    if (!r.device_known) {
      r.event.device = t.device();
      r.device_known = true;
    }
    break;
  }
}

void OpScope::add_input(Device device) {
  Recorded& r = static_cast<ThreadLog*>(log_)->events[index_];
  if (!r.device_known) {
    r.event.device = device;
    r.device_known = true;
  }
}

void OpScope::opened() {
  ThreadLog* log = static_cast<ThreadLog*>(log_);
  Recorded& r = log->events[index_];
  if (r.event.device.is_cuda()) {
    const int d = r.event.device.index;
    try {  // a profiler failure must not fail the op: the event then has host time only
      ensure_gpu_reference(d);
      const cuda_stream stream = cuda::current_stream(d);
      r.event.stream = reinterpret_cast<uintptr_t>(stream);
      r.gpu_begin = gpu::record_event(d, stream);
    } catch (const std::exception&) {
      r.gpu_begin = nullptr;
    }
  }
  r.event.start_ns = now_ns();  // last, so that the bookkeeping above is not timed
}

void OpScope::close() {
  const int64_t end = now_ns();  // first, for the same reason
  ThreadLog* log = static_cast<ThreadLog*>(log_);
  log_ = nullptr;
  // A session started while this scope was open dropped its event.
  if (log->open.empty() || log->open.back() != index_) return;
  log->open.pop_back();
  Recorded& r = log->events[index_];
  r.event.host_ns = end - r.event.start_ns;
  r.closed = true;
  if (r.gpu_begin != nullptr) {
    try {  // called from a destructor: never throw
      r.gpu_end = gpu::record_event(r.event.device.index, reinterpret_cast<cuda_stream>(r.event.stream));
    } catch (const std::exception&) {
      r.gpu_end = nullptr;
    }
  }
  if (!log->open.empty()) {  // inclusive counts: the parent's work includes this op's
    OpEvent& parent = log->events[log->open.back()].event;
    parent.flops += r.event.flops;
    parent.bytes += r.event.bytes;
  }
}

// ---- results ------------------------------------------------------------------------------

Session session() {
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  if (!enabled()) resolve_gpu_events_locked(st);
  Session s;
  const uint64_t current = st.session.load();
  for (const auto& log : st.logs) {
    if (log->session != current || log->events.empty()) continue;
    ++s.threads;
    for (const Recorded& r : log->events)
      if (r.closed) s.events.push_back(r.event);
  }
  s.steps = st.steps;
  s.wall_ns = st.stop_ns >= 0 ? st.stop_ns : now_ns();
  return s;
}

int64_t numel_with_grad(const std::vector<std::pair<std::string, Tensor>>& params) {
  int64_t n = 0;
  for (const auto& [name, p] : params)
    if (p.defined() && p.grad().defined()) n += p.numel();
  return n;
}

int64_t nbytes_with_grad(const std::vector<std::pair<std::string, Tensor>>& params) {
  int64_t n = 0;
  for (const auto& [name, p] : params)
    if (p.defined() && p.grad().defined()) n += static_cast<int64_t>(p.nbytes());
  return n;
}

}  // namespace varstar::profiler
