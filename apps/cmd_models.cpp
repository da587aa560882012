// `varstar models`: the networks varstar can train, with parameter counts and
// input shapes; `--graph NAME` prints one network's op graph for a forward
// pass with every tensor's shape, and `--dot FILE` writes it for Graphviz.
#include <fstream>

#include "apps/command.h"
#include "models/flops.h"
#include "models/graph.h"

namespace {

struct ModelsArgs {
  std::string graph;
  std::string dot;
  int64_t classes = 5;
};

void list_models() {
  using namespace varstar;
  fmt::print("{:<14} {:>12} {:>14} {:>14}  {}\n", "name", "parameters", "input", "GFLOP/sample", "description");
  for (const auto& info : models::model_catalog()) {
    models::ModelConfig config;
    config.num_classes = 5;
    auto m = models::make_model(info.name, config);
    fmt::print("{:<14} {:>12} {:>14} {:>14.3f}  {}\n", info.name, m->parameter_count(), shape_str(m->sample_shape()),
               models::forward_flops(*m, 1) / 1e9, info.description);
  }
  fmt::print("(parameter counts for 5 classes; GFLOP of one forward pass; `--graph NAME` shows a network's ops)\n");
}

void run_models(const ModelsArgs& a) {
  using namespace varstar;
  if (a.graph.empty()) {
    VARSTAR_CHECK(a.dot.empty(), "models: --dot needs --graph NAME");
    return list_models();
  }
  models::ModelConfig config;
  config.num_classes = a.classes;
  auto model = models::make_model(a.graph, config);
  const models::ForwardGraph graph = models::trace_forward_graph(*model);
  fmt::print("{}", models::format_graph(graph));
  if (!a.dot.empty()) {
    std::ofstream file(a.dot);
    VARSTAR_CHECK(file.good(), "models: cannot write '{}'", a.dot);
    file << models::graph_to_dot(graph);
    VARSTAR_CHECK(file.good(), "models: error while writing '{}'", a.dot);
    fmt::print("Graphviz DOT: {} (render: dot -Tsvg {} -o graph.svg)\n", a.dot, a.dot);
  }
}

varstar::app::RegisterCommand register_models{{"models", "List the networks; --graph NAME prints one's op graph with tensor shapes", 80,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<ModelsArgs>();
                                     app.add_option("--graph", a->graph,
                                                    "Print this model's op graph for one forward pass, every "
                                                    "tensor's shape (B = batch size)");
                                     app.add_option("--dot", a->dot, "With --graph: also write it as Graphviz DOT");
                                     app.add_option("--classes", a->classes, "Number of classes for --graph")
                                         ->capture_default_str()->check(CLI::Range(2, 1000));
                                     app.callback([a] { run_models(*a); });
                                   }}};

}  // namespace
