#pragma once
// The part of the CUDA runtime and of the device built-ins that
// kernels/cuda/*.cu use, on the CPU: a kernel compiled against this header by
// the host compiler runs under tests/emu/simt.h. tests/emu/translate.cmake
// turns `kernel<<<grid, block, shared, stream>>>(args)` into a call of launch() below.
//
// Only what the kernels use is here (a kernel using more fails to compile: add
// it). Device intrinsics are the host's arithmetic: rsqrtf is 1 / sqrtf, __ldg a load.
// Atomics need no locking (a block's threads switch only at barriers and warp
// primitives).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "tests/emu/simt.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local  // in code translate.cmake has not rewritten (the emulator's own tests)

struct CUstream_st;
using cudaStream_t = CUstream_st*;

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2 };
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }
inline const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
enum cudaDeviceAttr {
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
// A small device: 16 SMs, so launches sized by the SM count stay small here.
inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int /*device*/) {
  *value = attr == cudaDevAttrMultiProcessorCount ? 16 : 227 * 1024;
  return cudaSuccess;
}
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
template <class F>
cudaError_t cudaFuncSetAttribute(F /*kernel*/, cudaFuncAttribute /*attr*/, int /*value*/) {
  return cudaSuccess;
}
struct cudaFuncAttributes {
  int maxThreadsPerBlock = 1024, numRegs = 32;
  size_t sharedSizeBytes = 0, localSizeBytes = 0;
};
template <class F>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attr, F /*kernel*/) {
  *attr = cudaFuncAttributes{};
  return cudaSuccess;
}
// One block of any size per SM: a cooperative grid may have as many blocks as SMs.
template <class F>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, F /*kernel*/, int /*threads*/, size_t /*smem*/) {
  *blocks = 1;
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t /*stream*/ = nullptr) {
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemset2DAsync(void* dst, size_t pitch, int value, size_t width, size_t height,
                                     cudaStream_t /*stream*/ = nullptr) {
  for (size_t row = 0; row < height; ++row) std::memset(static_cast<char*>(dst) + row * pitch, value, width);
  return cudaSuccess;
}
// Device memory is host memory here. What is not freed belongs to the context,
// which a process exit tears down (cuBLAS's per-thread workspaces: gemm.cpp
// keeps them): the context's list keeps it reachable, so it is no leak.
namespace varstar::emu {
struct DeviceMemory {
  std::mutex mutex;
  std::set<void*> live;
};
inline DeviceMemory& device_memory() {
  static auto* memory = new DeviceMemory();  // never destroyed: the context lives until exit
  return *memory;
}
}  // namespace varstar::emu
inline cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = std::malloc(bytes > 0 ? bytes : 1);
  if (*ptr == nullptr) return cudaErrorMemoryAllocation;
  varstar::emu::DeviceMemory& memory = varstar::emu::device_memory();
  std::lock_guard lock(memory.mutex);
  memory.live.insert(*ptr);
  return cudaSuccess;
}
inline cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  varstar::emu::DeviceMemory& memory = varstar::emu::device_memory();
  std::lock_guard lock(memory.mutex);
  if (memory.live.erase(ptr) == 0) return cudaErrorInvalidValue;
  std::free(ptr);
  return cudaSuccess;
}

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct uint3 {
  unsigned x, y, z;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// The first statement of every translated kernel (tests/emu/translate.cmake).
#define VARSTAR_EMU_KERNEL_RAN(key)                                        \
  do {                                                                      \
    static std::atomic<bool> varstar_emu_ran{false};                        \
    if (!varstar_emu_ran.exchange(true)) ::varstar::emu::note_kernel_ran(key); \
  } while (0)

// A __shared__ variable of a translated kernel: one per block, per declaration
// (each lambda passed is of its own type, so `tag` is one per declaration site).
namespace varstar::emu {
template <class T, class Site>
T& block_shared(Site) {
  static const char tag = 0;
  return *static_cast<T*>(shared_variable(&tag, sizeof(T)));
}
}  // namespace varstar::emu

// ---- built-in variables ----------------------------------------------------------
namespace varstar::emu {
inline uint3 as_uint3(const Dim3& d) { return uint3{d.x, d.y, d.z}; }
}  // namespace varstar::emu
#define threadIdx (::varstar::emu::as_uint3(::varstar::emu::thread_idx()))
#define blockIdx (::varstar::emu::as_uint3(::varstar::emu::block_idx()))
#define blockDim (::varstar::emu::as_uint3(::varstar::emu::block_dim()))
#define gridDim (::varstar::emu::as_uint3(::varstar::emu::grid_dim()))
constexpr int warpSize = 32;

// ---- intrinsics -------------------------------------------------------------------
inline void __syncthreads() { ::varstar::emu::sync_threads(); }

template <class T>
T __ldg(const T* p) {
  return *p;
}
template <class T>
T __ldcg(const T* p) {
  return *p;
}
inline float __int_as_float(int v) {
  float f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}
inline long long __double_as_longlong(double d) {
  long long v;
  std::memcpy(&v, &d, sizeof v);
  return v;
}
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }

