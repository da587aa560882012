// The CNN-LSTM of the thesis (Table 2). Input (B, C, L): C channels (1: the
// harmonic-synthesised r-band curve) of length L.
#include "models/cnn_lstm.h"

namespace varstar::models {

CnnLstm::CnnLstm(const ModelConfig& config)
    : gen_(config.seed), channels_(config.in_channels > 0 ? config.in_channels : 1),
      length_(config.length > 0 ? config.length : 359) {
  num_classes_ = config.num_classes;
  VARSTAR_CHECK(length_ >= 4, "cnn-lstm: sequences need at least 4 points (two poolings by 2), got {}", length_);
  conv1 = register_module("conv1", std::make_shared<nn::Conv1d>(channels_, 64, 3, gen_, 1, 1));
  conv2 = register_module("conv2", std::make_shared<nn::Conv1d>(64, 128, 3, gen_, 1, 1));
  conv3 = register_module("conv3", std::make_shared<nn::Conv1d>(128, 256, 5, gen_, 1, 2));
  conv4 = register_module("conv4", std::make_shared<nn::Conv1d>(256, 256, 5, gen_, 1, 2));
  lstm1 = register_module("lstm1", std::make_shared<nn::LSTM>(256, 64, gen_));
  lstm2 = register_module("lstm2", std::make_shared<nn::LSTM>(64, 128, gen_));
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(128, 1024, gen_));
  fc2 = register_module("fc2", std::make_shared<nn::Linear>(1024, 512, gen_));
  fc3 = register_module("fc3", std::make_shared<nn::Linear>(512, num_classes_, gen_));
}

Tensor CnnLstm::forward(const Tensor& x) {
  VARSTAR_CHECK(x.dim() == 3 && x.shape()[1] == channels_ && x.shape()[2] == length_,
                "cnn-lstm: expected input (B, {}, {}), got {}", channels_, length_, shape_str(x.shape()));
  Tensor h = relu(conv1->forward(x));    // (B, 64, L)
  h = relu(conv2->forward(h));           // (B, 128, L)
  h = maxpool1d(h, 2);                   // (B, 128, L/2)
  h = relu(conv3->forward(h));           // (B, 256, L/2)
  h = relu(conv4->forward(h));           // (B, 256, L/2)
  h = maxpool1d(h, 2);                   // (B, 256, L/4)
  h = h.permute({0, 2, 1});              // (B, T, 256)
  h = lstm1->forward(h);                 // (B, T, 64)
  h = lstm2->forward(h);                 // (B, T, 128)
  h = h.select(1, -1);                   // (B, 128) last time step
  h = relu(fc1->forward(h));             // (B, 1024)
  h = relu(fc2->forward(h));             // (B, 512)
  return fc3->forward(h);                // (B, classes) logits
}

}  // namespace varstar::models
