// FLOP counts by walking a traced forward pass shape by shape.
#include "models/flops.h"

#include "engine/autograd.h"
#include "models/cnn2d.h"
#include "models/cnn_lstm.h"

namespace varstar::models {

namespace {
double conv_flops(int64_t batch, const Tensor& weight, int64_t out_pixels) {
  const double per_output = 2.0 * static_cast<double>(weight.numel() / weight.shape()[0]);
  return per_output * static_cast<double>(batch * weight.shape()[0] * out_pixels);
}
double linear_flops(int64_t batch, const nn::Linear& l) {
  return 2.0 * static_cast<double>(batch) * static_cast<double>(l.weight.numel());
}
double lstm_flops(int64_t batch, int64_t steps, const nn::LSTM& l) {
  return 2.0 * static_cast<double>(batch * steps) * static_cast<double>(l.weight_ih.numel() + l.weight_hh.numel());
}
}  // namespace

double forward_flops(const Model& model, int64_t batch) {
  if (const auto* m = dynamic_cast<const CnnLstm*>(&model)) {
    const int64_t L = m->sample_shape()[1], L2 = L / 2, L4 = L2 / 2;
    return conv_flops(batch, m->conv1->weight, L) + conv_flops(batch, m->conv2->weight, L) +
           conv_flops(batch, m->conv3->weight, L2) + conv_flops(batch, m->conv4->weight, L2) +
           lstm_flops(batch, L4, *m->lstm1) + lstm_flops(batch, L4, *m->lstm2) + linear_flops(batch, *m->fc1) +
           linear_flops(batch, *m->fc2) + linear_flops(batch, *m->fc3);
  }
  if (const auto* m = dynamic_cast<const Cnn2dTable3*>(&model)) {
    const int64_t H = m->sample_shape()[1], W = m->sample_shape()[2];
    const int64_t P = H * W, P2 = (H / 2) * (W / 2);
    return conv_flops(batch, m->conv1->weight, P) + conv_flops(batch, m->conv2->weight, P) +
           conv_flops(batch, m->conv3->weight, P2) + conv_flops(batch, m->conv4->weight, P2) +
           linear_flops(batch, *m->fc1) + linear_flops(batch, *m->fc2) + linear_flops(batch, *m->fc3);
  }
  if (const auto* m = dynamic_cast<const Cnn2dScripts*>(&model)) {
    const int64_t H = m->sample_shape()[1], W = m->sample_shape()[2];
    const int64_t h2 = H / 2, w2 = W / 2;
    return conv_flops(batch, m->conv1->weight, H * W) + conv_flops(batch, m->conv2->weight, (h2 - 4) * (w2 - 4)) +
           conv_flops(batch, m->conv3->weight, (h2 - 8) * (w2 - 8)) + linear_flops(batch, *m->fc1) +
           linear_flops(batch, *m->fc2);
  }
  throw Error(fmt::format("forward_flops: no FLOP count for model '{}'", model.name()));
}

}  // namespace varstar::models
