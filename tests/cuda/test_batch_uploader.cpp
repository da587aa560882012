// BatchUploader and GraphedStep on the CPU, where they must behave like the
// CUDA path minus the asynchrony: batches in submission order and intact, the
// slot rules (depth >= 2, no upload into the batch in use), layout errors
// that name the tensor; a GraphedStep on the CPU runs every step eagerly.
// Runs everywhere (no label); the CUDA side is tests/cuda/test_cuda_runtime.cpp.
#include <doctest/doctest.h>

#include <vector>

#include "engine/batch_uploader.h"
#include "engine/cuda_graph.h"
#include "engine/ops.h"
#include "engine/random.h"

using varstar::Device;
using varstar::DType;
using varstar::Tensor;

namespace {
Tensor random_f32(const varstar::Shape& shape, uint64_t seed) {
  varstar::Generator gen(seed);
  return varstar::uniform(shape, -1.0, 1.0, gen, DType::f32);
}
}  // namespace

TEST_CASE("BatchUploader on the CPU: batches come back in order and unchanged") {
  varstar::BatchUploader up({{{3, 5}, DType::f32}, {{3}, DType::i32}}, Device::cpu(), 3);
  std::vector<std::vector<Tensor>> sent;
  for (int k = 0; k < 2; ++k) {
    sent.push_back({random_f32({3, 5}, 10 + k), Tensor::from_vector(std::vector<int32_t>{k, k + 1, k + 2}, {3})});
    up.submit(sent.back());
  }
  CHECK(up.pending() == 2);
  for (int k = 0; k < 6; ++k) {
    const std::vector<Tensor> b = up.next();
    if (k + 2 < 6) {
      sent.push_back({random_f32({3, 5}, 10 + k + 2),
                      Tensor::from_vector(std::vector<int32_t>{k + 2, k + 3, k + 4}, {3})});
      up.submit(sent.back());
    }
    CHECK(b[0].to_vector<float>() == sent[k][0].to_vector<float>());
    CHECK(b[1].to_vector<int32_t>() == sent[k][1].to_vector<int32_t>());
  }
  CHECK(up.pending() == 0);
}

TEST_CASE("BatchUploader: slot rules and layout errors") {
  CHECK_THROWS_AS(varstar::BatchUploader({{{4}, DType::f32}}, Device::cpu(), 1), varstar::Error);
  varstar::BatchUploader up({{{4}, DType::f32}}, Device::cpu(), 2);
  CHECK_THROWS_AS(up.next(), varstar::Error);
  CHECK_THROWS_WITH_AS(up.submit({random_f32({5}, 1)}), doctest::Contains("tensor 0"), varstar::Error);
  CHECK_THROWS_AS(up.submit({random_f32({4}, 1), random_f32({4}, 2)}), varstar::Error);
  up.submit({random_f32({4}, 1)});
  up.submit({random_f32({4}, 2)});
  CHECK_THROWS_AS(up.submit({random_f32({4}, 3)}), varstar::Error);  // both slots hold batches
  up.next();
  CHECK_THROWS_AS(up.submit({random_f32({4}, 3)}), varstar::Error);  // one waits, one is in use
  up.next();
  up.submit({random_f32({4}, 3)});
  CHECK(up.pending() == 1);
}

TEST_CASE("GraphedStep on the CPU runs the step eagerly every time") {
  int calls = 0;
  Tensor w = random_f32({4}, 5);
  varstar::GraphedStep step(Device::cpu(), [&] {
    ++calls;
    return varstar::sum(varstar::mul_scalar(w, static_cast<double>(calls)));
  });
  double expected = 0;
  for (float v : w.to_vector<float>()) expected += v;
  for (int i = 1; i <= 4; ++i) {
    CHECK_FALSE(step.captures_next());
    CHECK(step.run().item() == doctest::Approx(expected * i));
  }
  CHECK(calls == 4);
  CHECK_FALSE(step.captured());
}
