// The CUDA runtime pieces around the kernels: the caching allocator
// (statistics, stream-ordered reuse, cross-stream holds), pinned memory and
// the BatchUploader, the fused multi-tensor Adam against the CPU step, whole-
// step CUDA graphs against eager steps (a small MLP and the thesis CNN-LSTM),
// the capture rules, the cross-entropy NaN guard, and elementwise kernels on
// misaligned views and on tensors of more than 2^31 elements. Label cuda; skipped without a GPU.
#include <doctest/doctest.h>
#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/autograd.h"
#include "engine/batch_uploader.h"
#include "engine/cuda_backend.h"
#include "engine/cuda_graph.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/random.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/check.cuh"
#include "models/models.h"

using varstar::Device;
using varstar::DType;
using varstar::Tensor;

std::string varstar_test_skip_reason() {
  if (!varstar::cuda_available()) return varstar::cuda::unavailable_reason();
  return {};
}

namespace {

constexpr double kAdamRelTolerance = 1e-5;   // CPU vs GPU float32 rounding (FMA contraction)
constexpr double kAdamAbsTolerance = 1e-7;
constexpr double kGraphRelTolerance = 1e-6;  // graph replay vs eager: the same kernels on the same data
constexpr double kGraphAbsTolerance = 1e-7;
const Device kGpu = Device::cuda(0);

Tensor random_f32(const varstar::Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  varstar::Generator gen(seed);
  return varstar::uniform(shape, low, high, gen, DType::f32);
}

// Largest |a - b| - rel * |a| over the elements (<= abs means close).
void require_close(const Tensor& a, const Tensor& b, double rel, double abs, const std::string& what) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(std::abs(double(x[i]) - double(y[i])) <= abs + rel * std::abs(double(x[i])))) {
      FAIL(what << ": element " << i << " of " << x.size() << ": " << x[i] << " vs " << y[i]);
    }
  }
}

varstar::cuda_stream raw_stream() {
  cudaStream_t s = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess);
  return s;
}

}  // namespace

// ---- allocator --------------------------------------------------------------------

TEST_CASE("allocator: statistics count bytes in use, the peak and cache hits") {
  varstar::cuda::synchronize(0);
  const auto before = varstar::cuda::device_memory_stats(0);
  const size_t bytes = (size_t{3} << 20) + 5;  // rounds up to 4 MiB
  const size_t rounded = varstar::cuda::CachingAllocator::round_size(bytes);
  CHECK(rounded == (size_t{4} << 20));
  {
    Tensor t = Tensor::empty({static_cast<int64_t>(bytes)}, DType::i32, kGpu);  // 4 * bytes
    const auto during = varstar::cuda::device_memory_stats(0);
    CHECK(during.bytes_in_use == before.bytes_in_use + varstar::cuda::CachingAllocator::round_size(4 * bytes));
    CHECK(during.peak_bytes >= during.bytes_in_use);
  }
  const auto after_free = varstar::cuda::device_memory_stats(0);
  CHECK(after_free.bytes_in_use == before.bytes_in_use);
  {
    Tensor t = Tensor::empty({static_cast<int64_t>(bytes)}, DType::i32, kGpu);
    const auto again = varstar::cuda::device_memory_stats(0);
    CHECK(again.cache_hits == after_free.cache_hits + 1);
    CHECK(again.device_mallocs == after_free.device_mallocs);
  }
}

TEST_CASE("allocator: a block freed on one stream is not handed to another, and waits for recorded streams") {
  auto& alloc = varstar::cuda::CachingAllocator::get(0);
  varstar::cuda_stream s1 = raw_stream(), s2 = raw_stream();
  const size_t size = 1 << 16;
  void* p = alloc.allocate(size, s1);
  alloc.release(p);
  void* q = alloc.allocate(size, s2);
  CHECK(q != p);
  void* r = alloc.allocate(size, s1);
  CHECK(r == p);

  // r is also used on s2, whose queue is held up: the block must not be
  // reused on s1 until s2 has passed the point of the release.
  alloc.record_stream(r, s2);
#ifdef VARSTAR_CUDA_EMULATED
  // Deferred streams (ctest's setting here) hold s2's memset back until s2 is waited for.
  REQUIRE(varstar::emu::deferred_streams());
  REQUIRE(cudaMemsetAsync(r, 0, size, s2) == cudaSuccess);
#else
  static std::atomic<bool> go{false};
  go = false;
  REQUIRE(cudaLaunchHostFunc(
              s2, [](void*) {
                while (!go.load()) {
                }
              },
              nullptr) == cudaSuccess);
#endif
  alloc.release(r);
  void* while_held = alloc.allocate(size, s1);
  CHECK(while_held != r);
#ifndef VARSTAR_CUDA_EMULATED
  go = true;
#endif
  REQUIRE(cudaStreamSynchronize(s2) == cudaSuccess);
  void* after = alloc.allocate(size, s1);
  CHECK(after == r);
  for (void* ptr : {q, while_held, after}) alloc.release(ptr);
  cudaStreamDestroy(s1);
  cudaStreamDestroy(s2);
}

