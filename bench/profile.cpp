// Profiled training steps and the profiler's overhead measurement (see profile.h).
#include "bench/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/bench.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"

namespace varstar::bench {

namespace {
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

SyntheticStep::SyntheticStep(const std::string& model, int64_t batch, Device device, uint64_t seed) {
  models::ModelConfig config;
  config.num_classes = 5;
  config.seed = seed;
  model_ = models::make_model(model, config);
  model_->to(device);
  model_->train();
  optim::AdamOptions adam_options;
  adam_options.lr = 2e-4;
  adam_ = std::make_unique<optim::Adam>(model_->named_parameters(), adam_options);
  Shape shape{batch};
  for (int64_t s : model_->sample_shape()) shape.push_back(s);
  Generator gen(seed + 1);
  x_ = uniform(shape, -1.0, 1.0, gen).to(device);
  std::vector<int32_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i) labels[i] = static_cast<int32_t>(i % config.num_classes);
  y_ = Tensor::from_vector(labels, {batch}).to(device);
}

double SyntheticStep::run() {
  adam_->zero_grad();
  Tensor loss = cross_entropy(model_->forward(x_), y_);
  loss.backward();
  adam_->step();
  return loss.item();  // synchronises a CUDA device
}

profiler::Session profile_training_steps(const ProfileOptions& o) {
  SyntheticStep step(o.model, o.batch, o.device);
  for (int i = 0; i < o.warmup; ++i) step.run();
  profiler::start();
  for (int i = 0; i < o.steps; ++i) {
    profiler::StepGuard guard(fmt::format("{} step {}", o.model, i + 1));
    step.run();
  }
  profiler::stop();
  return profiler::session();
}

profiler::Peaks measure_peaks(Device device) {
  profiler::Peaks peaks;
  if (device.is_cpu()) {
    peaks.gflops = measure_sgemm_gflops();
    peaks.gbps = profiler::measure_host_memcpy_gbps();
  }
  return peaks;
}

profiler::Summary report_profile(const profiler::Session& session, const profiler::Peaks& peaks,
                                 const std::string& title, const std::string& trace_path, std::FILE* out) {
  const profiler::Summary summary = profiler::summarize(session);
  fmt::print(out, "\n== profile: {} ==\n{}\n{}", title, profiler::format_table(summary, peaks),
             profiler::format_steps(summary));
  if (!trace_path.empty()) {
    profiler::write_trace(trace_path, session);
    fmt::print(out, "trace: {} ({} op events; open it in https://ui.perfetto.dev or chrome://tracing)\n", trace_path,
               session.events.size());
  }
  return summary;
}

std::string trace_path_for(const std::string& trace_path, const std::string& model, bool several) {
  if (!several || trace_path.empty()) return trace_path;
  const size_t slash = trace_path.find_last_of('/');
  const size_t dot = trace_path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return trace_path + "." + model;
  return trace_path.substr(0, dot) + "." + model + trace_path.substr(dot);
}

OverheadResult measure_overhead(const OverheadOptions& o) {
  OverheadResult r;
  // (1) The training step, rounds alternating which setting goes first.
  SyntheticStep step(o.model, o.batch, Device::cpu());
  for (int i = 0; i < 2; ++i) step.run();
  std::vector<double> off_rounds, on_rounds;
  const auto timed_steps = [&](bool on) {
    std::vector<double> times;
    if (on) profiler::start();
    for (int i = 0; i < o.steps_per_round; ++i) {
      profiler::StepGuard guard;
      const auto t0 = Clock::now();
      step.run();
      times.push_back(ms_since(t0));
    }
    if (on) {
      profiler::stop();
      r.scopes_per_step = static_cast<int64_t>(profiler::session().events.size()) / std::max(o.steps_per_round, 1);
    }
    return median(times);
  };
  for (int round = 0; round < o.rounds; ++round) {
    fmt::print(stderr, "\roverhead: training-step round {}/{}", round + 1, o.rounds);
    std::fflush(stderr);
    if (round % 2 == 0) {
      off_rounds.push_back(timed_steps(false));
      on_rounds.push_back(timed_steps(true));
    } else {
      on_rounds.push_back(timed_steps(true));
      off_rounds.push_back(timed_steps(false));
    }
  }
  fmt::print(stderr, "\n");
  r.step_off_ms = median(off_rounds);
  r.step_on_ms = median(on_rounds);

  // (2) Tiny ops: 1-element adds, where the per-op cost shows most.
  const Tensor a = Tensor::full({1}, 1.0), b = Tensor::full({1}, 2.0);
  const auto tiny_round = [&](bool on) {
    if (on) profiler::start();
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < o.tiny_ops; ++i) {
      Tensor c = add(a, b);
      asm volatile("" : : "r"(c.impl_ptr().get()) : "memory");
    }
    const double ns = ms_since(t0) * 1e6 / static_cast<double>(o.tiny_ops);
    if (on) profiler::stop();
    return ns;
  };
  std::vector<double> tiny_off, tiny_on;
  for (int round = 0; round < o.rounds; ++round) {
    tiny_off.push_back(tiny_round(false));
    tiny_on.push_back(tiny_round(true));
  }
  r.tiny_add_off_ns = median(tiny_off);
  r.tiny_add_on_ns = median(tiny_on);

  // (3) The disabled scope alone, against the same loop without it: the whole
  // cost of the hook when the profiler is off.
  const int64_t n = 20'000'000;
  std::vector<double> scope_ns, empty_ns;
  for (int round = 0; round < o.rounds; ++round) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      VARSTAR_PROFILE_OP("add", a, b);
      asm volatile("" : : : "memory");
    }
    scope_ns.push_back(ms_since(t0) * 1e6 / static_cast<double>(n));
    t0 = Clock::now();
    for (int64_t i = 0; i < n; ++i) asm volatile("" : : : "memory");
    empty_ns.push_back(ms_since(t0) * 1e6 / static_cast<double>(n));
  }
  r.scope_off_ns = median(scope_ns);
  r.empty_loop_ns = median(empty_ns);
  return r;
}

}  // namespace varstar::bench
