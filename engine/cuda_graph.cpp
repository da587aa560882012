// GraphedStep (engine/cuda_graph.h): eager warm-up, one capture, replays.
#include "engine/cuda_graph.h"

#include <algorithm>

namespace varstar {

GraphedStep::GraphedStep(Device device, std::function<Tensor()> step, int warmup_steps, bool use_graph)
    : device_(device),
      step_(std::move(step)),
      use_graph_(use_graph && device.is_cuda()) {
  warmup_steps_ = use_graph_ ? std::max(warmup_steps, 1) : warmup_steps;
}

Tensor GraphedStep::run() {
  if (!use_graph_ || runs_ < warmup_steps_) {
    ++runs_;
    loss_ = step_();
    return loss_;
  }
  if (!graph_) {
    loss_ = Tensor();  // the warm-up's loss is not needed any more
    auto graph = std::make_unique<CudaGraph>(device_);
    Tensor loss;
    graph->capture([&] { loss = step_(); });
    loss_ = loss;  // lives in the graph's pool; each replay rewrites it
    graph_ = std::move(graph);
  }
  ++runs_;
  graph_->replay();  // the capture ran nothing: this performs the step
  return loss_;
}

}  // namespace varstar
