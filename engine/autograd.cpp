// The reverse-mode engine: recording nodes and running backward.
#include "engine/autograd.h"

#include <atomic>
#include <queue>
#include <unordered_map>

#include "engine/ops.h"
#include "engine/profiler.h"

namespace varstar {

namespace {
thread_local bool g_grad_enabled = true;
std::atomic<uint64_t> g_sequence{0};
thread_local int64_t g_last_backward_nodes = 0;

Tensor zeros_like_meta(const OutputMeta& m) { return Tensor::zeros(m.shape, m.dtype, m.device); }

void check_gradient(const Tensor& g, const Shape& shape, DType dtype, Device device, const char* op, size_t i) {
  VARSTAR_CHECK(g.shape() == shape && g.dtype() == dtype && g.device() == device,
                "internal: backward of '{}' returned a gradient {} for input {} of {}{} {}", op, g.str(), i,
                dtype_name(dtype), shape_str(shape), device.str());
}

// True when `g` is the only handle on its memory: no other Tensor shares its
// TensorImpl, no other TensorImpl (view, saved tensor, caller's tensor) its
// Storage, and it covers that Storage exactly (contiguous, all its bytes, so
// from offset 0).
bool sole_owner(const Tensor& g) {
  return g.impl_ptr().use_count() == 1 && g.impl().storage.use_count() == 1 && g.is_contiguous() &&
         g.nbytes() == g.impl().storage->bytes();
}

// Adds `g` to leaf.grad. The first gradient a leaf receives becomes its grad
// without a copy when `g` is the sole owner of its memory (the caller moved
// in the backward pass's last handle); otherwise it is cloned, since g may
// alias another gradient, a saved tensor or the caller's seed.
void accumulate_leaf(TensorImpl& leaf, Tensor g) {
  VARSTAR_PROFILE_OP("accumulate_grad", profiler::Direction::backward, g);
  if (!leaf.grad) {
    leaf.grad = (sole_owner(g) ? g : g.clone()).detach().impl_ptr();  // a fresh impl either way
    return;
  }
  Tensor acc(leaf.grad);
  acc.copy_(add(acc, g));
}
}  // namespace

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record_op(const char* op, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               BackwardFn backward) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->sequence_nr = g_sequence.fetch_add(1);
  node->backward = std::move(backward);
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined() && t.requires_grad()) {
      if (t.is_leaf()) {
        e.leaf = t.impl_ptr();
      } else {
        e.node = t.grad_fn();
        e.output_nr = t.impl().output_nr;
      }
    }
    node->inputs.push_back(std::move(e));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    TensorImpl& out = outputs[i].impl();
    node->outputs.push_back({out.shape, out.dtype, outputs[i].device()});
    out.grad_fn = node;
    out.output_nr = static_cast<int>(i);
    out.requires_grad = true;
  }
}

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  VARSTAR_CHECK(grad.shape() == root.shape(), "backward: gradient of shape {} for a tensor of shape {}",
                shape_str(grad.shape()), shape_str(root.shape()));
  NoGradGuard no_grad;
  g_last_backward_nodes = 0;
  if (root.is_leaf()) {
    accumulate_leaf(root.impl(), grad);  // a copy of the caller's handle: never taken over
    return;
  }

  // Count, for every reachable node, how many edges lead into it.
  std::unordered_map<Node*, int> dependencies;
  std::vector<std::shared_ptr<Node>> alive{root.grad_fn()};  // released nodes drop their edges
  {
    std::vector<Node*> stack{root.grad_fn().get()};
    dependencies[root.grad_fn().get()] = 0;
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      VARSTAR_CHECK(!n->released,
                    "backward through op '{}' whose graph was already freed by an earlier backward(); "
                    "pass retain_graph=true to the first call", n->op);
      for (const Edge& e : n->inputs) {
        if (!e.node) continue;
        auto [it, inserted] = dependencies.try_emplace(e.node.get(), 0);
        ++it->second;
        if (inserted) {
          stack.push_back(e.node.get());
          alive.push_back(e.node);
        }
      }
    }
  }

  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  buffers[root.grad_fn().get()].resize(root.grad_fn()->outputs.size());
  buffers[root.grad_fn().get()][root.impl().output_nr] = grad;

  auto later_first = [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later_first)> ready(later_first);
  ready.push(root.grad_fn().get());

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    ++g_last_backward_nodes;
    std::vector<Tensor> grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->outputs.size());
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined()) grads[i] = zeros_like_meta(node->outputs[i]);

    std::vector<Tensor> input_grads;
    {
      VARSTAR_PROFILE_OP(node->op, profiler::Direction::backward, grads);
      input_grads = node->backward(grads);
    }
    grads.clear();  // a gradient passed on unchanged or as a view is now held by input_grads alone
    VARSTAR_CHECK(input_grads.size() == node->inputs.size(),
                  "internal: backward of '{}' returned {} gradients for {} inputs", node->op, input_grads.size(),
                  node->inputs.size());

    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Edge& e = node->inputs[i];
      if (!e.active()) continue;
      const Tensor& g = input_grads[i];
      if (e.leaf) {
        if (g.defined()) {
          check_gradient(g, e.leaf->shape, e.leaf->dtype, e.leaf->storage->device(), node->op, i);
          accumulate_leaf(*e.leaf, std::move(input_grads[i]));  // last use: its handle count is now exact
        }
        continue;
      }
      Node* producer = e.node.get();
      auto& slot = buffers[producer];
      slot.resize(producer->outputs.size());
      if (g.defined()) {
        const OutputMeta& m = producer->outputs[e.output_nr];
        check_gradient(g, m.shape, m.dtype, m.device, node->op, i);
        Tensor& acc = slot[e.output_nr];
        if (acc.defined()) {
          VARSTAR_PROFILE_OP("accumulate_grad", profiler::Direction::backward, g);
          acc = add(acc, g);
        } else {
          acc = g;
        }
      }
      if (--dependencies[producer] == 0) ready.push(producer);
    }
    if (!retain_graph) {
      node->backward = nullptr;
      node->inputs.clear();
      node->released = true;
    }
  }
}

int64_t last_backward_node_count() { return g_last_backward_nodes; }

}  // namespace varstar
