#pragma once
// The engine's entry points into the CUDA runtime: device memory, copies and
// synchronisation. Implemented in engine/cuda/*.cpp when the CUDA backend is
// compiled in, and by engine/cuda_stub.cpp (which reports why not) otherwise.
// This header never includes cuda_runtime.h.
#include <cstddef>
#include <string>

#include "kernels/common.h"

namespace varstar::cuda {

int device_count();                 // 0 without a usable GPU or without the backend
std::string unavailable_reason();   // why device_count() is 0
std::string device_name(int device);

void* device_malloc(size_t bytes, int device);
void device_free(void* ptr, int device);
void copy_host_to_device(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t bytes, int device);
void memset_device(void* ptr, int value, size_t bytes, int device);
void synchronize(int device);
cuda_stream current_stream(int device);  // the stream engine ops launch on

}  // namespace varstar::cuda