// ---- pinned memory and the batch uploader ------------------------------------------------

TEST_CASE("pinned memory: an asynchronous round trip") {
  const int64_t n = 100003;
  auto* host = static_cast<float*>(varstar::cuda::pinned_malloc(n * sizeof(float)));
  REQUIRE(host != nullptr);
  for (int64_t i = 0; i < n; ++i) host[i] = static_cast<float>(i) * 0.5f;
  Tensor d = Tensor::empty({n}, DType::f32, kGpu);
  varstar::cuda_stream s = varstar::cuda::current_stream(0);
  varstar::cuda::copy_host_to_device_async(d.raw_data(), host, n * sizeof(float), s, 0);
  const std::vector<float> back = d.to_vector<float>();
  for (int64_t i = 0; i < n; i += 997) CHECK(back[i] == static_cast<float>(i) * 0.5f);
  varstar::cuda::pinned_free(host);
}

TEST_CASE("BatchUploader: batches arrive in order and intact while steps compute") {
  const int64_t batch = 7, length = 359;
  varstar::BatchUploader up({{{batch, 1, length}, DType::f32}, {{batch}, DType::i32}}, kGpu, 2);
  const auto make = [&](int k) {
    std::vector<int32_t> labels(batch);
    for (int64_t i = 0; i < batch; ++i) labels[i] = static_cast<int32_t>((k + i) % 5);
    return std::vector<Tensor>{random_f32({batch, 1, length}, 1000 + k), Tensor::from_vector(labels, {batch})};
  };
  const int batches = 6;
  std::vector<std::vector<Tensor>> sent{make(0)};
  up.submit(sent[0]);
  Tensor weight = random_f32({length, 64}, 77).to(kGpu);
  for (int k = 0; k < batches; ++k) {
    std::vector<Tensor> b = up.next();
    if (k + 1 < batches) {
      sent.push_back(make(k + 1));
      up.submit(sent.back());
    }
    // Some work on the engine's stream that reads the batch while the next one uploads.
    Tensor h = varstar::relu(varstar::matmul(b[0].reshape({batch, length}), weight));
    CHECK(h.shape() == varstar::Shape{batch, 64});
    require_close(sent[k][0], b[0], 0.0, 0.0, fmt::format("features of batch {}", k));
    CHECK(sent[k][1].to_vector<int32_t>() == b[1].to_vector<int32_t>());
  }
  CHECK(up.pending() == 0);
  CHECK_THROWS_AS(up.next(), varstar::Error);
}

TEST_CASE("BatchUploader: no slot is overwritten while queued steps read it, with no host wait between steps") {
  // 16 MiB batches, each read by ten GEMMs: uploads and steps overlap for
  // real, and the host queues every step before it reads any result.
  const int64_t rows = 4096, cols = 1024;
  const int batches = 8;
  std::vector<Tensor> sent;
  for (int k = 0; k < batches; ++k) sent.push_back(random_f32({rows, cols}, 2000 + k));
  const Tensor weight = random_f32({cols, 256}, 78).to(kGpu);
  const auto step = [&](const Tensor& b) {
    Tensor total = varstar::sum(varstar::matmul(b, weight));
    for (int r = 1; r < 10; ++r) total = varstar::add(total, varstar::sum(varstar::matmul(b, weight)));
    return total;
  };
  std::vector<double> expected;  // each batch copied synchronously
  for (const Tensor& h : sent) expected.push_back(step(h.to(kGpu)).item());
  varstar::BatchUploader up({{{rows, cols}, DType::f32}}, kGpu, 2);
  up.submit({sent[0]});
  std::vector<Tensor> results;
  for (int k = 0; k < batches; ++k) {
    const Tensor b = up.next()[0];
    results.push_back(step(b));
    if (k + 1 < batches) up.submit({sent[k + 1]});  // uploads while the steps queued above compute
  }
  for (int k = 0; k < batches; ++k) {
    CAPTURE(k);
    CHECK(results[k].item() == doctest::Approx(expected[k]).epsilon(1e-6).scale(1e4));
  }
}

