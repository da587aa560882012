// Training-step and SGEMM benchmarks (see bench.h).
#include "bench/bench.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/cuda_graph.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/threads.h"
#include "kernels/gemm.h"
#include "models/flops.h"
#include "varstar_bench_paths.h"

namespace varstar::bench {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

namespace {
using Clock = std::chrono::steady_clock;

void sync(Device d) {
  if (d.is_cuda()) cuda::synchronize(d.index);
}
}  // namespace

StepResult bench_training_step(const StepOptions& o) {
  set_num_threads(o.threads);
  const bool gpu = o.device.is_cuda();
  if (gpu) cuda::set_allow_tf32(o.tf32);
  const CrossEntropyTargetCheckScope unchecked_targets(false);  // a host read per step on CUDA
  const cuda::LstmKernel lstm_was = cuda::lstm_kernel();
  if (gpu && o.persistent_lstm) cuda::set_lstm_kernel(cuda::LstmKernel::persistent);
  const cuda::LstmKernel lstm_used = cuda::lstm_kernel();  // otherwise as chosen (VARSTAR_LSTM)
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

  GraphedStep step(
      o.device,
      [&] {
        adam.zero_grad();
        Tensor loss = cross_entropy(model->forward(x), y);
        loss.backward();
        adam.step();
        return loss;
      },
      o.warmup, o.graph && gpu);
  const int warmup = step.warmup_steps();  // at least one before a capture
  std::vector<double> times;
  for (int i = 0; i < warmup + 1 + o.steps; ++i) {  // one more untimed step: the capture
    sync(o.device);
    const auto t0 = Clock::now();
    step.run();
    sync(o.device);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (i > warmup) times.push_back(ms);
  }
  if (gpu) cuda::set_lstm_kernel(lstm_was);
  StepResult r;
  r.model = o.model;
  r.engine = step.captured() ? "varstar graph" : "varstar";
  if (gpu && lstm_used == cuda::LstmKernel::persistent) r.engine += " plstm";
  if (gpu && lstm_used == cuda::LstmKernel::sample_local) r.engine += " slstm";
  r.batch = o.batch;
  r.steps = o.steps;
  r.median_step_ms = median(times);
  r.samples_per_s = 1000.0 * static_cast<double>(o.batch) / r.median_step_ms;
  r.gflops = models::training_step_flops(*model, o.batch) / (r.median_step_ms * 1e6);
  return r;
}

std::vector<StepResult> bench_torch_step(const StepOptions& o, const std::string& python, int rounds,
                                         std::string* why) {
  std::string script = VARSTAR_TORCH_BENCH_SCRIPT;
  if (const char* src = std::getenv("VARSTAR_SOURCE_DIR"); src != nullptr && src[0] != '\0')
    script = std::string(src) + "/bench/torch_bench.py";
  const bool gpu = o.device.is_cuda();
  const std::string cmd = fmt::format(
      "'{}' '{}' --model {} --batch {} --steps {} --warmup {} --threads {} --rounds {} --device {}{}{} 2>&1", python,
      script, o.model, o.batch, o.steps, o.warmup, o.threads > 0 ? o.threads : num_threads(), rounds,
      gpu ? "cuda" : "cpu", gpu && o.graph ? " --graph" : "", gpu && o.tf32 ? " --tf32" : "");
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    if (why) *why = "cannot start " + python;
    return {};
  }
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  const int status = pclose(pipe.release());
  const size_t brace = out.rfind('{');
  if (status != 0 || brace == std::string::npos) {
    if (why) *why = fmt::format("PyTorch benchmark failed: {}", out.substr(0, 600));
    return {};
  }
  const auto j = nlohmann::json::parse(out.substr(brace));
  models::ModelConfig config;
  config.num_classes = 5;
  const double flops = models::training_step_flops(*models::make_model(o.model, config), o.batch);
  std::vector<StepResult> results;
  const auto add = [&](const std::string& engine, double ms) {
    StepResult r;
    r.model = o.model;
    r.engine = engine;
    r.batch = o.batch;
    r.steps = o.steps;
    r.median_step_ms = ms;
    r.samples_per_s = 1000.0 * static_cast<double>(o.batch) / ms;
    r.gflops = flops / (ms * 1e6);
    results.push_back(r);
  };
  add("pytorch " + j.value("torch", std::string("?")), j.at("median_step_ms").get<double>());
  if (j.contains("graph_median_step_ms") && j.at("graph_median_step_ms").is_number())
    add("pytorch graph", j.at("graph_median_step_ms").get<double>());
  else if (j.contains("graph_error") && why)
    *why = "PyTorch graph: " + j.at("graph_error").get<std::string>();
  return results;
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
