#pragma once
// Checking macros for CUDA code: every runtime call and every launch is
// checked; the error names the statement, file:line and CUDA's own message.
// VARSTAR_SYNC_DEBUG=1 in the environment synchronises after every launch, so
// an asynchronous fault is reported at the kernel that caused it (never while
// a stream is being captured into a CUDA graph: that would end the capture).
// (.cu files include this, never fmt: the exception is built in check.cpp.)
#include <cuda_runtime.h>

#include <cstdint>

namespace varstar::cuda::detail {

bool sync_debug();
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line);
// Throws varstar::Error(message): a shape or argument a kernel cannot take.
[[noreturn]] void throw_error(const char* message);
void check_launch(const char* kernel, const char* file, int line);

// True while the calling thread captures a CUDA graph (engine/cuda_graph.h):
// its code must not synchronise or read results on the host then.
bool graph_capture_active();
// True while any thread of the process captures one: nothing may then
// synchronise the whole device (cudaFree, cudaDeviceSynchronize).
bool any_graph_capture_active();
void note_graph_capture(bool begin);

// Several threads may capture graphs at once, each on its own stream (cv
// --jobs). A capture holds the capture gate shared (CaptureGateShared); a call
// that may synchronise the whole device or touch the legacy stream (creating
// a cuBLAS or cuDNN handle, cuDNN's algorithm search, pinned host memory,
// destroying a graph) holds it alone (DeviceWideCall), so it never runs while
// another thread captures, and no capture starts while it runs. Inside its
// own thread's capture a DeviceWideCall does not wait (it would wait for itself),
// and one nested in another of the same thread (cuDNN's algorithm search
// timing our GEMM path, whose first GEMM creates the cuBLAS handle) is free.
class DeviceWideCall {
 public:
  DeviceWideCall();
  ~DeviceWideCall();
  DeviceWideCall(const DeviceWideCall&) = delete;
  DeviceWideCall& operator=(const DeviceWideCall&) = delete;

 private:
  bool held_ = false;
};
class CaptureGateShared {
 public:
  CaptureGateShared();
  ~CaptureGateShared();
  CaptureGateShared(const CaptureGateShared&) = delete;
  CaptureGateShared& operator=(const CaptureGateShared&) = delete;
};

// Upper bound on the blocks of a grid-stride launch (65535 * 32 by default).
// Tests lower it (set_max_grid_blocks(2)) so that every grid-stride loop runs
// several iterations even on small tensors; 0 restores the default.
int64_t max_grid_blocks();
void set_max_grid_blocks(int64_t blocks);

// Blocks for a grid-stride loop over n elements: ceil(n / block), at least 1,
// at most max_grid_blocks().
inline unsigned grid_for(int64_t n, unsigned block) {
  const int64_t blocks = (n + block - 1) / block;
  const int64_t cap = max_grid_blocks();
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < cap ? blocks : cap));
}

}  // namespace varstar::cuda::detail

#define VARSTAR_CUDA_CHECK(expr)                                                              \
  do {                                                                                        \
    const cudaError_t varstar_err_ = (expr);                                                  \
    if (varstar_err_ != cudaSuccess)                                                          \
      ::varstar::cuda::detail::throw_cuda_error(varstar_err_, #expr, __FILE__, __LINE__);     \
  } while (0)

// After a <<<...>>> launch: VARSTAR_CUDA_CHECK_LAUNCH("kernel_name");
#define VARSTAR_CUDA_CHECK_LAUNCH(name) ::varstar::cuda::detail::check_launch(name, __FILE__, __LINE__)