TEST_CASE("BatchUploader: refuses a batch for the slot in use") {
  varstar::BatchUploader up({{{4}, DType::f32}}, kGpu, 2);
  up.submit({random_f32({4}, 1)});
  up.submit({random_f32({4}, 2)});
  CHECK_THROWS_AS(up.submit({random_f32({4}, 3)}), varstar::Error);
  up.next();
  CHECK_THROWS_AS(up.submit({random_f32({4}, 3)}), varstar::Error);  // the other slot holds batch 2
  up.next();
  up.submit({random_f32({4}, 3)});  // the slot of batch 1 is free again
  CHECK(up.pending() == 1);
}

// ---- fused multi-tensor Adam ---------------------------------------------------------------

namespace {
// Parameters of many odd sizes: more tensors than one launch lists (48), and
// one tensor of more chunks than one launch runs (320 chunks of 8,192 elements).
std::vector<varstar::Shape> adam_shapes() {
  std::vector<varstar::Shape> shapes{{1}, {31}, {65537}, {3, 5, 7}, {300000}, {321 * 65536 + 17}};
  for (int i = 0; i < 50; ++i) shapes.push_back({1 + (i * 37) % 101});
  return shapes;
}

void run_adam(bool decoupled, double weight_decay) {
  const auto shapes = adam_shapes();
  varstar::nn::NamedTensors cpu_params, gpu_params;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < shapes.size(); ++i) {
    Tensor p = random_f32(shapes[i], 500 + i);
    cpu_params.emplace_back(fmt::format("p{}", i), p.clone().set_requires_grad(true));
    gpu_params.emplace_back(fmt::format("p{}", i), p.to(kGpu).set_requires_grad(true));
  }
  varstar::optim::AdamOptions o;
  o.lr = 3e-3;
  o.weight_decay = weight_decay;
  o.decoupled = decoupled;
  varstar::optim::Adam cpu_adam(cpu_params, o), gpu_adam(gpu_params, o);
  for (int step = 0; step < 3; ++step) {
    for (auto* opt : {&cpu_adam, &gpu_adam}) {
      opt->zero_grad();
      for (size_t i = 0; i < shapes.size(); ++i) {
        const Tensor& p = opt->params()[i].second;
        const Tensor g = random_f32(shapes[i], 9000 + 100 * step + i).to(p.device());
        varstar::sum(varstar::mul(p, g)).backward();  // grad = g
      }
      opt->step();
    }
  }
  CHECK(cpu_adam.steps_taken() == 3);
  CHECK(gpu_adam.steps_taken() == 3);
  for (size_t i = 0; i < shapes.size(); ++i)
    require_close(cpu_params[i].second, gpu_params[i].second, kAdamRelTolerance, kAdamAbsTolerance,
                  fmt::format("parameter {}", i));
  const auto state = gpu_adam.state();
  CHECK(state.scalars.at("step") == 3.0);
}
}  // namespace

TEST_CASE("fused Adam: three steps match the CPU (56 tensors, one of 2,568 chunks)") { run_adam(false, 0.0); }
TEST_CASE("fused Adam: L2 weight decay") { run_adam(false, 0.01); }
TEST_CASE("fused AdamW: decoupled weight decay") { run_adam(true, 0.01); }

// ---- whole-step CUDA graphs ------------------------------------------------------------------

