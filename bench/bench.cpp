// Training-step and SGEMM benchmarks (see bench.h).
#include "bench/bench.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/threads.h"
#include "kernels/gemm.h"
#include "models/flops.h"
#include "varstar_bench_paths.h"

namespace varstar::bench {

namespace {
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void sync(Device d) {
  if (d.is_cuda()) cuda::synchronize(d.index);
}
}  // namespace

StepResult bench_training_step(const StepOptions& o) {
  set_num_threads(o.threads);
  models::ModelConfig config;
  config.num_classes = 5;
  auto model = models::make_model(o.model, config);
  model->to(o.device);
  model->train();
  optim::AdamOptions adam_options;
  adam_options.lr = 2e-4;
  optim::Adam adam(model->named_parameters(), adam_options);
  Shape shape{o.batch};
  for (int64_t s : model->sample_shape()) shape.push_back(s);
  Generator gen(7);
  const Tensor x = uniform(shape, -1.0, 1.0, gen).to(o.device);
  std::vector<int32_t> labels(o.batch);
  for (int64_t i = 0; i < o.batch; ++i) labels[i] = static_cast<int32_t>(i % config.num_classes);
  const Tensor y = Tensor::from_vector(labels, {o.batch}).to(o.device);

  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.steps; ++i) {
    sync(o.device);
    const auto t0 = Clock::now();
    adam.zero_grad();
    Tensor loss = cross_entropy(model->forward(x), y);
    loss.backward();
    adam.step();
    sync(o.device);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (i >= o.warmup) times.push_back(ms);
  }
  StepResult r;
  r.model = o.model;
  r.engine = "varstar";
  r.batch = o.batch;
  r.steps = o.steps;
  r.median_step_ms = median(times);
  r.samples_per_s = 1000.0 * static_cast<double>(o.batch) / r.median_step_ms;
  r.gflops = models::training_step_flops(*model, o.batch) / (r.median_step_ms * 1e6);
  return r;
}

std::optional<StepResult> bench_torch_step(const StepOptions& o, const std::string& python, std::string* why) {
  const std::string cmd =
      fmt::format("'{}' '{}' --model {} --batch {} --steps {} --warmup {} --threads {} 2>&1", python,
                  VARSTAR_TORCH_BENCH_SCRIPT, o.model, o.batch, o.steps, o.warmup,
                  o.threads > 0 ? o.threads : num_threads());
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    if (why) *why = "cannot start " + python;
    return std::nullopt;
  }
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  const int status = pclose(pipe.release());
  const size_t brace = out.rfind('{');
  if (status != 0 || brace == std::string::npos) {
    if (why) *why = fmt::format("PyTorch benchmark failed: {}", out.substr(0, 300));
    return std::nullopt;
  }
  const auto j = nlohmann::json::parse(out.substr(brace));
  StepResult r;
  r.model = o.model;
  r.engine = "pytorch " + j.value("torch", std::string("?"));
  r.batch = o.batch;
  r.steps = o.steps;
  r.median_step_ms = j.at("median_step_ms").get<double>();
  r.samples_per_s = 1000.0 * static_cast<double>(o.batch) / r.median_step_ms;
  models::ModelConfig config;
  config.num_classes = 5;
  r.gflops = models::training_step_flops(*models::make_model(o.model, config), o.batch) / (r.median_step_ms * 1e6);
  return r;
}

StepResult median_round(std::vector<StepResult> rounds) {
  VARSTAR_CHECK(!rounds.empty(), "median_round: no rounds");
  std::sort(rounds.begin(), rounds.end(),
            [](const StepResult& a, const StepResult& b) { return a.median_step_ms < b.median_step_ms; });
  return rounds[rounds.size() / 2];
}

double measure_sgemm_gflops(int64_t n, int repeats) {
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (int64_t i = 0; i < n * n; ++i) {
    a[i] = static_cast<float>((i * 7) % 13) * 0.1f;
    b[i] = static_cast<float>((i * 11) % 17) * 0.1f;
  }
  cpu::gemm<float>(false, false, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);  // warm-up
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    cpu::gemm<float>(false, false, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 2.0 * static_cast<double>(n) * n * n / median(times) / 1e9;
}

}  // namespace varstar::bench
