// Layer construction with PyTorch's default initialisation (see layers.h).
#include "engine/nn/layers.h"

#include <cmath>

namespace varstar::nn {

namespace {
Tensor uniform_init(const Shape& shape, double bound, Generator& gen) { return uniform(shape, -bound, bound, gen); }
}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool with_bias) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight", uniform_init({out_features, in_features}, bound, gen));
  if (with_bias) bias = register_parameter("bias", uniform_init({out_features}, bound, gen));
}

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen, int64_t stride,
               int64_t padding)
    : stride_(stride), padding_(padding) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_channels * kernel));
  weight = register_parameter("weight", uniform_init({out_channels, in_channels, kernel}, bound, gen));
  bias = register_parameter("bias", uniform_init({out_channels}, bound, gen));
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, std::array<int64_t, 2> kernel, Generator& gen,
               std::array<int64_t, 2> stride, std::array<int64_t, 2> padding)
    : stride_(stride), padding_(padding) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_channels * kernel[0] * kernel[1]));
  weight = register_parameter("weight", uniform_init({out_channels, in_channels, kernel[0], kernel[1]}, bound, gen));
  bias = register_parameter("bias", uniform_init({out_channels}, bound, gen));
}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  weight_ih = register_parameter("weight_ih_l0", uniform_init({4 * hidden_size, input_size}, bound, gen));
  weight_hh = register_parameter("weight_hh_l0", uniform_init({4 * hidden_size, hidden_size}, bound, gen));
  bias_ih = register_parameter("bias_ih_l0", uniform_init({4 * hidden_size}, bound, gen));
  bias_hh = register_parameter("bias_hh_l0", uniform_init({4 * hidden_size}, bound, gen));
}

BatchNorm::BatchNorm(int64_t channels, double momentum, double eps) : momentum_(momentum), eps_(eps) {
  weight = register_parameter("weight", Tensor::ones({channels}));
  bias = register_parameter("bias", Tensor::zeros({channels}));
  running_mean = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var = register_buffer("running_var", Tensor::ones({channels}));
}

}  // namespace varstar::nn
