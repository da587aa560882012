// `varstar profile`: where a training step spends its time and memory.
//   varstar profile [--models cnn-lstm cnn2d] [--trace out.json]   op table, steps, Perfetto trace
//   varstar profile --overhead                                      the profiler's own cost
//   varstar profile --op gelu --shape 32,256,179                    one op, forward + backward
#include <functional>
#include <map>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "bench/profile.h"
#include "engine/ops.h"
#include "engine/threads.h"

namespace {

struct ProfileArgs {
  std::vector<std::string> models{"cnn-lstm", "cnn2d"};
  int64_t batch = 32;
  int steps = 3;
  int warmup = 1;
  int threads = 0;
  std::string device = "cpu";
  std::string trace;
  bool no_peaks = false;
  bool overhead = false;
  int rounds = 7;
  std::string op;
  std::vector<int64_t> shape{32, 256, 179};
  int reps = 20;
};

using UnaryFn = std::function<varstar::Tensor(const varstar::Tensor&)>;
const std::map<std::string, UnaryFn>& benchable_ops() {
  using varstar::Tensor;
  static const std::map<std::string, UnaryFn> ops = {
      {"relu", [](const Tensor& x) { return varstar::relu(x); }},
      {"tanh", [](const Tensor& x) { return varstar::tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return varstar::sigmoid(x); }},
      {"gelu", [](const Tensor& x) { return varstar::gelu(x); }},
      {"add", [](const Tensor& x) { return varstar::add(x, x); }},
      {"mul", [](const Tensor& x) { return varstar::mul(x, x); }},
      {"sum", [](const Tensor& x) { return varstar::sum(x, {-1}); }},
      {"log_softmax", [](const Tensor& x) { return varstar::log_softmax(x.reshape({x.size(0), -1})); }},
  };
  return ops;
}

void profile_op(const ProfileArgs& a, varstar::Device device) {
  using namespace varstar;
  const auto it = benchable_ops().find(a.op);
  if (it == benchable_ops().end()) {
    std::string known;
    for (const auto& [name, fn] : benchable_ops()) known += (known.empty() ? "" : ", ") + name;
    throw Error(fmt::format("profile --op: unknown op '{}'; known: {}", a.op, known));
  }
  Generator gen(1);
  Tensor x = uniform(a.shape, -2.0, 2.0, gen).to(device).set_requires_grad(true);
  const auto run = [&] {
    Tensor y = it->second(x);
    y.backward(Tensor::ones(y.shape(), y.dtype(), y.device()));
    x.zero_grad();
  };
  for (int i = 0; i < 3; ++i) run();  // warm-up
  profiler::start();
  for (int i = 0; i < a.reps; ++i) {
    profiler::StepGuard step;
    run();
  }
  profiler::stop();
  const profiler::Peaks peaks = a.no_peaks ? profiler::Peaks{} : bench::measure_peaks(device);
  const profiler::Session session = profiler::session();
  fmt::print("== {} on {} {}, forward + backward (gradient of ones), {} repetitions, {} thread(s) ==\n{}", a.op,
             shape_str(a.shape), device.str(), a.reps, num_threads(),
             profiler::format_table(profiler::summarize(session), peaks));
  if (!a.trace.empty()) {
    profiler::write_trace(a.trace, session);
    fmt::print("trace: {}\n", a.trace);
  }
}

void run_overhead(const ProfileArgs& a) {
  using namespace varstar;
  bench::OverheadOptions o;
  o.model = a.models.front();
  o.batch = a.batch;
  o.rounds = a.rounds;
  o.steps_per_round = a.steps;
  const bench::OverheadResult r = bench::measure_overhead(o);
  fmt::print("profiler overhead, {} CPU training step, batch {}, {} thread(s); medians of {} alternating rounds\n",
             o.model, o.batch, num_threads(), o.rounds);
  fmt::print("  training step, profiler off: {:9.3f} ms\n", r.step_off_ms);
  fmt::print("  training step, profiler on:  {:9.3f} ms  ({:+.2f}%; {} op scopes per step)\n", r.step_on_ms,
             100.0 * (r.step_on_ms / r.step_off_ms - 1.0), r.scopes_per_step);
  fmt::print("  1-element add, profiler off: {:9.1f} ns\n", r.tiny_add_off_ns);
  fmt::print("  1-element add, profiler on:  {:9.1f} ns  ({:+.1f}%)\n", r.tiny_add_on_ns,
             100.0 * (r.tiny_add_on_ns / r.tiny_add_off_ns - 1.0));
  const double hook_ns = std::max(0.0, r.scope_off_ns - r.empty_loop_ns);
  fmt::print("  disabled scope: {:.2f} ns per op (loop with it {:.2f} ns, without {:.2f} ns)\n", hook_ns,
             r.scope_off_ns, r.empty_loop_ns);
  fmt::print("  => off cost: {:.3f}% of a 1-element add; {:.6f}% of the training step ({} scopes x {:.2f} ns)\n",
             100.0 * hook_ns / r.tiny_add_off_ns,
             100.0 * hook_ns * static_cast<double>(r.scopes_per_step) / (r.step_off_ms * 1e6), r.scopes_per_step,
             hook_ns);
}

void run_profile(const ProfileArgs& a) {
  using namespace varstar;
  std::string note;
  const Device device = resolve_device(a.device, &note);
  if (!note.empty()) fmt::print(stderr, "varstar: {}\n", note);
  set_num_threads(a.threads);
  if (a.overhead) return run_overhead(a);
  if (!a.op.empty()) return profile_op(a, device);
  fmt::print("varstar profile: {} profiled training step(s) per model after {} warm-up, batch {}, {} thread(s), {}\n",
             a.steps, a.warmup, a.batch, num_threads(), device.str());
  const profiler::Peaks peaks = a.no_peaks ? profiler::Peaks{} : bench::measure_peaks(device);
  for (const std::string& model : a.models) {
    fmt::print(stderr, "profiling {} ...\n", model);
    bench::ProfileOptions o;
    o.model = model;
    o.batch = a.batch;
    o.steps = a.steps;
    o.warmup = a.warmup;
    o.device = device;
    bench::report_profile(bench::profile_training_steps(o), peaks,
                          fmt::format("{} training step, batch {}, {}", model, a.batch, device.str()),
                          bench::trace_path_for(a.trace, model, a.models.size() > 1));
  }
}

varstar::app::RegisterCommand register_profile{
    {"profile", "Profile training steps op by op (table, memory, Perfetto trace), or one op, or the profiler's cost", 95,
     [](CLI::App& app) {
       auto a = std::make_shared<ProfileArgs>();
       app.add_option("--models", a->models, "Models to profile (see `varstar models`)")->capture_default_str();
       app.add_option("--batch", a->batch, "Batch size")->capture_default_str()->check(varstar::app::kAtLeastOne);
       app.add_option("--steps", a->steps, "Profiled steps (overhead: steps per round)")
           ->capture_default_str()->check(varstar::app::kAtLeastOne);
       app.add_option("--warmup", a->warmup, "Unprofiled steps first")->capture_default_str()->check(varstar::app::kNonNegative);
       app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
           ->capture_default_str()
           ->check(varstar::app::kNonNegative);
       app.add_option("--device", a->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
       app.add_option("--trace", a->trace,
                      "Write a Chrome trace-event JSON file (Perfetto, chrome://tracing); with several models, "
                      "FILE.<model>.json each");
       app.add_flag("--no-peaks", a->no_peaks, "Skip measuring the SGEMM and memcpy peaks");
       app.add_flag("--overhead", a->overhead,
                    "Measure the profiler's cost: training step off vs on, 1-element adds, the disabled hook alone");
       app.add_option("--rounds", a->rounds, "Alternating rounds for --overhead")->capture_default_str()
           ->check(varstar::app::kAtLeastOne);
       app.add_option("--op", a->op, "Profile one op, forward + backward: relu tanh sigmoid gelu add mul sum log_softmax");
       app.add_option("--shape", a->shape, "Input shape for --op")->capture_default_str()->delimiter(',');
       app.add_option("--reps", a->reps, "Repetitions for --op")->capture_default_str()->check(varstar::app::kAtLeastOne);
       app.callback([a] { run_profile(*a); });
     }}};

}  // namespace
