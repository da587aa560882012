#pragma once
// Layers with PyTorch's default initialisation:
//   Linear, Conv1d, Conv2d: weight ~ kaiming_uniform(a = sqrt(5)), i.e.
//     U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
//   LSTM: every weight and bias ~ U(-1/sqrt(hidden), 1/sqrt(hidden)).
//   BatchNorm: weight 1, bias 0, running mean 0, running var 1.
// Random numbers come from the given Generator (Philox), so values differ from
// PyTorch's Mersenne Twister draws but follow the same distributions.
#include <array>

#include "engine/nn/module.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace varstar::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  Tensor weight, bias;  // (out, in), (out)
};

class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen, int64_t stride = 1,
         int64_t padding = 0);
  Tensor forward(const Tensor& x) override { return conv1d(x, weight, bias, stride_, padding_); }
  Tensor weight, bias;  // (Cout, Cin, K), (Cout)

 private:
  int64_t stride_, padding_;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel, Generator& gen,
         std::array<int64_t, 2> stride = {1, 1}, std::array<int64_t, 2> padding = {0, 0});
  Tensor forward(const Tensor& x) override { return conv2d(x, weight, bias, stride_, padding_); }
  Tensor weight, bias;  // (Cout, Cin, KH, KW), (Cout)

 private:
  std::array<int64_t, 2> stride_, padding_;
};

// One batch-first LSTM layer; parameter names as PyTorch's nn.LSTM layer 0.
class LSTM : public Module {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, Generator& gen);
  // x: (B, T, input) -> every hidden state (B, T, hidden).
  Tensor forward(const Tensor& x) override { return lstm(x, weight_ih, weight_hh, bias_ih, bias_hh); }
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};

class BatchNorm : public Module {
 public:
  explicit BatchNorm(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override {
    return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_);
  }
  Tensor weight, bias, running_mean, running_var;

 private:
  double momentum_, eps_;
};

class Dropout : public Module {
 public:
  Dropout(double p, Generator& gen) : p_(p), gen_(&gen) {}
  Tensor forward(const Tensor& x) override { return dropout(x, p_, is_training(), *gen_); }

 private:
  double p_;
  Generator* gen_;
};

}  // namespace varstar::nn
