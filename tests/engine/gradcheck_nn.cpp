// Gradient checks: convolution, pooling, LSTM, dropout, batch norm, losses.
#include "kernels/conv.h"
#include "tests/engine/gradcheck.h"

using varstar::DType;
using varstar::Tensor;
using vtest::check_gradients;
using vtest::random_tensor;


GRADCHECK(conv1d, "stride 1 and 2, padding, with and without bias; 3 and 5 taps by Winograd") {
  check_gradients([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 1, 1); },
                  {random_tensor({2, 3, 7}, 101), random_tensor({4, 3, 3}, 102), random_tensor({4}, 103)});
  check_gradients([](const auto& in) { return varstar::conv1d(in[0], in[1], Tensor(), 2, 2); },
                  {random_tensor({2, 2, 9}, 104), random_tensor({3, 2, 5}, 105)});
  varstar::cpu::WinogradScope winograd(varstar::cpu::WinogradPolicy::always);  // whatever the channel counts
  check_gradients([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 1, 1); },
                  {random_tensor({2, 3, 11}, 120), random_tensor({4, 3, 3}, 121), random_tensor({4}, 122)});
  check_gradients([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 1, 2); },
                  {random_tensor({2, 2, 9}, 123), random_tensor({3, 2, 5}, 124), random_tensor({3}, 125)});
}
GRADCHECK(conv2d, "3x3 same padding, 2x3 kernel with stride (2,1); 5x5 and 3x5 by Winograd") {
  check_gradients([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {1, 1}); },
                  {random_tensor({2, 2, 5, 4}, 106), random_tensor({3, 2, 3, 3}, 107), random_tensor({3}, 108)});
  check_gradients([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {2, 1}, {0, 1}); },
                  {random_tensor({1, 3, 6, 5}, 109), random_tensor({2, 3, 2, 3}, 110), random_tensor({2}, 111)});
  varstar::cpu::WinogradScope winograd(varstar::cpu::WinogradPolicy::always);  // whatever the channel counts
  check_gradients([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {2, 2}); },
                  {random_tensor({2, 2, 7, 6}, 126), random_tensor({3, 2, 5, 5}, 127), random_tensor({3}, 128)});
  check_gradients([](const auto& in) { return varstar::conv2d(in[0], in[1], Tensor(), {1, 1}, {1, 2}); },
                  {random_tensor({1, 2, 6, 5}, 129), random_tensor({2, 2, 3, 5}, 130)});
}
GRADCHECK(maxpool1d, "kernel 2, odd length (last element dropped)") {
  check_gradients([](const auto& in) { return varstar::maxpool1d(in[0], 2); }, {random_tensor({2, 3, 9}, 112)});
  check_gradients([](const auto& in) { return varstar::maxpool1d(in[0], 3, 2); }, {random_tensor({1, 2, 8}, 113)});
}
GRADCHECK(maxpool2d, "2x2 on 5x6") {
  check_gradients([](const auto& in) { return varstar::maxpool2d(in[0], {2, 2}); }, {random_tensor({2, 2, 5, 6}, 114)});
}
GRADCHECK(dropout, "p = 0.3, training; the mask is the same in both passes") {
  varstar::Generator gen(115);
  const uint64_t offset = gen.offset();
  check_gradients(
      [&gen, offset](const auto& in) {
        gen.set_state(115, offset);  // every evaluation draws the same mask
        return varstar::dropout(in[0], 0.3, true, gen);
      },
      {random_tensor({4, 25}, 116)});
}
GRADCHECK(lstm, "B=2, T=4, I=3, H=5, every input and parameter") {
  const int64_t H = 5;
  check_gradients([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                  {random_tensor({2, 4, 3}, 117), random_tensor({4 * H, 3}, 118), random_tensor({4 * H, H}, 119),
                   random_tensor({4 * H}, 120), random_tensor({4 * H}, 121)});
}
GRADCHECK(batch_norm, "training on (N,C,L) and (N,C); evaluation with running stats") {
  check_gradients(
      [](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
      {random_tensor({3, 2, 4}, 122), random_tensor({2}, 123, 0.5, 1.5), random_tensor({2}, 124)});
  check_gradients(
      [](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
      {random_tensor({5, 3}, 125), random_tensor({3}, 126, 0.5, 1.5), random_tensor({3}, 127)});
  const Tensor rm = random_tensor({2}, 128), rv = random_tensor({2}, 129, 0.5, 2.0);
  check_gradients([&](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], rm, rv, false); },
                  {random_tensor({2, 2, 3, 3}, 130), random_tensor({2}, 131), random_tensor({2}, 132)});
}
GRADCHECK(log_softmax, "(3,5)") {
  check_gradients([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_tensor({3, 5}, 133, -2, 2)});
}
GRADCHECK(cross_entropy, "plain and class-weighted") {
  const Tensor targets = Tensor::from_vector(std::vector<int32_t>{2, 0, 1, 2}, {4});
  check_gradients([&](const auto& in) { return varstar::cross_entropy(in[0], targets); },
                  {random_tensor({4, 3}, 134, -2, 2)});
  const Tensor weights = Tensor::from_vector(std::vector<double>{0.5, 2.0, 1.25}, {3});
  check_gradients([&](const auto& in) { return varstar::cross_entropy(in[0], targets, weights); },
                  {random_tensor({4, 3}, 135, -2, 2)});
}
