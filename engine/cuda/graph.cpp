// CudaGraph (engine/cuda_graph.h): stream capture on the engine's stream into
// a private allocator pool, instantiation, replay; the Philox shifts of
// captured dropout.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>

#include "engine/cuda_backend.h"
#include "engine/cuda_graph.h"
#include "engine/error.h"
#include "engine/random.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.cuh"
#include "kernels/dropout.h"

namespace varstar {

namespace {
std::atomic<uint64_t> g_graph_epoch{1};

// A generator that captured dropout draws from. Its kernels add the device
// word `shift` to the offsets they had at capture; a replay sets it to
// (generator's offset now - start) and then advances the generator by
// per_replay, so each replay draws the numbers an eager step would.
struct PhiloxUse {
  Generator* generator;
  uint64_t seed;
  uint64_t start;           // the generator's offset when the capture began using it
  uint64_t per_replay = 0;  // what one step reserves
};

struct PhiloxCapture {
  Tensor shifts;  // cuda::kMaxPhiloxShifts device words (uint64, as int32 pairs)
  std::vector<PhiloxUse> uses;
  uint64_t* words() { return reinterpret_cast<uint64_t*>(shifts.data<int32_t>()); }
};

thread_local PhiloxCapture* t_capturing_philox = nullptr;

// After the capture's body: what a step reserves, and the generators put back
// where they were (the capture ran nothing).
void rewind_generators(PhiloxCapture& philox) {
  for (PhiloxUse& use : philox.uses) {
    use.per_replay = use.generator->offset() - use.start;
    use.generator->set_state(use.seed, use.start);
  }
}
}  // namespace

const uint64_t* cuda::captured_philox_shift(Generator& generator) {
  PhiloxCapture* philox = t_capturing_philox;
  VARSTAR_CHECK(philox != nullptr, "captured_philox_shift: this thread is not capturing a CUDA graph");
  auto& uses = philox->uses;
  auto it = std::find_if(uses.begin(), uses.end(), [&](const PhiloxUse& u) { return u.generator == &generator; });
  if (it == uses.end()) {
    VARSTAR_CHECK(uses.size() < static_cast<size_t>(kMaxPhiloxShifts),
                  "a captured CUDA graph may draw dropout masks from at most {} generators", kMaxPhiloxShifts);
    uses.push_back({&generator, generator.seed(), generator.offset()});
    it = uses.end() - 1;
  }
  VARSTAR_CHECK(it->seed == generator.seed(), "a dropout generator was reseeded during a CUDA graph capture");
  return philox->words() + (it - uses.begin());
}

uint64_t cuda::graph_epoch() { return g_graph_epoch.load(); }

struct CudaGraph::Impl {
  Device device;
  cudaStream_t stream = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::shared_ptr<cuda::MemPool> pool;
  size_t nodes = 0;
  PhiloxCapture philox;
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
  // Outside the graph's pool: the words outlive the capture and are written between replays.
  impl_->philox.shifts = Tensor::empty({2 * cuda::kMaxPhiloxShifts}, DType::i32, impl_->device);
  impl_->philox.uses.clear();  // from a failed capture before; replay() needs a captured graph anyway
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
      t_capturing_philox = &impl_->philox;
      body();
      // A reseed after the body's last dropout would be undone by the rewind below.
      for (const PhiloxUse& use : impl_->philox.uses)
        VARSTAR_CHECK(use.generator->seed() == use.seed,
                      "a dropout generator was reseeded during a CUDA graph capture");
      t_capturing_philox = nullptr;
      rewind_generators(impl_->philox);
    } catch (...) {
      t_capturing_philox = nullptr;
      rewind_generators(impl_->philox);
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
  size_t nodes = 0;
  cudaGraphExec_t exec = nullptr;
  cudaError_t status = end;
  if (status == cudaSuccess) status = cudaGraphGetNodes(graph, nullptr, &nodes);
  if (status == cudaSuccess) {
    cuda::detail::DeviceWideCall exclusive;
    status = cudaGraphInstantiate(&exec, graph, 0);
  }
  if (status != cudaSuccess) {  // leaves no graph behind
    cudaGetLastError();
    if (graph != nullptr) cudaGraphDestroy(graph);
    allocator.retire_pool(pool, impl_->stream);
    if (end != cudaSuccess)
      throw CudaError(fmt::format("CUDA graph capture failed: {} ({}); something in the step synchronised, used "
                                  "another stream or the legacy default stream",
                                  cudaGetErrorName(end), cudaGetErrorString(end)));
    VARSTAR_CUDA_CHECK(status);
  }
  impl_->graph = graph;
  impl_->pool = pool;
  impl_->nodes = nodes;
  impl_->exec = exec;
}

void CudaGraph::replay() {
  VARSTAR_CHECK(captured(), "CudaGraph::replay: nothing captured yet");
  VARSTAR_CUDA_CHECK(cudaSetDevice(impl_->device.index));
  PhiloxCapture& philox = impl_->philox;
  if (!philox.uses.empty()) {
    cuda::PhiloxShifts shifts;
    shifts.count = static_cast<int>(philox.uses.size());
    for (size_t i = 0; i < philox.uses.size(); ++i) {
      const PhiloxUse& use = philox.uses[i];
      const Generator& g = *use.generator;
      VARSTAR_CHECK(g.seed() == use.seed,
                    "CudaGraph::replay: a generator the captured dropout draws from was reseeded ({} -> {}) since "
                    "the capture; capture the step again",
                    use.seed, g.seed());
      shifts.value[i] = g.offset() - use.start;  // modulo 2^64, as the kernels add it
      VARSTAR_CHECK(shifts.value[i] % 4 == 0,
                    "CudaGraph::replay: a dropout generator moved to offset {} since the capture at {}; "
                    "the captured kernels need it to move by multiples of 4 (Generator::reserve does)",
                    g.offset(), use.start);
    }
    cuda::set_philox_shifts(philox.words(), shifts, impl_->stream);
  }
  VARSTAR_CUDA_CHECK(cudaGraphLaunch(impl_->exec, impl_->stream));
  for (const PhiloxUse& use : philox.uses) use.generator->set_state(use.seed, use.generator->offset() + use.per_replay);
  ++g_graph_epoch;
}

}  // namespace varstar
