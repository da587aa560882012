// Tensor basics: creation, views, copies, errors, and the autograd engine's
// bookkeeping (accumulation, no_grad, freed graphs, shared inputs).
#include <doctest/doctest.h>

#include <thread>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "kernels/philox_math.h"

using varstar::DType;
using varstar::Shape;
using varstar::Tensor;

TEST_CASE("views share storage and index correctly") {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  Tensor x = Tensor::from_vector(v, {2, 3, 4});
  Tensor p = x.permute({2, 0, 1});  // (4, 2, 3): p[k, i, j] = x[i, j, k]
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK_FALSE(p.is_contiguous());
  CHECK(p.same_storage(x));
  const std::vector<float> pc = p.to_vector<float>();
  CHECK(pc[0 * 6 + 1 * 3 + 2] == 1 * 12 + 2 * 4 + 0);   // p[0,1,2] = x[1,2,0] = 20
  CHECK(pc[3 * 6 + 0 * 3 + 1] == 0 * 12 + 1 * 4 + 3);   // p[3,0,1] = x[0,1,3] = 7
  Tensor s = x.slice(2, 1, 4, 2);                        // k in {1, 3}
  CHECK(s.shape() == Shape{2, 3, 2});
  CHECK(s.to_vector<float>() == std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23});
  Tensor last = x.select(1, -1);                         // j = 2
  CHECK(last.to_vector<float>() == std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23});
  Tensor r = x.transpose(0, 1).reshape({6, 4});          // non-viewable: copies
  CHECK(r.to_vector<float>()[4] == 12);                  // row 1 = x[1, 0, :]
  Tensor e = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3, 1}).expand({2, 3, 4});
  CHECK(e.strides()[0] == 0);
  CHECK(e.to_vector<float>()[4 * 2 + 3] == 3);           // e[0, 2, 3]
}

TEST_CASE("broadcast arithmetic matches hand-computed values") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<double>{10, 20, 30}, {3});
  CHECK((a + b).to_vector<double>() == std::vector<double>{11, 22, 33, 14, 25, 36});
  Tensor c = Tensor::from_vector(std::vector<double>{2, 4}, {2, 1});
  CHECK((a / c).to_vector<double>() == std::vector<double>{0.5, 1, 1.5, 1, 1.25, 1.5});
  CHECK(varstar::sum(a, {0}).to_vector<double>() == std::vector<double>{5, 7, 9});
  CHECK(varstar::mean(a, {1}).to_vector<double>() == std::vector<double>{2, 5});
  CHECK(varstar::sum(a).item() == 21);
}

TEST_CASE("matmul agrees with a hand-computed product, transposed views included") {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{7, 8, 9, 10, 11, 12}, {3, 2});
  CHECK(varstar::matmul(a, b).to_vector<float>() == std::vector<float>{58, 64, 139, 154});
  // a^T (3,2) @ a (2,3) through the transpose flag, no copy.
  Tensor ata = varstar::matmul(a.transpose(0, 1), a);
  CHECK(ata.to_vector<float>() == std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45});
}

TEST_CASE("errors name the op, the expectation and what was given") {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = Tensor::zeros({4, 3});
  CHECK_THROWS_WITH_AS(varstar::add(a, b), doctest::Contains("add: shapes [2, 3] and [4, 3] do not broadcast"),
                       varstar::Error);
  CHECK_THROWS_WITH_AS(varstar::add(a, Tensor::zeros({2, 3}, DType::f64)),
                       doctest::Contains("add: expected 'b' of dtype float32 (like the first input), got float64"),
                       varstar::Error);
  CHECK_THROWS_WITH_AS(varstar::matmul(a, a), doctest::Contains("matmul: inner dimensions differ"), varstar::Error);
  CHECK_THROWS_WITH_AS(varstar::linear(a, Tensor::zeros({5, 4}), Tensor()),
                       doctest::Contains("linear: x has 3 features"), varstar::Error);
  CHECK_THROWS_WITH_AS(a.reshape({5}), doctest::Contains("cannot reshape [2, 3] (6 elements) into [5]"),
                       varstar::Error);
}

TEST_CASE("gradients accumulate across backward calls and zero_grad clears them") {
  Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 3}, {3});
  w.set_requires_grad(true);
  varstar::sum(varstar::mul(w, w)).backward();  // d/dw sum(w^2) = 2w
  CHECK(w.grad().to_vector<double>() == std::vector<double>{2, 4, 6});
  varstar::sum(varstar::mul_scalar(w, 3.0)).backward();
  CHECK(w.grad().to_vector<double>() == std::vector<double>{5, 7, 9});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("a tensor used twice receives both gradient contributions") {
  Tensor x = Tensor::from_vector(std::vector<double>{2, -1}, {2});
  x.set_requires_grad(true);
  Tensor y = varstar::add(varstar::mul(x, x), x);  // dy/dx = 2x + 1
  varstar::sum(y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{5, -1});
}

