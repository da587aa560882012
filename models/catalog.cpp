// The model catalog: names, descriptions, construction.
#include <algorithm>
#include <cmath>

#include "models/cnn2d.h"
#include "models/cnn_lstm.h"

namespace varstar::models {

const std::vector<ModelInfo>& model_catalog() {
  static const std::vector<ModelInfo> catalog = {
      {"cnn-lstm", "CNN-LSTM of the thesis (Table 2) on harmonic-synthesised light curves, input (1, 359)"},
      {"cnn2d", "2D-CNN of the thesis (Table 3) on dm-dt images, same padding, input (1, 24, 24)"},
      {"cnn2d-scripts", "2D-CNN of the thesis scripts on 3-channel 90x53 dm-dt images, dropout 0.1"},
  };
  return catalog;
}

namespace {
[[noreturn]] void throw_unknown_model(const std::string& name) {
  std::string known;
  for (const auto& m : model_catalog()) known += (known.empty() ? "" : ", ") + m.name;
  throw Error(fmt::format("unknown model '{}'; known models: {}", name, known));
}
}  // namespace

std::unique_ptr<Model> make_model(const std::string& name, const ModelConfig& config) {
  VARSTAR_CHECK(config.num_classes >= 2, "{}: need at least 2 classes, got {}", name, config.num_classes);
  if (name == "cnn-lstm") return std::make_unique<CnnLstm>(config);
  if (name == "cnn2d") return std::make_unique<Cnn2dTable3>(config);
  if (name == "cnn2d-scripts") return std::make_unique<Cnn2dScripts>(config);
  throw_unknown_model(name);
}

namespace {
double linear_parameters(double in, double out) { return in * out + out; }
double conv_parameters(double in, double out, double window) { return in * out * window + out; }
double lstm_parameters(double in, double hidden) { return 4 * hidden * (in + hidden) + 8 * hidden; }
}  // namespace

double parameter_count(const std::string& name, const ModelConfig& config) {
  const auto or_default = [](int64_t v, int64_t fallback) { return static_cast<double>(v > 0 ? v : fallback); };
  const double classes = static_cast<double>(config.num_classes);
  if (name == "cnn-lstm") {
    return conv_parameters(or_default(config.in_channels, 1), 64, 3) + conv_parameters(64, 128, 3) +
           conv_parameters(128, 256, 5) + conv_parameters(256, 256, 5) + lstm_parameters(256, 64) +
           lstm_parameters(64, 128) + linear_parameters(128, 1024) + linear_parameters(1024, 512) +
           linear_parameters(512, classes);
  }
  if (name == "cnn2d") {
    const double flat =
        256 * std::floor(or_default(config.height, 24) / 4) * std::floor(or_default(config.width, 24) / 4);
    return conv_parameters(or_default(config.in_channels, 1), 64, 9) + conv_parameters(64, 128, 25) +
           conv_parameters(128, 256, 25) + conv_parameters(256, 256, 25) + linear_parameters(flat, 1024) +
           linear_parameters(1024, 512) + linear_parameters(512, classes);
  }
  if (name == "cnn2d-scripts") {
    const double h = std::floor(or_default(config.height, 90) / 2) - 8;
    const double w = std::floor(or_default(config.width, 53) / 2) - 8;
    return conv_parameters(or_default(config.in_channels, 3), 64, 9) + conv_parameters(64, 128, 25) +
           conv_parameters(128, 256, 25) + linear_parameters(256 * std::max(h, 0.0) * std::max(w, 0.0), 512) +
           linear_parameters(512, classes);
  }
  throw_unknown_model(name);
}

ModelConfig config_for_input(const std::string& name, const Shape& sample_shape, int64_t num_classes, uint64_t seed) {
  ModelConfig c;
  c.num_classes = num_classes;
  c.seed = seed;
  if (name == "cnn-lstm") {
    VARSTAR_CHECK(sample_shape.size() == 2, "cnn-lstm takes samples of shape (channels, length), the data has {}",
                  shape_str(sample_shape));
    c.in_channels = sample_shape[0];
    c.length = sample_shape[1];
  } else if (name == "cnn2d" || name == "cnn2d-scripts") {
    VARSTAR_CHECK(sample_shape.size() == 3, "{} takes samples of shape (channels, height, width), the data has {}",
                  name, shape_str(sample_shape));
    c.in_channels = sample_shape[0];
    c.height = sample_shape[1];
    c.width = sample_shape[2];
  } else {
    throw_unknown_model(name);
  }
  return c;
}

}  // namespace varstar::models
