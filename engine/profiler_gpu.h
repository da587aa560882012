#pragma once
// The profiler's CUDA side (engine/profiler_gpu.cpp): pooled CUDA events
// recorded on an op's stream, their elapsed times, and the device caching
// allocator's figures. Without the CUDA backend every call is a stub that
// records nothing. This header never includes cuda_runtime.h.
#include <cstddef>

#include "kernels/common.h"

namespace varstar::profiler::gpu {

// An event recorded now on `stream` of `device` (from a pool); null without CUDA.
void* record_event(int device, cuda_stream stream);
// Milliseconds from `a` to `b`, both recorded on the same device; waits for b.
double elapsed_ms(void* a, void* b);
// Returns an event to the pool once its time has been read.
void recycle_event(void* event);
void synchronize_device(int device);

struct DeviceMemory {
  size_t bytes_in_use = 0;
  size_t peak_bytes = 0;
  size_t bytes_reserved = 0;
};
// The caching allocator's figures for `device`; false without CUDA or device.
bool device_memory(int device, DeviceMemory* out);

}  // namespace varstar::profiler::gpu