TEST_CASE("leaf gradients do not alias each other") {
  Tensor a = Tensor::ones({3}, DType::f64), b = Tensor::ones({3}, DType::f64);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  varstar::sum(varstar::add(a, b)).backward();  // add's backward hands the same tensor to both
  varstar::sum(varstar::mul_scalar(a, 2.0)).backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{3, 3, 3});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{1, 1, 1});
}

TEST_CASE("no_grad records nothing; a freed graph cannot be walked twice") {
  Tensor w = Tensor::ones({2}, DType::f64);
  w.set_requires_grad(true);
  {
    varstar::NoGradGuard no_grad;
    Tensor y = varstar::mul(w, w);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
  Tensor loss = varstar::sum(varstar::tanh(w));
  loss.backward();
  CHECK_THROWS_WITH_AS(loss.backward(), doctest::Contains("already freed"), varstar::Error);
  Tensor loss2 = varstar::sum(varstar::tanh(w));
  w.zero_grad();
  loss2.backward(Tensor(), /*retain_graph=*/true);
  loss2.backward();
  const double expected = 2 * (1 - std::tanh(1.0) * std::tanh(1.0));
  CHECK(w.grad().to_vector<double>()[0] == doctest::Approx(expected));
}

TEST_CASE("backward frees the saved tensors of the graph") {
  Tensor w = Tensor::ones({1000}, DType::f64);
  w.set_requires_grad(true);
  const size_t before = varstar::host_memory_stats().bytes_in_use;
  {
    Tensor loss = varstar::sum(varstar::tanh(varstar::mul(w, w)));
    loss.backward();
  }
  // Only w.grad (1000 doubles, rounded to the allocator's size class) remains.
  CHECK(varstar::host_memory_stats().bytes_in_use - before <= 9 * 1024);
}

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors") {
  // Known-answer test from Random123's kat_vectors: philox4x32 10 rounds.
  const varstar::Philox4 zero = varstar::philox4x32_10(0, 0, 0);
  CHECK(zero.v[0] == 0x6627e8d5u);
  CHECK(zero.v[1] == 0xe169c58du);
  CHECK(zero.v[2] == 0xbc57ac4cu);
  CHECK(zero.v[3] == 0x9b00dbd8u);
  const varstar::Philox4 ones = varstar::philox4x32_10(0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull);
  CHECK(ones.v[0] == 0x408f276du);
  CHECK(ones.v[1] == 0x41c83b0eu);
  CHECK(ones.v[2] == 0xa20bc7c6u);
  CHECK(ones.v[3] == 0x6d5451fdu);
}

TEST_CASE("random tensors are deterministic for a seed and have the right moments") {
  varstar::Generator g1(7), g2(7);
  Tensor a = varstar::uniform({10000}, -1, 1, g1);
  Tensor b = varstar::uniform({10000}, -1, 1, g2);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  const double m = varstar::mean(a).item();
  CHECK(std::abs(m) < 0.03);
  varstar::Generator g3(8);
  Tensor n = varstar::normal({20000}, 1.0, 2.0, g3, DType::f64);
  CHECK(varstar::mean(n).item() == doctest::Approx(1.0).epsilon(0.05));
  Tensor centred = varstar::add_scalar(n, -1.0);
  CHECK(varstar::mean(varstar::mul(centred, centred)).item() == doctest::Approx(4.0).epsilon(0.05));
}

TEST_CASE("the cross-entropy target check is set per thread, and a scope restores it") {
  REQUIRE(varstar::cross_entropy_target_check());
  bool seen_elsewhere = false;
  {
    const varstar::CrossEntropyTargetCheckScope off(false);
    CHECK_FALSE(varstar::cross_entropy_target_check());
    std::thread([&] { seen_elsewhere = varstar::cross_entropy_target_check(); }).join();
    // CPU targets are checked regardless.
    const Tensor logits = Tensor::from_vector(std::vector<float>(6, 0.0f), {2, 3});
    CHECK_THROWS_AS(varstar::cross_entropy(logits, Tensor::from_vector(std::vector<int32_t>{0, 3}, {2})),
                    varstar::Error);
  }
  CHECK(seen_elsewhere);
  CHECK(varstar::cross_entropy_target_check());
}
