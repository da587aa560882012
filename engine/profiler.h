#pragma once
// The op-level profiler: records every op call of a training step (name,
// input shapes, device, direction, time, FLOPs and bytes moved), summarises
// it as a table sorted by total time, and writes a Chrome trace-event JSON
// file that Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
// Hooks (near-zero cost when the profiler is off: one relaxed atomic load
// and a branch per op, no allocation, no strings):
//   - each op front end opens a scope first thing:
//       VARSTAR_PROFILE_OP("conv2d", x, weight, bias);
//     and states the work of its own kernels next to them (nested engine ops
//     count themselves and are added to their parent):
//       VARSTAR_PROFILE_COST(flops, bytes);   // arguments evaluated only when on
//   - run_backward opens a backward scope per node (named Node::op) and an
//     "accumulate_grad" scope for each gradient accumulation; a front end's
//     backward function may call VARSTAR_PROFILE_COST for that scope;
//   - optimizers open a scope for their whole step (direction optimizer).
// Times: CPU ops by the steady clock around the scope; CUDA ops additionally
// by CUDA events recorded on the op's stream at scope entry and exit,
// resolved at stop() (the table then uses the event time, the kernel time as
// the GPU saw it).
//
// Threads: the thread that calls an op records it, into its own buffer (no
// locks on the hot path). OpenMP worker threads inside kernels record nothing.
// start(), stop(), the step markers and the reports must be called while no
// other thread is running ops.
//
// Use (the API train/ and cv call):
//   profiler::start();
//   for (...) { profiler::StepGuard step("epoch 1 step 3"); forward; backward; optimizer.step(); }
//   profiler::stop();
//   fmt::print("{}", profiler::report(peaks));   // op table, then the step table
//   profiler::write_trace("profile.json");
// Ops that other threads run during a step (say, a batch loader calling engine
// ops) are recorded on their own tracks and counted in the step too, so the
// ops' share of a step can then exceed 100%.
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/device.h"
#include "engine/tensor.h"

