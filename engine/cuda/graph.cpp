// CudaGraph (engine/cuda_graph.h): stream capture on the engine's stream into
// a private allocator pool, instantiation, replay.
#include <cuda_runtime.h>

#include <atomic>

#include "engine/cuda_backend.h"
#include "engine/cuda_graph.h"
#include "engine/error.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.cuh"

namespace varstar {

namespace {
std::atomic<uint64_t> g_graph_epoch{1};
}  // namespace

uint64_t cuda::graph_epoch() { return g_graph_epoch.load(); }

struct CudaGraph::Impl {
  Device device;
  cudaStream_t stream = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::shared_ptr<cuda::MemPool> pool;
  size_t nodes = 0;
};

CudaGraph::CudaGraph(Device device) : impl_(std::make_unique<Impl>()) {
  VARSTAR_CHECK(device.is_cuda(), "CudaGraph needs a CUDA device, got {}", device.str());
  impl_->device = device;
  impl_->stream = cuda::current_stream(device.index);
}

CudaGraph::~CudaGraph() {
  if (impl_->exec != nullptr || impl_->graph != nullptr) {
    cuda::detail::DeviceWideCall exclusive;
    if (impl_->exec != nullptr) cudaGraphExecDestroy(impl_->exec);
    if (impl_->graph != nullptr) cudaGraphDestroy(impl_->graph);
  }
  if (impl_->pool) cuda::CachingAllocator::get(impl_->device.index).retire_pool(impl_->pool, impl_->stream);
}

bool CudaGraph::captured() const { return impl_->exec != nullptr; }
size_t CudaGraph::node_count() const { return impl_->nodes; }

void CudaGraph::capture(const std::function<void()>& body) {
  VARSTAR_CHECK(!captured(), "CudaGraph::capture: this graph was already captured");
  VARSTAR_CHECK(!cuda::graph_capturing(), "CudaGraph::capture: this thread is already capturing a graph");
  const int dev = impl_->device.index;
  VARSTAR_CUDA_CHECK(cudaSetDevice(dev));
  cuda::synchronize(dev);  // earlier work done: nothing of it can end up in the graph
  auto& allocator = cuda::CachingAllocator::get(dev);
  auto pool = std::make_shared<cuda::MemPool>();
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaSuccess;
  {
    // Other threads may capture on their own streams meanwhile; nothing that
    // synchronises the whole device runs until this capture ends.
    cuda::detail::CaptureGateShared gate;
    allocator.begin_pool(pool, impl_->stream);
    cuda::detail::note_graph_capture(true);
    // Relaxed: the allocator may cudaMalloc fresh pool blocks during the capture.
    const cudaError_t begin = cudaStreamBeginCapture(impl_->stream, cudaStreamCaptureModeRelaxed);
    if (begin != cudaSuccess) {
      cuda::detail::note_graph_capture(false);
      allocator.end_pool(impl_->stream);
      allocator.retire_pool(pool, impl_->stream);
      VARSTAR_CUDA_CHECK(begin);
    }
    try {
      body();
    } catch (...) {
      cudaStreamEndCapture(impl_->stream, &graph);
      cudaGetLastError();
      if (graph != nullptr) cudaGraphDestroy(graph);
      cuda::detail::note_graph_capture(false);
      allocator.end_pool(impl_->stream);
      allocator.retire_pool(pool, impl_->stream);
      ++g_graph_epoch;
      throw;
    }
    end = cudaStreamEndCapture(impl_->stream, &graph);
    cuda::detail::note_graph_capture(false);
    allocator.end_pool(impl_->stream);
    ++g_graph_epoch;
  }
  if (end != cudaSuccess) {
    cudaGetLastError();
    if (graph != nullptr) cudaGraphDestroy(graph);
    allocator.retire_pool(pool, impl_->stream);
    throw CudaError(fmt::format("CUDA graph capture failed: {} ({}); something in the step synchronised, used "
                                "another stream or the legacy default stream",
                                cudaGetErrorName(end), cudaGetErrorString(end)));
  }
  impl_->graph = graph;
  impl_->pool = pool;
  VARSTAR_CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &impl_->nodes));
  cuda::detail::DeviceWideCall exclusive;
  VARSTAR_CUDA_CHECK(cudaGraphInstantiate(&impl_->exec, graph, 0));
}

void CudaGraph::replay() {
  VARSTAR_CHECK(captured(), "CudaGraph::replay: nothing captured yet");
  VARSTAR_CUDA_CHECK(cudaSetDevice(impl_->device.index));
  VARSTAR_CUDA_CHECK(cudaGraphLaunch(impl_->exec, impl_->stream));
  ++g_graph_epoch;
}

}  // namespace varstar
