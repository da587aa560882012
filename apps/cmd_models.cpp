// `varstar models`: the networks varstar can train, with parameter counts and input shapes.
#include "apps/command.h"
#include "models/flops.h"

namespace {

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
  fmt::print("(parameter counts for 5 classes; GFLOP of one forward pass)\n");
}

varstar::app::RegisterCommand reg{{"models", "List the networks with parameter counts and input shapes", 80,
                                   [](CLI::App& app) { app.callback(list_models); }}};

}  // namespace
