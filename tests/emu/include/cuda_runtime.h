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
#include <functional>
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

// ---- the runtime API (tests/emu/runtime_api.cpp) ------------------------------------
// Streams, events, graphs and copies run on the CPU. Eager streams (the
// default) run work when it is issued; deferred streams (the environment's
// VARSTAR_EMU_STREAMS=deferred, or set_deferred_streams) queue it and run it
// only when a host wait needs it, so that a missing synchronisation shows:
//   - cudaStreamSynchronize, cudaEventSynchronize: that stream's or event's work and what it waits for;
//   - cudaMemcpy, cudaDeviceSynchronize, cudaFree, cudaFreeHost: as on a GPU; cudaStreamDestroy runs
//     the stream's work, cudaEventDestroy nothing (records still queued run later; an event re-recorded
//     on another stream reflects its newest record, as on a GPU);
//   - cudaEventQuery of queued work: cudaErrorNotReady, and the device takes one step (a polling loop ends);
//   - a stream's queue holds 1,024 items, as a GPU's launch queue: one more runs its oldest.
// The legacy default stream and the blocking streams wait for each other's
// earlier work; cudaStreamWaitEvent orders two streams. A copy from pageable
// host memory to the device reads its source when issued (the driver stages
// it); every other copy reads and writes when it runs. A stream that is
// capturing a graph records its work instead (a replay runs the records in order). What a
// GPU forbids while a stream captures fails here as there: synchronising the
// capturing stream, the device or an event recorded in the capture; work on
// the legacy default stream while a blocking stream captures; cudaFree. Each
// ends the capture with an error (cudaStreamEndCapture reports it).
// One device, visible only when the environment has VARSTAR_EMU_GPU=1 (an
// emulated build's cuda tests: tests/CMakeLists.txt); 16 SMs, so launches
// sized by the SM count stay small.
struct CUstream_st;
using cudaStream_t = CUstream_st*;
struct CUevent_st;
using cudaEvent_t = CUevent_st*;
struct CUgraph_st;
using cudaGraph_t = CUgraph_st*;
struct CUgraphExec_st;
using cudaGraphExec_t = CUgraphExec_st*;
struct CUgraphNode_st;
using cudaGraphNode_t = CUgraphNode_st*;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalState = 401,
  cudaErrorNotReady = 600,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureImplicit = 906,
};
const char* cudaGetErrorString(cudaError_t e);
const char* cudaGetErrorName(cudaError_t e);
// The calling thread's last launch error, cleared by the call.
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaDeviceSynchronize();
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem, sharedMemPerBlockOptin;
  int multiProcessorCount, l2CacheSize, major, minor;
};
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
enum cudaDeviceAttr {
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int /*device*/) {
  *value = attr == cudaDevAttrMultiProcessorCount ? 16 : 227 * 1024;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);

// Device memory is host memory here, listed so that cudaFree refuses what
// cudaMalloc did not give. What is not freed belongs to the context, which a
// process exit tears down (cuBLAS's per-thread workspaces: gemm.cpp keeps
// them): the list keeps it reachable, so it is no leak.
cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
template <class T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {  // the runtime's typed overload
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
enum { cudaHostAllocDefault = 0 };
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void* ptr);

enum { cudaStreamDefault = 0, cudaStreamNonBlocking = 1 };
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags = 0);
using cudaHostFn_t = void (*)(void*);
cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* user_data);

enum { cudaEventDefault = 0, cudaEventDisableTiming = 2 };
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventQuery(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemset2DAsync(void* dst, size_t pitch, int value, size_t width, size_t height,
                              cudaStream_t stream = nullptr);

enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
};
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph);
// nodes must be null: the emulator reports only their number.
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* count);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);

namespace varstar::emu {
// Runs `work` now, queues it (deferred streams) or records it in the graph `stream` captures (see above).
cudaError_t submit(cudaStream_t stream, std::function<void()> work);
// Eager or deferred streams for the whole process; turning deferral off first runs what is queued.
void set_deferred_streams(bool deferred);
bool deferred_streams();
// A kernel launch's submit: its error is also the thread's last error (cudaGetLastError).
cudaError_t submit_launch(cudaStream_t stream, std::function<void()> work);
}  // namespace varstar::emu

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
  cudaStream_t stream;
};
template <class G, class B>
LaunchConfig config(G grid, B block, size_t shared = 0, cudaStream_t stream = nullptr) {
  return LaunchConfig{LaunchShape{to_dim3(dim3(grid)), to_dim3(dim3(block)), shared}, stream};
}
// Runs call(args...) as every thread of the grid; the arguments are copied once, as a launch copies them.
template <class Call, class... A>
void launch(const LaunchConfig& c, Call call, A... args) {
  submit_launch(c.stream, [shape = c.shape, call, args...] { run_grid(shape, [&] { call(args...); }); });
}
// A launch through the runtime API (cudaLaunchKernel): args[i] points to parameter i.
template <class... P, size_t... I>
cudaError_t launch_with_pointers(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared,
                                 cudaStream_t stream, bool cooperative, std::index_sequence<I...>) {
  const std::tuple<std::decay_t<P>...> values{*static_cast<std::decay_t<P>*>(args[I])...};
  const LaunchShape shape{to_dim3(grid), to_dim3(block), shared};
  return submit_launch(stream, [=] {
    const auto body = [&] { std::apply(kernel, values); };
    if (cooperative)
      run_grid_cooperative(shape, body);
    else
      run_grid(shape, body);
  });
}
}  // namespace varstar::emu

// Typed kernels only: the emulator needs the parameter types that a `const void*` kernel has lost.
template <class... P>
cudaError_t cudaLaunchKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared = 0,
                             cudaStream_t stream = nullptr) {
  return ::varstar::emu::launch_with_pointers(kernel, grid, block, args, shared, stream, false,
                                              std::index_sequence_for<P...>{});
}
template <class... P>
cudaError_t cudaLaunchCooperativeKernel(void (*kernel)(P...), dim3 grid, dim3 block, void** args, size_t shared = 0,
                                        cudaStream_t stream = nullptr) {
  return ::varstar::emu::launch_with_pointers(kernel, grid, block, args, shared, stream, true,
                                              std::index_sequence_for<P...>{});
}