// Device code's global min and max.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }

template <class T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}

// ---- warp primitives --------------------------------------------------------------
namespace varstar::emu {
template <class T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "a warp primitive moves at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);
  return bits;
}
template <class T>
T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// The value of lane `src` (which must be in the mask), as __shfl_*_sync returns it.
template <class T>
T shuffle(unsigned mask, T v, unsigned src, const char* primitive) {
  const WarpValues& all = warp_exchange(mask, to_bits(v), primitive);
  if ((all.mask >> src & 1u) == 0) throw std::runtime_error(std::string("emu: ") + primitive + " reads a lane outside its mask");
  return from_bits<T>(all.value[src]);
}
}  // namespace varstar::emu

template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
  const unsigned lane = ::varstar::emu::lane_id(), base = lane & ~unsigned(width - 1);
  const unsigned src = lane ^ unsigned(lane_mask);
  return ::varstar::emu::shuffle(mask, v, src >= base + unsigned(width) ? lane : src, "__shfl_xor_sync");
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  const unsigned lane = ::varstar::emu::lane_id(), base = lane & ~unsigned(width - 1);
  const unsigned src = lane + delta;
  return ::varstar::emu::shuffle(mask, v, src >= base + unsigned(width) ? lane : src, "__shfl_down_sync");
}
template <class T>
unsigned __match_any_sync(unsigned mask, T v) {
  const ::varstar::emu::WarpValues& all = ::varstar::emu::warp_exchange(mask, ::varstar::emu::to_bits(v), "__match_any_sync");
  const uint64_t mine = ::varstar::emu::to_bits(v);
  unsigned same = 0;
  for (unsigned l = 0; l < 32; ++l)
    if ((all.mask >> l & 1u) != 0 && all.value[l] == mine) same |= 1u << l;
  return same;
}

// ---- launches -----------------------------------------------------------------------
namespace varstar::emu {
inline Dim3 to_dim3(dim3 d) { return Dim3{d.x, d.y, d.z}; }
struct LaunchConfig {
  LaunchShape shape;
};
template <class G, class B>
LaunchConfig config(G grid, B block, size_t shared = 0, cudaStream_t /*stream*/ = nullptr) {
  return LaunchConfig{LaunchShape{to_dim3(dim3(grid)), to_dim3(dim3(block)), shared}};
}
// Runs call(args...) as every thread of the grid; the arguments are copied once, as a launch copies them.
template <class Call, class... A>
void launch(const LaunchConfig& c, Call call, A... args) {
  run_grid(c.shape, [&] { call(args...); });
}
// A launch through the runtime API (cudaLaunchKernel): args[i] points to parameter i.
template <class... P, size_t... I>
cudaError_t launch_with_pointers(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared,
                                 bool cooperative, std::index_sequence<I...>) {
  const std::tuple<std::decay_t<P>...> values{*static_cast<std::decay_t<P>*>(args[I])...};
  const LaunchShape shape{to_dim3(grid), to_dim3(block), shared};
  const auto body = [&] { std::apply(kernel, values); };
  if (cooperative)
    run_grid_cooperative(shape, body);
  else
    run_grid(shape, body);
  return cudaSuccess;
}
}  // namespace varstar::emu

// Typed kernels only: the emulator needs the parameter types that a `const void*` kernel has lost.
template <class... P>
cudaError_t cudaLaunchKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared = 0,
                             cudaStream_t /*stream*/ = nullptr) {
  return ::varstar::emu::launch_with_pointers(kernel, grid, block, args, shared, false, std::index_sequence_for<P...>{});
}
template <class... P>
cudaError_t cudaLaunchCooperativeKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared = 0,
                                        cudaStream_t /*stream*/ = nullptr) {
  return ::varstar::emu::launch_with_pointers(kernel, grid, block, args, shared, true, std::index_sequence_for<P...>{});
}
