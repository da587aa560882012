// Stand-ins for the CUDA entry points in a build without the CUDA backend:
// no devices, and a clear error if device memory is asked for anyway.
#ifndef VARSTAR_HAS_CUDA
#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/cuda/conv_winograd.h"

namespace varstar::cuda {

namespace {
[[noreturn]] void no_backend() {
  throw Error("this varstar was built without the CUDA backend (configure with -DVARSTAR_CUDA=ON)");
}
}  // namespace

int device_count() { return 0; }
std::string unavailable_reason() { return "this varstar was built without the CUDA backend"; }
std::string device_name(int) { no_backend(); }
size_t max_shared_memory_per_block(int) { no_backend(); }
void device_memory_info(int, size_t*, size_t*) { no_backend(); }
void* device_malloc(size_t, int) { no_backend(); }
void device_free(void*, int) {}
void record_stream(void*, cuda_stream, int) {}
DeviceMemoryStats device_memory_stats(int) { return {}; }
void reset_peak_memory(int) {}
void empty_cache(int) {}
void* pinned_malloc(size_t) { no_backend(); }
void pinned_free(void*) {}
void copy_host_to_device(void*, const void*, size_t, int) { no_backend(); }
void copy_device_to_host(void*, const void*, size_t, int) { no_backend(); }
void copy_device_to_device(void*, const void*, size_t, int) { no_backend(); }
void memset_device(void*, int, size_t, int) { no_backend(); }
void copy_host_to_device_async(void*, const void*, size_t, cuda_stream, int) { no_backend(); }
cuda_stream current_stream(int) { return nullptr; }
WorkerStream::WorkerStream(int, int) {}
WorkerStream::~WorkerStream() = default;
void synchronize(int) {}
cuda_stream create_stream(int) { no_backend(); }
void destroy_stream(cuda_stream) {}
void* event_create(int) { no_backend(); }
void event_destroy(void*) {}
void event_record(void*, cuda_stream) { no_backend(); }
void event_synchronize(void*) {}
void stream_wait_event(cuda_stream, void*) { no_backend(); }
bool graph_capturing() { return false; }
uint64_t graph_epoch() { return 0; }
void set_allow_tf32(bool) {}
bool allow_tf32() { return false; }
void set_use_cudnn(bool) {}
bool use_cudnn() { return false; }
bool cudnn_compiled() { return false; }
std::string cudnn_version() { return "not built with CUDA"; }
int64_t cudnn_fallbacks() { return 0; }
void set_conv_gemm_candidate(bool) {}
bool conv_gemm_candidate() { return false; }
void set_conv_timing(bool) {}
bool conv_timing() { return false; }
int64_t conv_timed_searches() { return 0; }
void set_conv_winograd(WinogradPolicy) {}
WinogradPolicy conv_winograd() { return WinogradPolicy::off; }
void set_lstm_kernel(LstmKernel) {}
LstmKernel lstm_kernel() { return LstmKernel::per_step; }
void set_use_persistent_lstm(bool) {}
bool use_persistent_lstm() { return false; }
int64_t persistent_lstm_launches() { return 0; }
void set_sample_local_lstm_samples(int) {}
int64_t sample_local_lstm_launches() { return 0; }
void set_max_grid_blocks(int64_t) {}
void set_winograd_chunk_floats(int64_t) {}

}  // namespace varstar::cuda
#endif

#ifndef VARSTAR_HAS_CUDA
#include "engine/cuda_graph.h"

namespace varstar {
struct CudaGraph::Impl {};
CudaGraph::CudaGraph(Device) { throw Error("CUDA graphs need the CUDA backend (configure with -DVARSTAR_CUDA=ON)"); }
CudaGraph::~CudaGraph() = default;
void CudaGraph::capture(const std::function<void()>&) {}
void CudaGraph::replay() {}
bool CudaGraph::captured() const { return false; }
const uint64_t* cuda::captured_philox_shift(Generator&) {
  throw Error("CUDA graphs need the CUDA backend (configure with -DVARSTAR_CUDA=ON)");
}
size_t CudaGraph::node_count() const { return 0; }
}  // namespace varstar
#endif