namespace varstar::profiler {

enum class Direction : uint8_t { forward, backward, optimizer };
const char* direction_name(Direction d);

namespace detail {
extern std::atomic<bool> g_enabled;
}  // namespace detail

// True while recording. One relaxed atomic load.
inline bool enabled() { return detail::g_enabled.load(std::memory_order_relaxed); }

// Starts a fresh session (previous records are dropped) and enables recording.
void start();
// Stops recording; synchronises the CUDA devices used and resolves their event times.
void stop();

// Step markers: a step spans begin_step .. end_step on the calling thread.
// Memory figures are taken at each end (host allocator, live tensors, CUDA
// caching allocator). No-ops while the profiler is off.
void begin_step(std::string label = {});
void end_step();
class StepGuard {
 public:
  explicit StepGuard(std::string label = {}) { begin_step(std::move(label)); }
  ~StepGuard() { end_step(); }
  StepGuard(const StepGuard&) = delete;
  StepGuard& operator=(const StepGuard&) = delete;
};

// Adds `flops` and `bytes` (read + written) to the innermost open scope of
// this thread: the work of the op's own kernels.
void add_cost(double flops, double bytes);

// ---- the scope a front end opens -------------------------------------------------
class OpScope {
 public:
  // Inputs may be Tensor, std::vector<Tensor>, or named tensors (parameters of
  // an optimizer); the first defined tensor gives the device.
  template <class... Inputs>
  explicit OpScope(const char* name, const Inputs&... inputs) {
    if (!enabled()) return;
    open(name, false, Direction::forward);
    (add_input(inputs), ...);
    opened();
  }
  template <class... Inputs>
  OpScope(const char* name, Direction direction, const Inputs&... inputs) {
    if (!enabled()) return;
    open(name, true, direction);
    (add_input(inputs), ...);
    opened();
  }
  ~OpScope() {
    if (log_ != nullptr) close();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  void open(const char* name, bool explicit_direction, Direction direction);
  void add_input(const Tensor& t);
  void add_input(const std::vector<Tensor>& ts);
  void add_input(const std::vector<std::pair<std::string, Tensor>>& named);
  void add_input(Device device);
  void opened();
  void close();
  void* log_ = nullptr;  // this thread's buffer while the scope records
  int64_t index_ = -1;   // the event's position in it
};

// ---- results -------------------------------------------------------------------------
// One recorded op call.
struct OpEvent {
  const char* name = "";
  Direction direction = Direction::forward;
  Device device;
  int depth = 0;                // 0: called from user code; > 0: inside another op
  int thread = 0;               // profiler thread index (0: the first thread that recorded)
  int step = -1;                // index into Session::steps, -1 outside any step
  int64_t start_ns = 0;         // host clock, from start()
  int64_t host_ns = 0;          // host wall time of the scope
  double gpu_start_us = -1;     // CUDA ops: kernel span on the device's timeline (us from start())
  double gpu_us = -1;
  uintptr_t stream = 0;         // CUDA ops: the stream
  double flops = 0;             // this op and the ops nested in it
  double bytes = 0;
  std::vector<int64_t> shapes;  // per input: ndim then the sizes; -1 for an undefined input
  // The time the table uses: kernel time on CUDA, host wall time on the CPU.
  double duration_ms() const { return gpu_us >= 0 ? gpu_us / 1000.0 : static_cast<double>(host_ns) / 1e6; }
  std::string shapes_str() const;  // "(32,1,359) (64,1,3) (64)"
};

struct MemorySnapshot {
  size_t host_bytes_in_use = 0;
  size_t host_peak_bytes = 0;      // highest host bytes in use during the step
  size_t host_allocations = 0;     // allocations made during the step
  int64_t live_tensors = 0;        // TensorImpl objects alive at the end of the step
  bool has_cuda = false;
  size_t cuda_bytes_in_use = 0;    // device 0's caching allocator
  size_t cuda_peak_bytes = 0;      // since the process started
  size_t cuda_bytes_reserved = 0;
};

struct StepRecord {
  std::string label;
  int thread = 0;  // profiler thread index of the caller
  int64_t start_ns = 0, end_ns = -1;
  MemorySnapshot memory;
  double wall_ms() const { return end_ns < 0 ? 0.0 : static_cast<double>(end_ns - start_ns) / 1e6; }
};

// A copy of everything recorded in the last session.
struct Session {
  std::vector<OpEvent> events;  // ordered by thread, then start time
  std::vector<StepRecord> steps;
  int64_t wall_ns = 0;          // start() .. stop() (or now, if still running)
  int threads = 0;
};
Session session();

// Time the machine could reach: the peer for the table's percentages. 0 = unknown.
struct Peaks {
  double gflops = 0;  // e.g. bench::measure_sgemm_gflops()
  double gbps = 0;    // e.g. measure_host_memcpy_gbps()
};
// Host memory bandwidth of a parallel memcpy (bytes read + written per second / 1e9).
double measure_host_memcpy_gbps(size_t bytes = size_t{64} << 20, int repeats = 7);

// One row of the table: all top-level calls of one op in one direction.
struct OpSummary {
  std::string name;
  Direction direction = Direction::forward;
  int64_t calls = 0;
  double total_ms = 0, flops = 0, bytes = 0;
  double mean_ms() const { return calls ? total_ms / static_cast<double>(calls) : 0.0; }
  double gflops_per_s() const { return total_ms > 0 ? flops / (total_ms * 1e6) : 0.0; }
  double gbytes_per_s() const { return total_ms > 0 ? bytes / (total_ms * 1e6) : 0.0; }
};

struct StepSummary {
  std::string label;
  double wall_ms = 0;
  double op_ms = 0;  // top-level ops inside the step
  double forward_ms = 0, backward_ms = 0, optimizer_ms = 0;
  int64_t op_calls = 0;
  MemorySnapshot memory;
};

struct Summary {
  std::vector<OpSummary> ops;  // sorted by total time, longest first
  std::vector<StepSummary> steps;
  double step_ms = 0;          // marked steps' wall time, or the session's when none were marked
  double op_ms = 0;            // all top-level op time counted in `ops`
  int64_t calls = 0;
};
// Aggregates top-level ops (depth 0); when steps were marked, only ops inside them.
Summary summarize(const Session& s);
inline Summary summarize() { return summarize(session()); }

std::string format_table(const Summary& summary, const Peaks& peaks = {});
std::string format_steps(const Summary& summary);
// format_table and format_steps of the last session.
std::string report(const Peaks& peaks = {});
std::string format_bytes(double bytes);

// Chrome trace-event JSON: complete ("X") events per op (nested ops nest),
// one track per host thread (process "host") and per CUDA stream (process
// "cuda:N"), step spans, and host-memory counters at step ends.
void write_trace(const std::string& path, const Session& s);
inline void write_trace(const std::string& path) { write_trace(path, session()); }

// Sums of numel() and nbytes() over the tensors with a gradient (an optimizer's workload).
int64_t numel_with_grad(const std::vector<std::pair<std::string, Tensor>>& params);
int64_t nbytes_with_grad(const std::vector<std::pair<std::string, Tensor>>& params);

}  // namespace varstar::profiler

#define VARSTAR_PROFILE_CAT2(a, b) a##b
#define VARSTAR_PROFILE_CAT(a, b) VARSTAR_PROFILE_CAT2(a, b)
// Opens a scope for the enclosing op (until the end of the block).
#define VARSTAR_PROFILE_OP(...) \
  ::varstar::profiler::OpScope VARSTAR_PROFILE_CAT(varstar_profile_scope_, __LINE__)(__VA_ARGS__)
// States the work of the op's own kernels; the arguments are evaluated only when profiling.
#define VARSTAR_PROFILE_COST(flops, bytes)                                                       \
  do {                                                                                           \
    if (::varstar::profiler::enabled())                                                          \
      ::varstar::profiler::add_cost(static_cast<double>(flops), static_cast<double>(bytes));     \
  } while (0)
