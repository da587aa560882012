#pragma once
// Whole-step CUDA graphs: a training step on fixed-shape device tensors
// (forward, backward, optimizer) is captured once into a CUDA graph and then
// replayed, so batch-32 training is not bound by the launch overhead of a few
// hundred small kernels.
//
// What a captured step may do: queue work on the engine's stream only (every
// engine op does). It may not copy between host and device, read a result on
// the host (item(), to_vector()) or synchronise; these throw a clear error
// while capturing. Host-side state is frozen at capture: the shapes, which
// tensors are used, and the optimizer's hyper-parameters except Adam's
// learning rate, which lives on the device like its step count (a replay
// uses the rate set_lr set last; the count advances with each replay).
// Inputs must be the same device tensors at every replay: copy each new batch
// into them (Tensor::copy_ or a BatchUploader) before run().
//
// Dropout may be captured: its kernels add a device word to the Philox
// offsets they were captured with, and each replay sets that word from the
// generator's offset at that moment and then advances the generator as an
// eager step would. So replays draw new masks, the same ones an eager run
// draws, and eager steps in between stay in step. A generator used by
// captured dropout must outlive the graph and keep its seed (a replay after
// set_state with another seed throws).
//
// Memory: allocations made during the capture come from a private pool that
// lives as long as the graph, so replays find the same addresses and nobody
// else is handed them (kernels/cuda/allocator.h).
#include <functional>
#include <memory>

#include "engine/tensor.h"

namespace varstar {

class Generator;
namespace cuda {
// While the calling thread captures a graph: the device word that captured
// dropout adds to its Philox offsets from `generator` (registered with the
// capture on first use). Throws when the thread is not capturing.
const uint64_t* captured_philox_shift(Generator& generator);
}  // namespace cuda

// One captured CUDA graph on the engine's stream of a device.
class CudaGraph {
 public:
  explicit CudaGraph(Device device);
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  // Records everything `body` queues on the engine's stream; nothing runs.
  // Throws (and leaves no graph) if the body breaks a capture rule.
  void capture(const std::function<void()>& body);
  // Queues one run of the graph on the engine's stream (asynchronous).
  void replay();
  bool captured() const;
  // Kernel, memcpy and other nodes in the graph (0 before capture).
  size_t node_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A training step run eagerly for `warmup_steps` calls (at least one when it
// captures: the cuDNN algorithm searches, cuBLAS handles and allocator caches
// settle, and Adam makes its device state), captured on the next call and
// replayed from then on. On the CPU, or with graphs disabled, every call runs
// `step` eagerly. `step` returns the loss tensor.
class GraphedStep {
 public:
  GraphedStep(Device device, std::function<Tensor()> step, int warmup_steps = 2, bool use_graph = true);
  // Performs one step; returns the loss (a device tensor that the next run overwrites).
  Tensor run();
  bool captured() const { return graph_ && graph_->captured(); }
  // True when the next run() is the capture (and so, if it throws, nothing ran).
  bool captures_next() const { return use_graph_ && !graph_ && runs_ >= warmup_steps_; }
  // The eager calls before the capture (the clamped warmup_steps).
  int warmup_steps() const { return warmup_steps_; }
  size_t graph_nodes() const { return graph_ ? graph_->node_count() : 0; }

 private:
  Device device_;
  std::function<Tensor()> step_;
  int warmup_steps_;
  bool use_graph_;
  int runs_ = 0;
  std::unique_ptr<CudaGraph> graph_;
  Tensor loss_;
};

}  // namespace varstar
