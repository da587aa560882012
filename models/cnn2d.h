#pragma once
// The 2D-CNNs of the thesis: Table 3 and the authors' scripts; see models/models.h.
#include "models/models.h"

namespace varstar::models {

class Cnn2dTable3 : public Model {
 public:
  explicit Cnn2dTable3(const ModelConfig& config);
  Tensor forward(const Tensor& x) override;  // x: (B, C, H, W) -> logits
  std::string name() const override { return "cnn2d"; }
  Shape sample_shape() const override { return {channels_, height_, width_}; }

  std::shared_ptr<nn::Conv2d> conv1, conv2, conv3, conv4;
  std::shared_ptr<nn::Linear> fc1, fc2, fc3;

 private:
  Generator gen_;
  int64_t channels_, height_, width_;
};

class Cnn2dScripts : public Model {
 public:
  explicit Cnn2dScripts(const ModelConfig& config);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "cnn2d-scripts"; }
  Generator* dropout_generator() override { return &dropout_gen_; }
  Shape sample_shape() const override { return {channels_, height_, width_}; }

  std::shared_ptr<nn::Conv2d> conv1, conv2, conv3;
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::Dropout> drop1, drop2;

 private:
  Generator gen_;
  Generator dropout_gen_;
  int64_t channels_, height_, width_;
};

}  // namespace varstar::models
