// The forward-graph dump (`varstar models --graph`) of each thesis network
// lists the layer output shapes of THESIS.md (Tables 2 and 3, and the scripts'
// 2D-CNN), worked out by hand from the layer definitions there.
#include <doctest/doctest.h>

#include <set>

#include "models/graph.h"

namespace {

using Layers = std::vector<std::pair<std::string, std::string>>;  // (op, output shape)

// The ops that change shape or carry weights; activations and dropout keep the shape.
Layers layer_ops(const varstar::models::ForwardGraph& g) {
  static const std::set<std::string> kept = {"conv1d", "conv2d", "maxpool1d", "maxpool2d", "lstm", "linear", "reshape"};
  Layers out;
  for (const auto* n : g.ops())
    if (kept.count(n->op)) out.emplace_back(n->op, n->shape);
  return out;
}

varstar::models::ForwardGraph graph_of(const std::string& name) {
  varstar::models::ModelConfig config;  // 5 classes
  auto model = varstar::models::make_model(name, config);
  return varstar::models::trace_forward_graph(*model);
}

void check_text_and_dot(const varstar::models::ForwardGraph& g, const Layers& expected) {
  const std::string text = varstar::models::format_graph(g);
  for (const auto& [op, shape] : expected) {
    CAPTURE(shape);
    CHECK(text.find(shape) != std::string::npos);
  }
  const std::string dot = varstar::models::graph_to_dot(g);
  CHECK(dot.rfind("digraph", 0) == 0);
  CHECK(dot.back() == '\n');
  CHECK(dot.find("->") != std::string::npos);
  // One node statement per graph node, and every edge between declared nodes.
  for (size_t i = 0; i < g.nodes.size(); ++i) CHECK(dot.find("  n" + std::to_string(i) + " [") != std::string::npos);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int in : g.nodes[i].inputs) {
      CHECK(in >= 0);
      CHECK(static_cast<size_t>(in) < i);  // producers come first
    }
}

}  // namespace

TEST_CASE("graph: cnn-lstm (Table 2) on 359-point curves") {
  // Conv1D k3 p1 keeps 359; MaxPool 2 floors 359 -> 179 -> 89; the LSTMs see
  // (B, 89, 256) after the permute; the FC head is 1024, 512, classes.
  const Layers expected = {{"conv1d", "(B,64,359)"}, {"conv1d", "(B,128,359)"}, {"maxpool1d", "(B,128,179)"},
                           {"conv1d", "(B,256,179)"}, {"conv1d", "(B,256,179)"}, {"maxpool1d", "(B,256,89)"},
                           {"lstm", "(B,89,64)"},     {"lstm", "(B,89,128)"},   {"linear", "(B,1024)"},
                           {"linear", "(B,512)"},     {"linear", "(B,5)"}};
  const auto g = graph_of("cnn-lstm");
  CHECK(layer_ops(g) == expected);
  CHECK(g.nodes.front().kind == varstar::models::GraphNode::Kind::input);
  CHECK(g.nodes.front().shape == "(B,1,359)");
  check_text_and_dot(g, expected);
}

TEST_CASE("graph: cnn2d (Table 3) on 1x24x24 images, same padding") {
  // 3x3 and 5x5 convolutions with same padding keep 24x24; two 2x2 poolings
  // give 12x12 and 6x6; flatten 256 * 6 * 6 = 9216.
  const Layers expected = {{"conv2d", "(B,64,24,24)"},    {"conv2d", "(B,128,24,24)"}, {"maxpool2d", "(B,128,12,12)"},
                           {"conv2d", "(B,256,12,12)"},   {"conv2d", "(B,256,12,12)"}, {"maxpool2d", "(B,256,6,6)"},
                           {"reshape", "(B,9216)"},       {"linear", "(B,1024)"},      {"linear", "(B,512)"},
                           {"linear", "(B,5)"}};
  const auto g = graph_of("cnn2d");
  CHECK(layer_ops(g) == expected);
  check_text_and_dot(g, expected);
}

TEST_CASE("graph: cnn2d-scripts on 3x90x53 images") {
  // Conv 3x3 p1 keeps 90x53; MaxPool 2 floors to 45x26; two valid 5x5
  // convolutions give 41x22 and 37x18; flatten 256 * 37 * 18 = 170496 (THESIS.md).
  const Layers expected = {{"conv2d", "(B,64,90,53)"},  {"maxpool2d", "(B,64,45,26)"}, {"conv2d", "(B,128,41,22)"},
                           {"conv2d", "(B,256,37,18)"}, {"reshape", "(B,170496)"},    {"linear", "(B,512)"},
                           {"linear", "(B,5)"}};
  const auto g = graph_of("cnn2d-scripts");
  CHECK(layer_ops(g) == expected);
  int dropouts = 0;
  for (const auto* n : g.ops()) dropouts += n->op == "dropout";
  CHECK(dropouts == 2);  // traced in training mode
  check_text_and_dot(g, expected);
}
