// The 2D-CNNs of the thesis (Table 3 and the scripts' variant).
#include "models/cnn2d.h"

namespace varstar::models {

Cnn2dTable3::Cnn2dTable3(const ModelConfig& config)
    : gen_(config.seed), channels_(config.in_channels > 0 ? config.in_channels : 1),
      height_(config.height > 0 ? config.height : 24), width_(config.width > 0 ? config.width : 24) {
  num_classes_ = config.num_classes;
  VARSTAR_CHECK(height_ >= 4 && width_ >= 4, "cnn2d: inputs need at least 4x4 pixels, got {}x{}", height_, width_);
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(channels_, 64, std::array<int64_t, 2>{3, 3}, gen_,
                                                                 std::array<int64_t, 2>{1, 1}, std::array<int64_t, 2>{1, 1}));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(64, 128, std::array<int64_t, 2>{5, 5}, gen_,
                                                                 std::array<int64_t, 2>{1, 1}, std::array<int64_t, 2>{2, 2}));
  conv3 = register_module("conv3", std::make_shared<nn::Conv2d>(128, 256, std::array<int64_t, 2>{5, 5}, gen_,
                                                                 std::array<int64_t, 2>{1, 1}, std::array<int64_t, 2>{2, 2}));
  conv4 = register_module("conv4", std::make_shared<nn::Conv2d>(256, 256, std::array<int64_t, 2>{5, 5}, gen_,
                                                                 std::array<int64_t, 2>{1, 1}, std::array<int64_t, 2>{2, 2}));
  const int64_t flat = 256 * (height_ / 2 / 2) * (width_ / 2 / 2);
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(flat, 1024, gen_));
  fc2 = register_module("fc2", std::make_shared<nn::Linear>(1024, 512, gen_));
  fc3 = register_module("fc3", std::make_shared<nn::Linear>(512, num_classes_, gen_));
}

Tensor Cnn2dTable3::forward(const Tensor& x) {
  VARSTAR_CHECK(x.dim() == 4 && x.shape()[1] == channels_ && x.shape()[2] == height_ && x.shape()[3] == width_,
                "cnn2d: expected input (B, {}, {}, {}), got {}", channels_, height_, width_, shape_str(x.shape()));
  Tensor h = relu(conv1->forward(x));  // (B, 64, H, W)
  h = relu(conv2->forward(h));         // (B, 128, H, W)
  h = maxpool2d(h, {2, 2});            // (B, 128, H/2, W/2)
  h = relu(conv3->forward(h));         // (B, 256, H/2, W/2)
  h = relu(conv4->forward(h));         // (B, 256, H/2, W/2)
  h = maxpool2d(h, {2, 2});            // (B, 256, H/4, W/4)
  h = h.flatten(1);
  h = relu(fc1->forward(h));           // (B, 1024)
  h = relu(fc2->forward(h));           // (B, 512)
  return fc3->forward(h);              // (B, classes)
}

Cnn2dScripts::Cnn2dScripts(const ModelConfig& config)
    : gen_(config.seed), dropout_gen_(config.seed ^ 0xd509u), channels_(config.in_channels > 0 ? config.in_channels : 3),
      height_(config.height > 0 ? config.height : 90), width_(config.width > 0 ? config.width : 53) {
  num_classes_ = config.num_classes;
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(channels_, 64, std::array<int64_t, 2>{3, 3}, gen_,
                                                                 std::array<int64_t, 2>{1, 1}, std::array<int64_t, 2>{1, 1}));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(64, 128, std::array<int64_t, 2>{5, 5}, gen_));
  conv3 = register_module("conv3", std::make_shared<nn::Conv2d>(128, 256, std::array<int64_t, 2>{5, 5}, gen_));
  const int64_t h = height_ / 2 - 8, w = width_ / 2 - 8;
  VARSTAR_CHECK(h >= 1 && w >= 1, "cnn2d-scripts: inputs need at least 18x18 pixels, got {}x{}", height_, width_);
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(256 * h * w, 512, gen_));
  fc2 = register_module("fc2", std::make_shared<nn::Linear>(512, num_classes_, gen_));
  drop1 = register_module("drop1", std::make_shared<nn::Dropout>(0.1, dropout_gen_));
  drop2 = register_module("drop2", std::make_shared<nn::Dropout>(0.1, dropout_gen_));
}

Tensor Cnn2dScripts::forward(const Tensor& x) {
  VARSTAR_CHECK(x.dim() == 4 && x.shape()[1] == channels_ && x.shape()[2] == height_ && x.shape()[3] == width_,
                "cnn2d-scripts: expected input (B, {}, {}, {}), got {}", channels_, height_, width_,
                shape_str(x.shape()));
  Tensor h = relu(conv1->forward(x));  // (B, 64, 90, 53)
  h = maxpool2d(h, {2, 2});            // (B, 64, 45, 26)
  h = drop1->forward(h);
  h = relu(conv2->forward(h));         // (B, 128, 41, 22)
  h = relu(conv3->forward(h));         // (B, 256, 37, 18)
  h = h.flatten(1);                    // (B, 170496)
  h = relu(fc1->forward(h));           // (B, 512)
  h = drop2->forward(h);
  return fc2->forward(h);              // (B, classes)
}

}  // namespace varstar::models
