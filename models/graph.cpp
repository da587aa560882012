// The forward op graph of a model, read from the autograd graph (see graph.h).
#include "models/graph.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/autograd.h"
#include "engine/profiler.h"

namespace varstar::models {

namespace {

constexpr int64_t kFirstBatch = 2, kSecondBatch = 3;
const std::set<std::string> kViewOps = {"reshape", "permute", "select", "slice", "expand"};

// One traced pass: nodes in execution order, with leaves resolved to names.
struct Pass {
  struct Op {
    std::string name;
    Shape shape;
    std::vector<std::pair<bool, int>> inputs;  // (is_leaf, index into ops or leaves)
  };
  std::vector<Op> ops;
  std::vector<std::pair<std::string, Shape>> leaves;  // name, shape
  Shape input_shape;
};

Pass trace_pass(Model& model, int64_t batch) {
  std::map<const TensorImpl*, std::string> param_names;
  const nn::NamedTensors params = model.named_parameters();
  for (const auto& [name, p] : params) param_names[p.impl_ptr().get()] = name;
  const Device device = params.empty() ? Device::cpu() : params.front().second.device();

  Shape shape{batch};
  for (int64_t s : model.sample_shape()) shape.push_back(s);
  Generator gen(1);
  Tensor x = uniform(shape, -1.0, 1.0, gen).to(device);
  x.set_requires_grad(true);
  param_names[x.impl_ptr().get()] = "input";
  const Tensor logits = model.forward(x);
  VARSTAR_CHECK(logits.grad_fn() != nullptr, "graph: the forward pass of {} recorded no ops", model.name());

  // Every node reachable from the logits, in execution order.
  std::vector<Node*> nodes;
  std::set<Node*> seen{logits.grad_fn().get()};
  std::vector<Node*> stack{logits.grad_fn().get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    nodes.push_back(n);
    for (const Edge& e : n->inputs)
      if (e.node && seen.insert(e.node.get()).second) stack.push_back(e.node.get());
  }
  std::sort(nodes.begin(), nodes.end(), [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; });
  std::map<Node*, int> op_index;
  for (size_t i = 0; i < nodes.size(); ++i) op_index[nodes[i]] = static_cast<int>(i);

  Pass pass;
  pass.input_shape = shape;
  std::map<const TensorImpl*, int> leaf_index;
  for (Node* n : nodes) {
    Pass::Op op;
    op.name = n->op;
    op.shape = n->outputs.empty() ? Shape{} : n->outputs[0].shape;
    for (const Edge& e : n->inputs) {
      if (e.node) {
        op.inputs.emplace_back(false, op_index.at(e.node.get()));
      } else if (e.leaf) {
        const TensorImpl* leaf = e.leaf.get();
        auto [it, inserted] = leaf_index.try_emplace(leaf, static_cast<int>(pass.leaves.size()));
        if (inserted) {
          auto name = param_names.find(leaf);
          pass.leaves.emplace_back(name == param_names.end() ? "leaf" : name->second, leaf->shape);
        }
        op.inputs.emplace_back(true, it->second);
      }
    }
    pass.ops.push_back(std::move(op));
  }
  return pass;
}

// "(B,64,359)" from the same tensor's shapes at the two batch sizes.
std::string symbolic_shape(const Shape& a, const Shape& b) {
  std::string out = "(";
  for (size_t d = 0; d < a.size(); ++d) {
    if (d) out += ',';
    if (d >= b.size() || a[d] == b[d]) {
      out += std::to_string(a[d]);
    } else if (a[d] % kFirstBatch == 0 && b[d] % kSecondBatch == 0 && a[d] / kFirstBatch == b[d] / kSecondBatch) {
      const int64_t k = a[d] / kFirstBatch;
      out += k == 1 ? std::string("B") : std::to_string(k) + "B";
    } else {
      out += std::to_string(a[d]) + "?";
    }
  }
  return out + ")";
}

std::string layer_of(const std::string& param) {
  const size_t dot = param.find_last_of('.');
  return dot == std::string::npos ? param : param.substr(0, dot);
}

std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::vector<const GraphNode*> ForwardGraph::ops() const {
  std::vector<const GraphNode*> out;
  for (const GraphNode& n : nodes)
    if (n.kind == GraphNode::Kind::op) out.push_back(&n);
  return out;
}

ForwardGraph trace_forward_graph(Model& model) {
  const bool was_training = model.is_training();
  model.train();
  Pass a, b;
  try {
    a = trace_pass(model, kFirstBatch);
    b = trace_pass(model, kSecondBatch);
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  VARSTAR_CHECK(a.ops.size() == b.ops.size() && a.leaves.size() == b.leaves.size(),
                "graph: {} records a different graph at batch {} and {}", model.name(), kFirstBatch, kSecondBatch);

  ForwardGraph g;
  g.model = model.name();
  g.traced_batch = kFirstBatch;
  g.parameter_count = model.parameter_count();
  // Leaves become nodes where they are first used, so the listing reads top-down.
  std::vector<int> leaf_node(a.leaves.size(), -1), op_node(a.ops.size(), -1);
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const Pass::Op& op = a.ops[i];
    VARSTAR_CHECK(op.name == b.ops[i].name, "graph: op {} is {} at batch {} but {} at batch {}", i, op.name,
                  kFirstBatch, b.ops[i].name, kSecondBatch);
    GraphNode node;
    node.kind = GraphNode::Kind::op;
    node.op = op.name;
    node.example_shape = op.shape;
    node.shape = symbolic_shape(op.shape, b.ops[i].shape);
    for (const auto& [is_leaf, index] : op.inputs) {
      if (!is_leaf) {
        node.inputs.push_back(op_node[index]);
        continue;
      }
      if (leaf_node[index] < 0) {
        GraphNode leaf;
        const auto& [name, shape] = a.leaves[index];
        leaf.kind = name == "input" ? GraphNode::Kind::input : GraphNode::Kind::parameter;
        leaf.op = name == "input" ? "input" : "parameter";
        leaf.name = name;
        leaf.example_shape = shape;
        leaf.shape = symbolic_shape(shape, b.leaves[index].second);
        leaf_node[index] = static_cast<int>(g.nodes.size());
        g.nodes.push_back(std::move(leaf));
      }
      node.inputs.push_back(leaf_node[index]);
      if (g.nodes[leaf_node[index]].kind == GraphNode::Kind::parameter && node.name.empty())
        node.name = layer_of(g.nodes[leaf_node[index]].name);
    }
    if (!kViewOps.count(node.op))
      g.activation_bytes_per_sample += 4.0 * static_cast<double>(shape_numel(op.shape)) / kFirstBatch;
    op_node[i] = static_cast<int>(g.nodes.size());
    g.nodes.push_back(std::move(node));
  }
  return g;
}

std::string format_graph(const ForwardGraph& g) {
  std::string out = fmt::format("{}: op graph of one forward pass in training mode (B = batch size)\n", g.model);
  out += fmt::format("{:>4}  {:<14} {:<8} {:<18} {}\n", "#", "op", "layer", "output", "inputs");
  std::map<int, int> number;  // node index -> listing number (input and ops)
  int next = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const GraphNode& n = g.nodes[i];
    if (n.kind == GraphNode::Kind::parameter) continue;
    number[static_cast<int>(i)] = next;
    std::string inputs;
    for (int in : n.inputs) {
      if (!inputs.empty()) inputs += ", ";
      const GraphNode& src = g.nodes[in];
      inputs += src.kind == GraphNode::Kind::parameter ? src.name + " " + src.shape : fmt::format("#{}", number.at(in));
    }
    out += fmt::format("{:>4}  {:<14} {:<8} {:<18} {}\n", next, n.op, n.kind == GraphNode::Kind::op ? n.name : "",
                       n.shape, inputs);
    ++next;
  }
  out += fmt::format("{} ops; {} parameters ({} as float32); op outputs {} per sample (views not counted)\n",
                     g.ops().size(), g.parameter_count,
                     profiler::format_bytes(4.0 * static_cast<double>(g.parameter_count)),
                     profiler::format_bytes(g.activation_bytes_per_sample));
  return out;
}

std::string graph_to_dot(const ForwardGraph& g) {
  std::string out = fmt::format("digraph \"{}\" {{\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n",
                                dot_escape(g.model));
  out += fmt::format("  label=\"{}: one forward pass (B = batch size)\";\n  labelloc=t;\n", dot_escape(g.model));
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const GraphNode& n = g.nodes[i];
    switch (n.kind) {
      case GraphNode::Kind::input:
        out += fmt::format("  n{} [shape=parallelogram, style=filled, fillcolor=\"#dbeafe\", label=\"input\\n{}\"];\n", i,
                           n.shape);
        break;
      case GraphNode::Kind::parameter:
        out += fmt::format("  n{} [shape=box, style=filled, fillcolor=\"#eeeeee\", fontsize=8, label=\"{}\\n{}\"];\n", i,
                           dot_escape(n.name), n.shape);
        break;
      case GraphNode::Kind::op:
        out += fmt::format("  n{} [shape=ellipse, style=filled, fillcolor=\"{}\", label=\"{}{}\\n{}\"];\n", i,
                           kViewOps.count(n.op) ? "#ffffff" : "#fde68a", dot_escape(n.op),
                           n.name.empty() ? "" : " (" + dot_escape(n.name) + ")", n.shape);
        break;
    }
  }
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int in : g.nodes[i].inputs) out += fmt::format("  n{} -> n{};\n", in, i);
  out += "}\n";
  return out;
}

}  // namespace varstar::models
