#pragma once
// The engine's entry points into the CUDA runtime: device memory, copies,
// streams, events, pinned host memory, memory statistics and library switches.
// Implemented in engine/cuda/*.cpp when the CUDA backend is compiled in, and
// by engine/cuda_stub.cpp (which reports why not) otherwise.
// This header never includes cuda_runtime.h: streams and events are opaque.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/common.h"
#include "kernels/conv.h"
#include "kernels/lstm.h"

namespace varstar::cuda {

int device_count();                 // 0 without a usable GPU or without the backend
std::string unavailable_reason();   // why device_count() is 0
std::string device_name(int device);
// Shared memory one block may opt in to, in bytes (227 KiB on H100/H200, 99 KiB on RTX 30/40/50).
size_t max_shared_memory_per_block(int device);
// Free and total device memory in bytes (cudaMemGetInfo).
void device_memory_info(int device, size_t* free_bytes, size_t* total_bytes);

// ---- memory ------------------------------------------------------------------
// Device blocks come from the caching allocator (kernels/cuda/allocator.h),
// stream-ordered on current_stream(device).
void* device_malloc(size_t bytes, int device);
void device_free(void* ptr, int device);
// The block at `ptr` is also used by work on `stream`: its reuse waits for that work.
void record_stream(void* ptr, cuda_stream stream, int device);

struct DeviceMemoryStats {
  size_t bytes_in_use = 0;    // handed out to tensors and workspaces now
  size_t peak_bytes = 0;      // largest bytes_in_use since reset_peak_memory()
  size_t bytes_reserved = 0;  // obtained from cudaMalloc (in use + cached + graph pools)
  size_t allocations = 0;     // requests served
  size_t cache_hits = 0;      // requests served from the cache, without cudaMalloc
  size_t device_mallocs = 0;  // cudaMalloc calls
  size_t pool_bytes = 0;      // held by captured CUDA graphs
};
DeviceMemoryStats device_memory_stats(int device);
void reset_peak_memory(int device);
void empty_cache(int device);  // returns cached blocks to the driver

// Page-locked host memory (fast, truly asynchronous copies); null for 0 bytes.
void* pinned_malloc(size_t bytes);
void pinned_free(void* ptr);

// ---- copies ------------------------------------------------------------------
// Synchronous with respect to the host (they wait for current_stream(device)).
void copy_host_to_device(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device);
// Ordered on current_stream(device).
void copy_device_to_device(void* dst, const void* src, size_t bytes, int device);
void memset_device(void* ptr, int value, size_t bytes, int device);
// Queued on `stream` of `device`; `src` must stay valid (and unchanged) until the copy is done.
void copy_host_to_device_async(void* dst, const void* src, size_t bytes, cuda_stream stream, int device);

// ---- streams and events -------------------------------------------------------
// The stream every engine op on `device` launches on: one per device, created
// on first use and owned by the engine (it synchronises with the legacy
// default stream, so code that uses stream 0 stays ordered with the engine),
// unless the calling thread holds a WorkerStream (below).
cuda_stream current_stream(int device);
// Work in several threads at once (cv --jobs): while a WorkerStream lives,
// current_stream(device) in its thread is the engine's worker stream `index`
// of that device, so the thread's kernels, copies, synchronisations and graph
// captures neither wait for nor disturb the other threads'. Worker streams are
// created on first use and kept for the process (cached device blocks stay
// tied to them); index 0 is the default engine stream. Without the CUDA
// backend, or for a CPU device, it does nothing.
class WorkerStream {
 public:
  WorkerStream(int device, int index);
  ~WorkerStream();
  WorkerStream(const WorkerStream&) = delete;
  WorkerStream& operator=(const WorkerStream&) = delete;

 private:
  int device_ = -1;
  cuda_stream previous_ = nullptr;
};
void synchronize(int device);  // waits for current_stream(device)
cuda_stream create_stream(int device);  // an extra stream (e.g. for uploads)
void destroy_stream(cuda_stream stream);
void* event_create(int device);  // an event without timing, for streams of `device`
void event_destroy(void* event);
void event_record(void* event, cuda_stream stream);
void event_synchronize(void* event);
void stream_wait_event(cuda_stream stream, void* event);

// True while the calling thread captures a CUDA graph (engine/cuda_graph.h).
bool graph_capturing();
// Counts graph captures and replays: host-side mirrors of device state (the
// Adam step count) re-read the device when it changes.
uint64_t graph_epoch();

// ---- library switches ---------------------------------------------------------
// TF32 tensor-core arithmetic for cuBLAS and cuDNN float32 products (default off).
void set_allow_tf32(bool allow);
bool allow_tf32();
// cuDNN for convolutions (default on when built with cuDNN; VARSTAR_CUDNN=0 in
// the environment turns it off); the im2col + cuBLAS path is used otherwise.
void set_use_cudnn(bool use);
bool use_cudnn();
bool cudnn_compiled();    // built with cuDNN
std::string cudnn_version();  // e.g. "9.19.0", or why there is none
// Which LSTM kernels run (kernels/cuda/lstm_variants.h): per_step (default),
// persistent or sample_local; VARSTAR_LSTM=per-step|persistent|sample-local in
// the environment (or VARSTAR_LSTM_PERSISTENT=1) sets it. A variant that does
// not fit a shape falls back to per_step. set_use_persistent_lstm(b): b ?
// persistent : per_step.
void set_lstm_kernel(LstmKernel kernel);
LstmKernel lstm_kernel();
void set_use_persistent_lstm(bool use);
bool use_persistent_lstm();
int64_t persistent_lstm_launches();
// Samples per block of the sample-local kernels (0: automatic; 1, 2, 4), and
// how many of them ran (forward and backward), for tests and benchmarks.
void set_sample_local_lstm_samples(int samples);
int64_t sample_local_lstm_launches();
// Convolution calls that cuDNN rejected and im2col ran instead, since start.
int64_t cudnn_fallbacks();
// Whether the cuDNN path times our GEMM convolution path (kernels/cuda/conv.cu)
// beside its own algorithms, per shape and direction, and runs it where faster
// (default on; VARSTAR_CONV_GEMM=0 in the environment: cuDNN's algorithms only).
void set_conv_gemm_candidate(bool on);
bool conv_gemm_candidate();
// Convolution algorithms chosen by timing (default) or by cuDNN's heuristics
// alone, the same on every run (kernels/conv.h); timed searches since start.
void set_conv_timing(bool on);
bool conv_timing();
int64_t conv_timed_searches();
// Our Winograd convolution path (kernels/cuda/conv_winograd.cu): set_conv_winograd
// and conv_winograd, declared in kernels/conv.h.

// ---- testing hooks ---------------------------------------------------------------
// Caps the blocks of every grid-stride launch (0: the default 65535 * 32), so
// that tests make each loop iterate on small tensors.
void set_max_grid_blocks(int64_t blocks);

}  // namespace varstar::cuda