namespace {
struct Mlp {
  Tensor w1, b1, w2, b2;
  explicit Mlp(Device d) {
    w1 = random_f32({33, 13}, 11, -0.3, 0.3).to(d).set_requires_grad(true);
    b1 = random_f32({33}, 12, -0.3, 0.3).to(d).set_requires_grad(true);
    w2 = random_f32({5, 33}, 13, -0.3, 0.3).to(d).set_requires_grad(true);
    b2 = random_f32({5}, 14, -0.3, 0.3).to(d).set_requires_grad(true);
  }
  varstar::nn::NamedTensors params() const { return {{"w1", w1}, {"b1", b1}, {"w2", w2}, {"b2", b2}}; }
  Tensor forward(const Tensor& x) const { return varstar::linear(varstar::relu(varstar::linear(x, w1, b1)), w2, b2); }
};

// A batch of 17 rows of 13 features, 5 classes.
std::pair<Tensor, Tensor> mlp_batch() {
  std::vector<int32_t> labels(17);
  for (int i = 0; i < 17; ++i) labels[i] = i % 5;
  return {random_f32({17, 13}, 21).to(kGpu), Tensor::from_vector(labels, {17}).to(kGpu)};
}

// Steps two equal MLPs on the same batch, one eagerly and one through a
// GraphedStep (two eager warm-up steps, then replays); `before_step(adam, i)`
// runs before step i of each, `forward(model, x, copy)` (copy 0: eager, 1:
// graphed) gives the logits. The weights and last losses must agree.
void check_graphed_mlp(const std::vector<double>& rates, const varstar::optim::AdamOptions& options,
                       const std::function<Tensor(const Mlp&, const Tensor&, int)>& forward) {
  const auto [x, y] = mlp_batch();
  Mlp models[2] = {Mlp(kGpu), Mlp(kGpu)};
  varstar::optim::Adam adam_e(models[0].params(), options), adam_g(models[1].params(), options);
  Tensor loss_e;
  for (double rate : rates) {
    adam_e.set_lr(rate);
    adam_e.zero_grad();
    loss_e = varstar::cross_entropy(forward(models[0], x, 0), y);
    loss_e.backward();
    adam_e.step();
  }
  varstar::GraphedStep step(kGpu, [&] {
    adam_g.zero_grad();
    Tensor loss = varstar::cross_entropy(forward(models[1], x, 1), y);
    loss.backward();
    adam_g.step();
    return loss;
  });
  Tensor loss_g;
  for (size_t i = 0; i < rates.size(); ++i) {
    CHECK(step.captures_next() == (i == static_cast<size_t>(step.warmup_steps())));
    adam_g.set_lr(rates[i]);
    loss_g = step.run();
  }
  CHECK(step.captured());
  CHECK(step.graph_nodes() > 10);
  CHECK(adam_g.steps_taken() == static_cast<int64_t>(rates.size()));
  require_close(loss_e, loss_g, kGraphRelTolerance, kGraphAbsTolerance, "loss of the last step");
  const auto pe = models[0].params(), pg = models[1].params();
  for (size_t i = 0; i < pe.size(); ++i)
    require_close(pe[i].second, pg[i].second, kGraphRelTolerance, kGraphAbsTolerance, pe[i].first);
}

Tensor mlp_forward(const Mlp& m, const Tensor& x, int) { return m.forward(x); }
}  // namespace

TEST_CASE("CUDA graph: replayed MLP steps equal eager steps") {
  check_graphed_mlp(std::vector<double>(6, 1e-3), {}, mlp_forward);
}

TEST_CASE("CUDA graph: a step recaptured every epoch reuses the retired graphs' memory") {
  // As the trainer does (the learning rate is part of the capture): one new
  // GraphedStep per epoch. Device memory must stop growing after the first.
  Tensor x = random_f32({32, 13}, 23).to(kGpu);
  std::vector<int32_t> labels(32);
  for (int i = 0; i < 32; ++i) labels[i] = i % 5;
  Tensor y = Tensor::from_vector(labels, {32}).to(kGpu);
  Mlp model(kGpu);
  varstar::optim::Adam adam(model.params(), {});
  std::vector<size_t> reserved, mallocs;
  for (int epoch = 0; epoch < 6; ++epoch) {
    varstar::GraphedStep step(kGpu, [&] {
      adam.zero_grad();
      Tensor loss = varstar::cross_entropy(model.forward(x), y);
      loss.backward();
      adam.step();
      return loss;
    });
    for (int i = 0; i < 3; ++i) step.run();
    CHECK(step.captured());
    varstar::cuda::synchronize(0);
    const auto stats = varstar::cuda::device_memory_stats(0);
    reserved.push_back(stats.bytes_reserved);
    mallocs.push_back(stats.device_mallocs);
  }
  CHECK(reserved.back() == reserved[2]);
  CHECK(mallocs.back() == mallocs[2]);
}

