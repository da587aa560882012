#pragma once
// The CNN-LSTM of the thesis (Table 2); see models/models.h.
#include "models/models.h"

namespace varstar::models {

class CnnLstm : public Model {
 public:
  explicit CnnLstm(const ModelConfig& config);
  Tensor forward(const Tensor& x) override;  // x: (B, C, L) -> logits (B, classes)
  std::string name() const override { return "cnn-lstm"; }
  Shape sample_shape() const override { return {channels_, length_}; }

  std::shared_ptr<nn::Conv1d> conv1, conv2, conv3, conv4;
  std::shared_ptr<nn::LSTM> lstm1, lstm2;
  std::shared_ptr<nn::Linear> fc1, fc2, fc3;

 private:
  Generator gen_;
  int64_t channels_, length_;
};

}  // namespace varstar::models
