#pragma once
// The thesis networks (../shared/THESIS.md), built only from engine layers:
//   cnn-lstm       Table 2: Conv1D 64,128 (k3 p1), MaxPool 2, Conv1D 256,256 (k5 p2),
//                  MaxPool 2, LSTM 64, LSTM 128, last step, FC 1024, 512, classes.
//   cnn2d          Table 3: Conv2D 3x3 64, 5x5 128, MaxPool 2, 5x5 256, 5x5 256, MaxPool 2,
//                  FC 1024, 512, classes; "same" padding, input 1 x 24 x 24 by default.
//   cnn2d-scripts  the authors' scripts: input 3 x 90 x 53; Conv2d(3,64,3,p1), MaxPool 2,
//                  Dropout 0.1, Conv2d(64,128,5), Conv2d(128,256,5), FC 512, Dropout 0.1,
//                  classes (trained there with Adam weight_decay 1e-4).
// Every convolution and hidden FC layer is followed by ReLU. Parameter names
// match the PyTorch modules of tests/reference/torch_models.py.
#include <memory>
#include <string>
#include <vector>

#include "engine/nn/layers.h"

namespace varstar::models {

struct ModelConfig {
  int64_t num_classes = 5;
  int64_t in_channels = 0;  // 0: the model's default
  int64_t length = 0;       // cnn-lstm sequence length (0: 359, the scripts' synthesis)
  int64_t height = 0;       // 2-d input height (0: default)
  int64_t width = 0;        // 2-d input width (0: default)
  uint64_t seed = 42;       // initialisation and dropout masks
};

class Model : public nn::Module {
 public:
  virtual std::string name() const = 0;
  // Shape of one sample, e.g. {1, 359} or {1, 24, 24}.
  virtual Shape sample_shape() const = 0;
  int64_t num_classes() const { return num_classes_; }
  // The generator of the model's dropout masks (nullptr: no dropout); saved in
  // checkpoints so that a resumed run draws the same masks.
  virtual Generator* dropout_generator() { return nullptr; }

 protected:
  int64_t num_classes_ = 0;
};

struct ModelInfo {
  std::string name;
  std::string description;
};

const std::vector<ModelInfo>& model_catalog();
// Builds a model by catalog name; throws naming the known models otherwise.
std::unique_ptr<Model> make_model(const std::string& name, const ModelConfig& config);
// The number of parameters make_model(name, config) allocates, counted
// without building anything, in double (a damaged description may ask for more
// than int64 holds): a model file's description is checked against the values
// the file stores before the network is built.
double parameter_count(const std::string& name, const ModelConfig& config);
// A ModelConfig whose input matches one sample of shape `sample_shape`
// ({C, L} for cnn-lstm, {C, H, W} for the 2-d models); throws when the rank is wrong.
ModelConfig config_for_input(const std::string& name, const Shape& sample_shape, int64_t num_classes, uint64_t seed);

}  // namespace varstar::models