namespace {
// Eager steps of one copy of `model_name` against GraphedStep on another copy
// (same initial weights, same batch), then one more step on a new batch
// copied into the captured input tensor.
void graph_matches_eager(const std::string& model_name, const varstar::Shape& sample) {
  varstar::models::ModelConfig config;
  auto eager = varstar::models::make_model(model_name, config);
  auto graphed = varstar::models::make_model(model_name, config);
  eager->to(kGpu);
  graphed->to(kGpu);
  const int64_t batch = 8;
  varstar::Shape shape{batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  Tensor x = random_f32(shape, 31).to(kGpu);
  std::vector<int32_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i) labels[i] = static_cast<int32_t>(i % 5);
  Tensor y = Tensor::from_vector(labels, {batch}).to(kGpu);
  varstar::optim::Adam adam_e(eager->named_parameters(), {}), adam_g(graphed->named_parameters(), {});
  const int steps = 5;
  for (int i = 0; i < steps; ++i) {
    adam_e.zero_grad();
    varstar::cross_entropy(eager->forward(x), y).backward();
    adam_e.step();
  }
  varstar::GraphedStep step(kGpu, [&] {
    adam_g.zero_grad();
    Tensor loss = varstar::cross_entropy(graphed->forward(x), y);
    loss.backward();
    adam_g.step();
    return loss;
  });
  for (int i = 0; i < steps; ++i) step.run();
  CHECK(step.captured());
  CHECK(adam_g.steps_taken() == steps);
  const auto pe = eager->named_parameters(), pg = graphed->named_parameters();
  for (size_t i = 0; i < pe.size(); ++i)
    require_close(pe[i].second, pg[i].second, kGraphRelTolerance, kGraphAbsTolerance, pe[i].first);
  // New data in the same input tensor: the replay must read it.
  x.copy_(random_f32(shape, 32).to(kGpu));
  adam_e.zero_grad();
  Tensor le = varstar::cross_entropy(eager->forward(x), y);
  le.backward();
  adam_e.step();
  Tensor lg = step.run();
  require_close(le, lg, kGraphRelTolerance, kGraphAbsTolerance, "loss on the new batch");
}
}  // namespace

TEST_CASE("CUDA graph: replayed CNN-LSTM steps equal eager steps (cuDNN conv1d, LSTM, Adam)") {
  graph_matches_eager("cnn-lstm", {1, 359});
}

TEST_CASE("CUDA graph: replayed 2D-CNN steps equal eager steps (cuDNN conv2d, max pooling, Adam)") {
  graph_matches_eager("cnn2d", {1, 24, 24});
}

TEST_CASE("WorkerStream: a thread's engine stream while it lives, the previous one after") {
  const varstar::cuda_stream base = varstar::cuda::current_stream(0);
  {
    varstar::cuda::WorkerStream w1(0, 1);
    const varstar::cuda_stream s1 = varstar::cuda::current_stream(0);
    CHECK(s1 != base);
    {
      varstar::cuda::WorkerStream w0(0, 0);  // index 0: the default engine stream
      CHECK(varstar::cuda::current_stream(0) == base);
    }
    CHECK(varstar::cuda::current_stream(0) == s1);
    varstar::cuda_stream other = nullptr;
    std::thread([&] {
      CHECK_FALSE(varstar::cuda::current_stream(0) == s1);  // another thread keeps its own
      varstar::cuda::WorkerStream w2(0, 2);
      other = varstar::cuda::current_stream(0);
    }).join();
    CHECK(other != s1);
    CHECK(other != base);
  }
  CHECK(varstar::cuda::current_stream(0) == base);
  varstar::cuda::WorkerStream again(0, 1);
  CHECK(varstar::cuda::current_stream(0) != base);  // the same worker stream, kept for the process
}

