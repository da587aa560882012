// The first gradient a leaf receives: taken over without a copy when only the
// backward pass holds its memory (engine/autograd.cpp, accumulate_leaf), and
// copied whenever anything else could see it: another input's gradient, the
// caller's gradient, a tensor saved in the graph, part of a bigger buffer.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/profiler.h"

using varstar::DType;
using varstar::Tensor;

namespace {

// Where the gradient an op's backward returned lives.
struct Handed {
  const void* data = nullptr;
  const varstar::TensorImpl* impl = nullptr;
};

// y = inputs[0], recorded as an op whose backward hands make_grad(dy) to every
// input (the same tensor, as add's backward does) and notes where it lives.
Tensor hand_back(const std::vector<Tensor>& inputs, std::function<Tensor(const Tensor&)> make_grad, Handed* handed) {
  Tensor y = inputs[0].detach().clone();
  const size_t n = inputs.size();
  varstar::record_op("test_hand_back", inputs, {y}, [n, make_grad, handed](const std::vector<Tensor>& g) {
    Tensor d = make_grad(g[0]);
    handed->data = d.raw_data();
    handed->impl = &d.impl();
    return std::vector<Tensor>(n, d);
  });
  return y;
}

Tensor leaf(std::vector<double> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return Tensor::from_vector(values, {n}).set_requires_grad(true);
}

Tensor times_three(const Tensor& g) { return varstar::mul_scalar(g, 3.0); }

}  // namespace

TEST_CASE("a gradient only the backward pass holds becomes the leaf's grad without a copy") {
  Tensor x = leaf({1, 2, 3});
  Handed handed;
  varstar::sum(hand_back({x}, times_three, &handed)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3, 3, 3});
  CHECK(x.grad().raw_data() == handed.data);    // taken over: the same memory
  CHECK(&x.grad().impl() != handed.impl);       // but a fresh handle, out of the graph
  CHECK(x.grad().is_leaf());
  CHECK_FALSE(x.grad().requires_grad());

  // A second backward adds into that memory in place.
  varstar::sum(hand_back({x}, times_three, &handed)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6, 6, 6});
}

TEST_CASE("real ops' leaf gradients, through a reshape view too, are taken over: accumulate_grad copies nothing") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {6}).set_requires_grad(true);
  Tensor b = Tensor::from_vector(std::vector<double>{1, -1, 2, 0, 0, 1}, {3, 2}).set_requires_grad(true);
  varstar::profiler::start();
  // A (2,3) @ B (3,2): d sum / d A[i,k] = sum_j B[k,j], d sum / d B[k,j] = sum_i A[i,k].
  varstar::sum(varstar::matmul(a.reshape({2, 3}), b)).backward();
  varstar::profiler::stop();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{0, 2, 1, 0, 2, 1});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{5, 5, 7, 7, 9, 9});
  const varstar::profiler::Session session = varstar::profiler::session();
  int accumulations = 0;
  for (const varstar::profiler::OpEvent& e : session.events) {
    if (std::string(e.name) != "accumulate_grad") continue;
    ++accumulations;
    CHECK(e.bytes == 0);  // a clone would count 2 x nbytes moved
  }
  CHECK(accumulations == 2);
}

TEST_CASE("one gradient handed to two inputs is copied for the first, so leaf gradients never alias") {
  Handed handed;
  SUBCASE("the same leaf twice (x + x)") {
    Tensor x = leaf({1, 2});
    varstar::sum(hand_back({x, x}, times_three, &handed)).backward();
    CHECK(x.grad().to_vector<double>() == std::vector<double>{6, 6});
    CHECK(x.grad().raw_data() != handed.data);
  }
  SUBCASE("two leaves") {
    Tensor a = leaf({1, 2}), b = leaf({1, 2});
    varstar::sum(hand_back({a, b}, times_three, &handed)).backward();
    CHECK(a.grad().raw_data() != handed.data);  // copied while b's entry still held it
    CHECK(b.grad().raw_data() == handed.data);  // the last holder takes it over
    varstar::sum(varstar::mul_scalar(a, 2.0)).backward();
    CHECK(a.grad().to_vector<double>() == std::vector<double>{5, 5});
    CHECK(b.grad().to_vector<double>() == std::vector<double>{3, 3});
  }
}

TEST_CASE("the caller's gradient is never taken over") {
  Tensor g_user = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {4});
  Tensor x = leaf({0, 0, 0, 0});
  Handed handed;
  SUBCASE("leaf root") { x.backward(g_user); }
  SUBCASE("reshape: its backward returns a view of the caller's gradient") {
    x.reshape({2, 2}).backward(g_user.reshape({2, 2}));
  }
  SUBCASE("clone: its backward returns the caller's gradient itself") { x.clone().backward(g_user); }
  SUBCASE("an op that passes the gradient on unchanged") {
    hand_back({x}, [](const Tensor& g) { return g; }, &handed).backward(g_user);
  }
  CHECK(x.grad().raw_data() != g_user.raw_data());
  g_user.fill_(7);
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 2, 3, 4});
}

TEST_CASE("retain_graph: a gradient saved in the graph is copied, and passes accumulate") {
  SUBCASE("the node's closure holds the gradient it returns") {
    Tensor x = leaf({1, 2});
    Tensor y = x.detach().clone();
    // The closure holds the only handle on `saved`.
    varstar::record_op("test_saved_grad", {x}, {y},
                       [saved = Tensor::from_vector(std::vector<double>{0.5, -1}, {2})](const std::vector<Tensor>&) {
                         return std::vector<Tensor>{saved};
                       });
    Tensor loss = varstar::sum(y);
    for (int pass = 0; pass < 3; ++pass) loss.backward(Tensor(), /*retain_graph=*/true);
    // Taken over, `saved` would be x.grad and the second pass would double it.
    CHECK(x.grad().to_vector<double>() == std::vector<double>{1.5, -3});
  }
  SUBCASE("two backward passes of sum(w * w)") {
    Tensor w = leaf({1, -2, 3});
    Tensor loss = varstar::sum(varstar::mul(w, w));
    loss.backward(Tensor(), /*retain_graph=*/true);
    loss.backward();
    CHECK(w.grad().to_vector<double>() == std::vector<double>{4, -8, 12});
  }
}

TEST_CASE("a gradient that is a view is copied into memory of its own size") {
  Tensor x = Tensor::zeros({2, 3}, DType::f64).set_requires_grad(true);
  Handed handed;
  // g written into half `k` of a (2, 2, 3) buffer, and that half returned.
  auto half_of_bigger = [](int64_t k) {
    return [k](const Tensor& g) {
      Tensor half = Tensor::zeros({2, 2, 3}, DType::f64).select(0, k);
      half.copy_(g);
      return half;
    };
  };
  std::function<Tensor(const Tensor&)> make_grad;
  SUBCASE("the first half of a bigger buffer (offset 0)") { make_grad = half_of_bigger(0); }
  SUBCASE("the second half of a bigger buffer") { make_grad = half_of_bigger(1); }
  SUBCASE("a transposed buffer") {
    make_grad = [](const Tensor& g) { return g.transpose(0, 1).contiguous().transpose(0, 1); };
  }
  Tensor g = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  hand_back({x}, make_grad, &handed).backward(g);
  CHECK(x.grad().raw_data() != handed.data);
  CHECK(x.grad().is_contiguous());
  CHECK(x.grad().impl().storage->bytes() == x.grad().nbytes());
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
}
