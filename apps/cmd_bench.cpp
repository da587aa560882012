// `varstar bench`: training-step throughput of the thesis networks on this
// engine next to PyTorch measured in the same run, and the SGEMM peak.
#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "bench/bench.h"
#include "bench/profile.h"
#include "engine/threads.h"
#include "varstar_bench_paths.h"

namespace {

struct BenchArgs {
  std::vector<std::string> models{"cnn-lstm", "cnn2d"};
  int64_t batch = 32;
  int steps = 10;
  int warmup = 2;
  int threads = 0;
  int rounds = 3;
  std::string device = "cpu";
  std::string python = VARSTAR_DEFAULT_PYTHON;
  bool no_torch = false;
  bool json = false;
  CLI::Option* profile = nullptr;  // --profile [FILE]
  std::string profile_path;
};

void run_bench(const BenchArgs& a) {
  using namespace varstar;
  std::string note;
  const Device device = resolve_device(a.device, &note);
  if (!note.empty()) fmt::print(stderr, "varstar: {}\n", note);
  set_num_threads(a.threads);
  const int threads = num_threads();
  nlohmann::json report = {{"batch", a.batch}, {"threads", threads}, {"device", device.str()}, {"results", nlohmann::json::array()}};
  if (!a.json)
    fmt::print("varstar bench: one training step = forward + backward + Adam (lr 2e-4), batch {}, {} thread(s), {};\n"
               "median of {} steps per round, median of {} alternating rounds per engine\n",
               a.batch, threads, device.str(), a.steps, a.rounds);
  const double sgemm = bench::measure_sgemm_gflops();
  report["sgemm_gflops"] = sgemm;
  if (!a.json) {
    fmt::print("SGEMM peak (OpenBLAS, 2048 x 2048 x 2048, {} thread(s)): {:.1f} GFLOP/s\n\n", threads, sgemm);
    fmt::print("{:<14} {:<14} {:>9} {:>10} {:>9} {:>9} {:>11}\n", "model", "engine", "step ms", "samples/s", "GFLOP/s",
               "of SGEMM", "vs PyTorch");
  }
  for (const std::string& model : a.models) {
    bench::StepOptions o;
    o.model = model;
    o.batch = a.batch;
    o.steps = a.steps;
    o.warmup = a.warmup;
    o.device = device;
    o.threads = a.threads;
    // Rounds alternate between the engines so that a passing load on this
    // shared machine hits both; each reports the median round.
    std::vector<bench::StepResult> ours_rounds, torch_rounds;
    std::string why;
    const bool with_torch = !a.no_torch && device.is_cpu();
    if (!a.no_torch && device.is_cuda()) why = "the PyTorch peer runs on the CPU only here";
    for (int r = 0; r < a.rounds; ++r) {
      ours_rounds.push_back(bench::bench_training_step(o));
      if (with_torch && (r == 0 || !torch_rounds.empty())) {
        if (auto t = bench::bench_torch_step(o, a.python, &why)) torch_rounds.push_back(*t);
      }
    }
    const bench::StepResult ours = bench::median_round(ours_rounds);
    std::optional<bench::StepResult> torch;
    if (!torch_rounds.empty()) torch = bench::median_round(torch_rounds);
    const std::string ratio = torch ? fmt::format("{:.2f}x", ours.samples_per_s / torch->samples_per_s) : "n/a";
    std::vector<const bench::StepResult*> rows{&ours};
    if (torch) rows.push_back(&*torch);
    for (const bench::StepResult* r : rows) {
      report["results"].push_back(nlohmann::json{{"model", r->model}, {"engine", r->engine},
                                                 {"median_step_ms", r->median_step_ms},
                                                 {"samples_per_s", r->samples_per_s}, {"gflops", r->gflops}});
      if (!a.json)
        fmt::print("{:<14} {:<14} {:>9.1f} {:>10.1f} {:>9.1f} {:>8.0f}% {:>11}\n", r->model, r->engine.substr(0, 14),
                   r->median_step_ms, r->samples_per_s, r->gflops, 100.0 * r->gflops / sgemm,
                   r == &ours ? ratio : "");
    }
    if (!torch && !a.no_torch && !a.json) fmt::print("{:<14} (no PyTorch peer: {})\n", "", why);
  }
  if (a.profile != nullptr && a.profile->count() > 0) {  // profiled steps after the timed rounds (tables to stderr with --json)
    const std::string path = a.profile_path.empty() ? "varstar-profile.json" : a.profile_path;
    const profiler::Peaks peaks{sgemm, device.is_cpu() ? profiler::measure_host_memcpy_gbps() : 0.0};
    for (const std::string& model : a.models) {
      bench::ProfileOptions po;
      po.model = model;
      po.batch = a.batch;
      po.device = device;
      bench::report_profile(bench::profile_training_steps(po), peaks, fmt::format("{}, batch {}", model, a.batch),
                            bench::trace_path_for(path, model, a.models.size() > 1), a.json ? stderr : stdout);
    }
  }
  if (a.json) fmt::print("{}\n", report.dump(2));
}

varstar::app::RegisterCommand reg{{"bench", "Measure training-step throughput against PyTorch and the SGEMM peak", 90,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<BenchArgs>();
                                     app.add_option("--models", a->models, "Models to time (see `varstar models`)")
                                         ->capture_default_str();
                                     app.add_option("--batch", a->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
                                     app.add_option("--steps", a->steps, "Timed steps (the median is reported)")
                                         ->capture_default_str()->check(CLI::PositiveNumber);
                                     app.add_option("--warmup", a->warmup, "Untimed steps first")->capture_default_str();
                                     app.add_option("--threads", a->threads, "CPU threads (0: all cores)")->capture_default_str();
                                     app.add_option("--rounds", a->rounds, "Alternating rounds per engine (median reported)")
                                         ->capture_default_str()->check(CLI::PositiveNumber);
                                     app.add_option("--device", a->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
                                     app.add_option("--python", a->python, "Python with PyTorch for the peer measurement")
                                         ->capture_default_str();
                                     app.add_flag("--no-torch", a->no_torch, "Skip the PyTorch peer");
                                     app.add_flag("--json", a->json, "Print the results as JSON");
                                     a->profile = app.add_option("--profile", a->profile_path,
                                                                 "Then profile 3 steps per model op by op: table, "
                                                                 "memory per step, Chrome trace FILE (default "
                                                                 "varstar-profile.json; FILE.<model>.json for several)")
                                                      ->expected(0, 1);
                                     app.callback([a] { run_bench(*a); });
                                   }}};

}  // namespace