TEST_CASE("CUDA graph: four threads capture and replay steps at once, each on its worker stream, as eagerly") {
  // Eager references on the default stream first; then every thread captures
  // its own graph (a new capture per "epoch", as the trainer does) while the
  // others capture, replay or run eagerly.
  constexpr int kThreads = 4, kEpochs = 3, kStepsPerEpoch = 4;
  Tensor x = random_f32({17, 13}, 41).to(kGpu);
  std::vector<int32_t> labels(17);
  for (int i = 0; i < 17; ++i) labels[i] = i % 5;
  Tensor y = Tensor::from_vector(labels, {17}).to(kGpu);
  Mlp reference(kGpu);
  varstar::optim::Adam adam_r(reference.params(), {});
  for (int i = 0; i < kEpochs * kStepsPerEpoch; ++i) {
    adam_r.zero_grad();
    varstar::cross_entropy(reference.forward(x), y).backward();
    adam_r.step();
  }
  std::vector<std::vector<Tensor>> results(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        varstar::cuda::WorkerStream stream(0, t + 1);
        Tensor xt = x.clone(), yt = y.clone();  // on this thread's stream
        Mlp model(kGpu);
        varstar::optim::Adam adam(model.params(), {});
        for (int epoch = 0; epoch < kEpochs; ++epoch) {
          varstar::GraphedStep step(kGpu, [&] {
            adam.zero_grad();
            Tensor loss = varstar::cross_entropy(model.forward(xt), yt);
            loss.backward();
            adam.step();
            return loss;
          });
          for (int i = 0; i < kStepsPerEpoch; ++i) step.run();
          if (!step.captured()) errors[t] = "a step was never captured";
        }
        if (adam.steps_taken() != kEpochs * kStepsPerEpoch) errors[t] = "wrong step count";
        for (const auto& p : model.params()) results[t].push_back(p.second.to(Device::cpu()));
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (std::thread& th : threads) th.join();
  const auto pr = reference.params();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(errors[t].empty());
    REQUIRE(results[t].size() == pr.size());
    for (size_t i = 0; i < pr.size(); ++i)
      require_close(pr[i].second.to(Device::cpu()), results[t][i], kGraphRelTolerance, kGraphAbsTolerance, pr[i].first);
  }
}

TEST_CASE("CUDA graph: a host copy inside the capture fails clearly, and the engine carries on") {
  varstar::CudaGraph g1(kGpu);
  CHECK_THROWS_WITH_AS(g1.capture([] { Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2}, kGpu); }),
                       doctest::Contains("captured"), varstar::Error);
  CHECK_FALSE(g1.captured());
  Tensor a = random_f32({100}, 41).to(kGpu);
  Tensor b = varstar::add(a, a);
  require_close(varstar::mul_scalar(a, 2.0), b, 0.0, 0.0, "an op after a failed capture");
}

TEST_CASE("CUDA graph: Adam's learning rate, set between replays, is the one a replay uses") {
  // AdamW: the rate also scales the decoupled decay.
  check_graphed_mlp({1e-2, 1e-2, 3e-3, 5e-2, 5e-2, 1e-4, 2e-2}, varstar::optim::adamw_options(1e-2), mlp_forward);
  Mlp model(kGpu);
  varstar::optim::Adam adam(model.params(), {});
  const auto [x, y] = mlp_batch();
  varstar::cross_entropy(model.forward(x), y).backward();
  adam.step();  // eager: the device rate exists from here on
  varstar::CudaGraph g(kGpu);
  CHECK_THROWS_WITH_AS(g.capture([&] { adam.set_lr(0.5); }), doctest::Contains("between replays"), varstar::Error);
}

TEST_CASE("CUDA graph: Adam's first step, or one without gradients, cannot be captured (the step counter)") {
  Mlp model(kGpu);
  varstar::optim::Adam adam(model.params(), {});
  Tensor x = random_f32({4, 13}, 42).to(kGpu);
  varstar::CudaGraph g(kGpu);
  const auto first_step = [&] {
    varstar::sum(model.forward(x)).backward();
    adam.step();
  };
  CHECK_THROWS_WITH_AS(g.capture(first_step), doctest::Contains("eagerly first"), varstar::Error);
  CHECK_FALSE(g.captured());
  adam.zero_grad();  // the failed capture's gradients were never computed
  first_step();       // eager: the counter exists from here on
  // A captured step with no gradients would freeze the counter at every replay.
  const auto step_without_gradients = [&] {
    adam.zero_grad();
    adam.step();
  };
  CHECK_THROWS_WITH_AS(g.capture(step_without_gradients), doctest::Contains("no CUDA parameter gradients"),
                       varstar::Error);
  CHECK_FALSE(g.captured());
}

