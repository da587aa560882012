// Error reporting behind kernels/cuda/check.cuh.
#include "kernels/cuda/check.cuh"

#include <atomic>
#include <cstdlib>

#include "engine/error.h"

namespace varstar::cuda::detail {

namespace {
constexpr int64_t kDefaultMaxGridBlocks = 65535LL * 32;
std::atomic<int64_t> g_max_grid_blocks{kDefaultMaxGridBlocks};
std::atomic<int> g_capture_depth{0};
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

bool graph_capture_active() { return g_capture_depth.load() > 0; }
void note_graph_capture(bool begin) { g_capture_depth += begin ? 1 : -1; }

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  throw CudaError(fmt::format("CUDA error {} ({}) in '{}' at {}:{}", cudaGetErrorName(err),
                              cudaGetErrorString(err), expr, file, line));
}

void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t err = cudaGetLastError();
  // Synchronising while a graph is being captured would invalidate the capture.
  if (err == cudaSuccess && sync_debug() && !graph_capture_active()) err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw_cuda_error(err, kernel, file, line);
}

}  // namespace varstar::cuda::detail
