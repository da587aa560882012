#pragma once
// Reverse-mode automatic differentiation over a recorded graph.
//
// Every op front end that sees an input requiring grad (and grad mode on)
// records a Node: the op's name, one Edge per input (to the node that made it,
// or to the leaf tensor itself), and a backward function mapping the output
// gradients to input gradients. Tensor::backward() walks the graph in reverse
// creation order, accumulates leaf gradients into Tensor::grad(), and frees each
// node's saved tensors as soon as it has run (unless retain_graph).
#include <functional>
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace varstar {

struct Edge {
  std::shared_ptr<Node> node;         // producer of the input, or null for a leaf
  int output_nr = 0;
  std::shared_ptr<TensorImpl> leaf;   // the input itself when it is a leaf requiring grad
  bool active() const { return node != nullptr || leaf != nullptr; }
};

struct OutputMeta {
  Shape shape;
  DType dtype;
  Device device;
};

// Maps the gradients of the outputs to the gradients of the inputs. Undefined
// input gradients mean "no gradient" (zero). Runs with grad mode off.
using BackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& grad_outputs)>;

struct Node {
  const char* op = "";
  std::vector<Edge> inputs;
  std::vector<OutputMeta> outputs;
  BackwardFn backward;
  uint64_t sequence_nr = 0;  // creation order: later nodes run first
  bool released = false;
};

// Grad mode: on by default; NoGradGuard turns it off for a scope (inference,
// optimizer updates, backward functions).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any defined input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Records `op` with `inputs` (undefined entries allowed) producing `outputs`;
// marks the outputs as requiring grad. No-op when no input requires grad.
void record_op(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               BackwardFn backward);

// Runs reverse mode from `root` seeded with `grad` (same shape as root).
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

// Number of nodes run by the last backward pass (for tests and the profiler).
int64_t last_backward_node_count();

}  // namespace varstar