TEST_CASE("CUDA graph: captured dropout draws at each replay the masks eager dropout draws, eager calls between") {
  // Two dropouts in one capture: 1001 aligned elements (the float4 kernel and
  // its tail) and a view one float in (the per-element kernel).
  const Tensor x_cpu = random_f32({1001}, 71);
  const Tensor x = x_cpu.to(kGpu);
  varstar::Generator gen(11), ref(11);
  Tensor y_vec, y_scalar;
  varstar::CudaGraph g(kGpu);
  g.capture([&] {
    y_vec = varstar::dropout(x, 0.4, true, gen);
    y_scalar = varstar::dropout(x.slice(0, 1, 1000), 0.3, true, gen);
  });
  CHECK(gen.offset() == 0);  // the capture drew nothing
  Tensor previous;
  for (int r = 0; r < 4; ++r) {
    CAPTURE(r);
    g.replay();
    const Tensor want_vec = varstar::dropout(x_cpu, 0.4, true, ref);
    const Tensor want_scalar = varstar::dropout(x_cpu.slice(0, 1, 1000), 0.3, true, ref);
    CHECK(gen.offset() == ref.offset());
    require_close(want_vec, y_vec.to(Device::cpu()), 0.0, 0.0, "the float4 kernel's mask");
    require_close(want_scalar, y_scalar.to(Device::cpu()), 0.0, 0.0, "the per-element kernel's mask");
    const Tensor now = y_vec.to(Device::cpu());
    if (previous.defined()) {
      const Tensor change = varstar::sub(now, previous);
      CHECK(varstar::sum(varstar::mul(change, change)).item() > 0.0);  // a new mask
    }
    previous = now;
    if (r == 1) {  // an eager draw between replays moves both generators alike
      varstar::dropout(x, 0.5, true, gen);
      varstar::dropout(x_cpu, 0.5, true, ref);
    }
  }
  gen.set_state(12, gen.offset());
  CHECK_THROWS_WITH_AS(g.replay(), doctest::Contains("reseeded"), varstar::Error);
  // A reseed inside the capture, after its last dropout, is refused too (not undone).
  const auto dropout_then_reseed = [&] {
    y_vec = varstar::dropout(x, 0.4, true, gen);
    gen.set_state(13, 0);
  };
  varstar::CudaGraph reseeding(kGpu);
  CHECK_THROWS_WITH_AS(reseeding.capture(dropout_then_reseed), doctest::Contains("reseeded during a CUDA graph capture"),
                       varstar::Error);
  CHECK_FALSE(reseeding.captured());
}

TEST_CASE("CUDA graph: a training step with dropout, replayed, equals the same steps run eagerly") {
  varstar::Generator gens[2] = {varstar::Generator(5), varstar::Generator(5)};
  check_graphed_mlp(std::vector<double>(6, 1e-3), {}, [&](const Mlp& m, const Tensor& x, int copy) {
    const Tensor hidden = varstar::relu(varstar::linear(x, m.w1, m.b1));
    return varstar::linear(varstar::dropout(hidden, 0.25, true, gens[copy]), m.w2, m.b2);
  });
  CHECK(gens[1].offset() == gens[0].offset());
  CHECK(gens[1].offset() > 0);
}

// ---- device-wide calls ------------------------------------------------------------------------------

