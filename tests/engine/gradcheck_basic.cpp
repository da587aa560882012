// Gradient checks: elementwise, reductions, views, cat, matmul, linear.
#include "tests/engine/gradcheck.h"

using varstar::Tensor;
using vtest::check_gradients;
using vtest::random_tensor;

GRADCHECK(add, "broadcast (2,3,4) + (3,1)") {
  check_gradients([](const auto& in) { return varstar::add(in[0], in[1]); },
                  {random_tensor({2, 3, 4}, 1), random_tensor({3, 1}, 2)});
}
GRADCHECK(sub, "broadcast (4) - (2,4)") {
  check_gradients([](const auto& in) { return varstar::sub(in[0], in[1]); },
                  {random_tensor({4}, 3), random_tensor({2, 4}, 4)});
}
GRADCHECK(mul, "broadcast (2,1,3) * (4,3)") {
  check_gradients([](const auto& in) { return varstar::mul(in[0], in[1]); },
                  {random_tensor({2, 1, 3}, 5), random_tensor({4, 3}, 6)});
}
GRADCHECK(div, "same shape, denominators away from zero") {
  check_gradients([](const auto& in) { return varstar::div(in[0], in[1]); },
                  {random_tensor({3, 5}, 7), random_tensor({3, 5}, 8, 0.5, 2.0)});
}
GRADCHECK(mul_scalar, "x * -2.5") {
  check_gradients([](const auto& in) { return varstar::mul_scalar(in[0], -2.5); }, {random_tensor({7}, 9)});
}
GRADCHECK(add_scalar, "x + 3") {
  check_gradients([](const auto& in) { return varstar::mul(varstar::add_scalar(in[0], 3.0), in[0]); },
                  {random_tensor({6}, 10)});
}
GRADCHECK(relu, "inputs away from the kink") {
  Tensor x = random_tensor({4, 5}, 11, 0.1, 1.0);
  Tensor sign = random_tensor({4, 5}, 12);
  // Mix of positive and negative entries with |x| >= 0.1.
  std::vector<double> v = x.to_vector<double>(), s = sign.to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i) v[i] = s[i] < 0 ? -v[i] : v[i];
  check_gradients([](const auto& in) { return varstar::relu(in[0]); }, {Tensor::from_vector(v, {4, 5})});
}
GRADCHECK(tanh, "(3,4)") {
  check_gradients([](const auto& in) { return varstar::tanh(in[0]); }, {random_tensor({3, 4}, 13, -2, 2)});
}
GRADCHECK(sigmoid, "(3,4)") {
  check_gradients([](const auto& in) { return varstar::sigmoid(in[0]); }, {random_tensor({3, 4}, 14, -3, 3)});
}
GRADCHECK(sum, "over dims {0, 2}, keepdim and not") {
  check_gradients([](const auto& in) { return varstar::sum(in[0], {0, 2}); }, {random_tensor({2, 3, 4}, 15)});
  check_gradients([](const auto& in) { return varstar::sum(in[0], {1}, true); }, {random_tensor({2, 3, 4}, 16)});
  check_gradients([](const auto& in) { return varstar::sum(in[0]); }, {random_tensor({5, 2}, 17)});
}
GRADCHECK(mean, "over the last dim and all") {
  check_gradients([](const auto& in) { return varstar::mean(in[0], {-1}); }, {random_tensor({3, 5}, 18)});
  check_gradients([](const auto& in) { return varstar::mean(in[0]); }, {random_tensor({3, 5}, 19)});
}
GRADCHECK(contiguous, "of a transposed view") {
  check_gradients([](const auto& in) { return in[0].transpose(0, 1).contiguous(); }, {random_tensor({3, 4}, 20)});
}
GRADCHECK(to_dtype, "float64 -> float32 -> float64 passes the gradient through") {
  // The function is the identity up to float32 rounding (~6e-8 relative), so a
  // step of 0.1 keeps the finite difference accurate to ~1e-6.
  check_gradients([](const auto& in) { return in[0].to(varstar::DType::f32).to(varstar::DType::f64); },
                  {random_tensor({5}, 23)}, {}, 0.1);
}
GRADCHECK(reshape, "(2,6) -> (3,-1) of a non-contiguous view") {
  check_gradients([](const auto& in) { return in[0].transpose(0, 1).reshape({3, -1}); }, {random_tensor({2, 6}, 24)});
}
GRADCHECK(permute, "(2,3,4) -> (2,0,1)") {
  check_gradients([](const auto& in) { return in[0].permute({2, 0, 1}); }, {random_tensor({2, 3, 4}, 25)});
}
GRADCHECK(slice, "dim 1, start 1, step 2") {
  check_gradients([](const auto& in) { return in[0].slice(1, 1, 6, 2); }, {random_tensor({3, 7}, 26)});
}
GRADCHECK(select, "last time step") {
  check_gradients([](const auto& in) { return in[0].select(1, -1); }, {random_tensor({2, 5, 3}, 27)});
}
GRADCHECK(expand, "(3,1) -> (2,3,4)") {
  check_gradients([](const auto& in) { return in[0].expand({2, 3, 4}); }, {random_tensor({3, 1}, 28)});
}
GRADCHECK(cat, "along dim 1 of three tensors") {
  check_gradients([](const auto& in) { return varstar::cat({in[0], in[1], in[2]}, 1); },
                  {random_tensor({2, 1, 3}, 29), random_tensor({2, 4, 3}, 30), random_tensor({2, 2, 3}, 31)});
}
GRADCHECK(matmul, "2-d, batched, batched @ 2-d, transposed operands") {
  check_gradients([](const auto& in) { return varstar::matmul(in[0], in[1]); },
                  {random_tensor({3, 4}, 32), random_tensor({4, 5}, 33)});
  check_gradients([](const auto& in) { return varstar::matmul(in[0], in[1]); },
                  {random_tensor({2, 3, 4}, 34), random_tensor({2, 4, 2}, 35)});
  check_gradients([](const auto& in) { return varstar::matmul(in[0], in[1]); },
                  {random_tensor({2, 3, 4}, 36), random_tensor({4, 5}, 37)});
  check_gradients([](const auto& in) { return varstar::matmul(in[0].transpose(0, 1), in[1].transpose(0, 1)); },
                  {random_tensor({4, 3}, 38), random_tensor({5, 4}, 39)});
}
GRADCHECK(linear, "3-d input, with and without bias") {
  check_gradients([](const auto& in) { return varstar::linear(in[0], in[1], in[2]); },
                  {random_tensor({2, 3, 4}, 40), random_tensor({5, 4}, 41), random_tensor({5}, 42)});
  check_gradients([](const auto& in) { return varstar::linear(in[0], in[1], Tensor()); },
                  {random_tensor({3, 4}, 43), random_tensor({2, 4}, 44)});
}
