// Error reporting behind kernels/cuda/check.cuh.
#include "kernels/cuda/check.cuh"

#include <atomic>
#include <cstdlib>
#include <shared_mutex>

#include "engine/error.h"

namespace varstar::cuda::detail {

namespace {
constexpr int64_t kDefaultMaxGridBlocks = 65535LL * 32;
std::atomic<int64_t> g_max_grid_blocks{kDefaultMaxGridBlocks};
std::atomic<int> g_capture_depth{0};  // captures in progress, every thread
thread_local int t_capture_depth = 0;  // this thread's
std::shared_mutex& capture_gate() {
  static auto* gate = new std::shared_mutex();  // never destroyed: used until exit
  return *gate;
}
}  // namespace

bool sync_debug() {
  static const bool enabled = [] {
    const char* v = std::getenv("VARSTAR_SYNC_DEBUG");
    return v != nullptr && v[0] == '1';
  }();
  return enabled;
}

int64_t max_grid_blocks() { return g_max_grid_blocks.load(std::memory_order_relaxed); }
void set_max_grid_blocks(int64_t blocks) { g_max_grid_blocks = blocks > 0 ? blocks : kDefaultMaxGridBlocks; }

bool graph_capture_active() { return t_capture_depth > 0; }
bool any_graph_capture_active() { return g_capture_depth.load() > 0; }
void note_graph_capture(bool begin) {
  t_capture_depth += begin ? 1 : -1;
  g_capture_depth += begin ? 1 : -1;
}

// DeviceWideCalls the calling thread holds: only the outermost takes the gate.
thread_local int t_device_wide_depth = 0;

DeviceWideCall::DeviceWideCall() {
  if (graph_capture_active()) return;
  if (t_device_wide_depth == 0) capture_gate().lock();
  ++t_device_wide_depth;
  held_ = true;
}
DeviceWideCall::~DeviceWideCall() {
  if (held_ && --t_device_wide_depth == 0) capture_gate().unlock();
}
CaptureGateShared::CaptureGateShared() { capture_gate().lock_shared(); }
CaptureGateShared::~CaptureGateShared() { capture_gate().unlock_shared(); }

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  throw CudaError(fmt::format("CUDA error {} ({}) in '{}' at {}:{}", cudaGetErrorName(err),
                              cudaGetErrorString(err), expr, file, line));
}

void throw_error(const char* message) { throw Error(message); }

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t err = cudaGetLastError();
  // Synchronising while a graph is being captured would invalidate the capture.
  if (err == cudaSuccess && sync_debug() && !any_graph_capture_active()) err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw_cuda_error(err, kernel, file, line);
}

}  // namespace varstar::cuda::detail