TEST_CASE("DeviceWideCall: one nested in the same thread does not wait for itself; another thread waits") {
  std::atomic<bool> entered{false};
  std::thread other;
  {
    varstar::cuda::detail::DeviceWideCall outer;
    { varstar::cuda::detail::DeviceWideCall inner; }  // not reentrant: a deadlock or EDEADLK
    other = std::thread([&] {
      varstar::cuda::detail::DeviceWideCall mine;
      entered = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(entered.load());  // the outer call still holds the gate after the inner one ended
  }
  other.join();
  CHECK(entered.load());
}

TEST_CASE("a convolution as a thread's first GPU work: the search times the GEMM path, which makes the cuBLAS handle") {
  const bool was = varstar::cuda::conv_gemm_candidate();
  varstar::cuda::set_conv_gemm_candidate(true);
  // A shape no other case uses, so that its algorithms are searched (and the GEMM path timed) in the new thread.
  const Tensor x = random_f32({3, 7, 61}, 61), w = random_f32({5, 7, 3}, 62), b = random_f32({5}, 63);
  Tensor got;
  std::string error;
  std::thread([&] {
    try {
      got = varstar::conv1d(x.to(kGpu), w.to(kGpu), b.to(kGpu), 1, 1).to(Device::cpu());
    } catch (const std::exception& e) {
      error = e.what();
    }
  }).join();
  varstar::cuda::set_conv_gemm_candidate(was);
  REQUIRE(error.empty());
  require_close(varstar::conv1d(x, w, b, 1, 1), got, 1e-5, 1e-5, "conv1d in a fresh thread");
}

// ---- cross-entropy guard ------------------------------------------------------------------------

TEST_CASE("cross_entropy on CUDA: a bad target is named with the check on, and gives NaN with it off") {
  Tensor logits = random_f32({3, 5}, 51).to(kGpu);
  Tensor bad = Tensor::from_vector(std::vector<int32_t>{1, 7, 2}, {3}).to(kGpu);
  CHECK_THROWS_WITH_AS(varstar::cross_entropy(logits, bad), doctest::Contains("target 7 of sample 1"), varstar::Error);
  varstar::set_cross_entropy_target_check(false);
  const double loss = varstar::cross_entropy(logits, bad).item();
  varstar::set_cross_entropy_target_check(true);
  CHECK(std::isnan(loss));
}

// ---- more than 2^31 elements ------------------------------------------------------------------------

TEST_CASE("elementwise kernels: float4 and scalar paths (aligned or not, every tail length) equal the CPU") {
  const Tensor a = random_f32({1031}, 41), b = random_f32({1031}, 42);
  const Tensor ga = a.to(kGpu), gb = b.to(kGpu);
  for (int64_t offset = 0; offset < 4; ++offset) {      // views 0..3 floats past a 16-byte boundary
    for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 1021}) {    // every n % 4
      CAPTURE(offset);
      CAPTURE(n);
      const Tensor x = a.slice(0, offset, offset + n), y = b.slice(0, 4 - offset, 4 - offset + n);
      const Tensor gx = ga.slice(0, offset, offset + n), gy = gb.slice(0, 4 - offset, 4 - offset + n);
      CHECK(varstar::add(gx, gy).to_vector<float>() == varstar::add(x, y).to_vector<float>());
      CHECK(varstar::mul(gx, gy).to_vector<float>() == varstar::mul(x, y).to_vector<float>());
      CHECK(varstar::relu(gx).to_vector<float>() == varstar::relu(x).to_vector<float>());
      Tensor cx = x.clone(), cgx = gx.clone();
      cx.set_requires_grad(true);
      cgx.set_requires_grad(true);
      varstar::sum(varstar::mul(varstar::relu(cx), y)).backward();
      varstar::sum(varstar::mul(varstar::relu(cgx), gy)).backward();
      CHECK(cgx.grad().to_vector<float>() == cx.grad().to_vector<float>());
    }
  }
}

TEST_CASE("elementwise kernels index past 2^31 elements (int64 offsets)") {
  const int64_t n = (int64_t{1} << 31) + 4099;
  size_t free_bytes = 0, total_bytes = 0;
  varstar::cuda::device_memory_info(0, &free_bytes, &total_bytes);
  const size_t needed = static_cast<size_t>(n) * 4 * 4;  // x, y, z and half of w, with room
  if (free_bytes < needed) {
    MESSAGE("skipped: needs " << needed / (1 << 30) << " GiB free on the GPU, " << free_bytes / (1 << 30) << " free");
    return;
  }
  const auto tail = [](const Tensor& t, int64_t count) {
    return t.slice(0, t.numel() - count, t.numel()).to_vector<float>();
  };
  {
    Tensor x = Tensor::full({n}, 1.5, DType::f32, kGpu);  // fill kernel
    // Distinct values in the last 8 elements: x[n - 8 + k] = 10 + k.
    x.slice(0, n - 8, n).copy_(Tensor::from_vector(std::vector<float>{10, 11, 12, 13, 14, 15, 16, 17}, {8}));
    Tensor y = varstar::mul_scalar(x, 2.0);  // affine kernel
    CHECK(tail(y, 3) == std::vector<float>{30, 32, 34});
    Tensor z = varstar::add(x, y);  // contiguous binary kernel
    CHECK(tail(z, 3) == std::vector<float>{45, 48, 51});
    y = Tensor();
    z = Tensor();
    // A strided gather of the odd indices (n is odd): its last four are x[n - 8], x[n - 6], x[n - 4], x[n - 2].
    Tensor w = x.slice(0, 1, n, 2).contiguous();
    CHECK(w.numel() == (n - 1) / 2);
    CHECK(tail(w, 4) == std::vector<float>{10, 12, 14, 16});
    CHECK(tail(w.slice(0, 0, w.numel() - 4), 2) == std::vector<float>{1.5f, 1.5f});
  }
  varstar::cuda::empty_cache(0);
}
