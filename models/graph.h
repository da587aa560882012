#pragma once
// The op graph of one forward pass of a model, read from the autograd graph
// that the pass records (`varstar models --graph NAME [--dot FILE]`).
//
// The input is made to require grad so that it appears as a leaf; parameters
// are the other leaves and are named from model.named_parameters(). Ops come
// in the order they ran (Node::sequence_nr). The pass runs at two batch sizes
// so that the batch dimension can be printed as "B": shapes read "(B,64,359)".
#include <string>
#include <vector>

#include "models/models.h"

namespace varstar::models {

struct GraphNode {
  enum class Kind { input, parameter, op };
  Kind kind = Kind::op;
  std::string op;          // op name ("conv1d"), "input", or "parameter"
  std::string name;        // parameter name ("conv1.weight"); for ops the layer ("conv1") when it has parameters
  std::string shape;       // output shape with the batch dimension as B: "(B,64,359)"
  Shape example_shape;     // the same at the first traced batch size
  std::vector<int> inputs; // producers (indices into ForwardGraph::nodes); empty for leaves
};

struct ForwardGraph {
  std::string model;
  int64_t traced_batch = 0;     // batch size of example_shape
  std::vector<GraphNode> nodes; // leaves first where they are first used, then ops in execution order
  int64_t parameter_count = 0;
  double activation_bytes_per_sample = 0;  // float32 outputs of every op, per sample
  // The op nodes only, in execution order.
  std::vector<const GraphNode*> ops() const;
};

// Runs one forward pass in training mode (dropout shows) at batch sizes 2 and 3
// and reads the graph back from the logits. The model's mode is restored.
ForwardGraph trace_forward_graph(Model& model);

// A numbered listing: op, layer, output shape, inputs.
std::string format_graph(const ForwardGraph& graph);
// Graphviz DOT: ops as ellipses labelled with their output shape, parameters as
// boxes, edges in data-flow direction. Render: dot -Tsvg graph.dot -o graph.svg
std::string graph_to_dot(const ForwardGraph& graph);

}  // namespace varstar::models
