// `varstar bench`: training-step throughput of the thesis networks on this
// engine next to PyTorch measured in the same run (on the CPU, or on the same
// GPU), and the peak rates of the machine. On CUDA also the step captured in a
// CUDA graph (--graph) and the throughput of varstar's own kernels (--kernels).
#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "bench/bench.h"
#include "bench/profile.h"
#include "bench/cuda_bench.h"
#include "engine/cuda_backend.h"
#include "engine/threads.h"
#include "kernels/conv.h"
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
  bool graph = false;
  bool kernels = false;
  bool tf32 = false;
  bool quick = false;
  bool persistent_lstm = false;
  bool im2col = false;
};

void print_step_row(const varstar::bench::StepResult& r, double peak_gflops, const std::string& ratio) {
  fmt::print("{:<14} {:<22} {:>9.2f} {:>10.1f} {:>9.1f} {:>8.1f}% {:>11}\n", r.model, r.engine.substr(0, 22),
             r.median_step_ms, r.samples_per_s, r.gflops, 100.0 * r.gflops / peak_gflops, ratio);
}

void run_bench(const BenchArgs& a) {
  using namespace varstar;
  std::string note;
  const Device device = resolve_device(a.device, &note);
  if (!note.empty()) fmt::print(stderr, "varstar: {}\n", note);
  const bool gpu = device.is_cuda();
  set_num_threads(a.threads);
  const int threads = num_threads();
  nlohmann::json report = {{"batch", a.batch}, {"threads", threads}, {"device", device.str()}, {"results", nlohmann::json::array()},
                         {"errors", nlohmann::json::array()}};
  if (!a.json)
    fmt::print("varstar bench: one training step = forward + backward + Adam (lr 2e-4), batch {}, {};\n"
               "median of {} steps per round, median of {} rounds per engine{}\n",
               a.batch, gpu ? fmt::format("{}, float32{}", cuda::device_name(device.index), a.tf32 ? " with TF32" : "")
                            : fmt::format("{} thread(s), cpu", threads),
               a.steps, a.rounds, gpu ? "; step times from host clocks around synchronised steps" : "");
  double peak = 0;  // GFLOP/s the step rates are compared with
  if (gpu) {
    const bench::GpuPeaks p = bench::measure_gpu_peaks(device.index);
    peak = a.tf32 ? p.tf32_gflops : p.sgemm_gflops;
    report["gpu"] = {{"device", p.device}, {"copy_gbs", p.copy_gbs}, {"sgemm_gflops", p.sgemm_gflops},
                     {"tf32_gflops", p.tf32_gflops}, {"cudnn", cuda::cudnn_version()}};
    if (!a.json)
      fmt::print("GPU {}, cuDNN {}: device-to-device copy {:.0f} GB/s (read + write); cuBLAS SGEMM 8192^3 "
                 "{:.0f} GFLOP/s float32, {:.0f} GFLOP/s TF32\n\n",
                 p.device, cuda::cudnn_version(), p.copy_gbs, p.sgemm_gflops, p.tf32_gflops);
  } else {
    peak = bench::measure_sgemm_gflops();
    report["sgemm_gflops"] = peak;
    if (!a.json) fmt::print("SGEMM peak (OpenBLAS, 2048 x 2048 x 2048, {} thread(s)): {:.1f} GFLOP/s\n\n", threads, peak);
  }
  if (!a.json)
    fmt::print("{:<14} {:<22} {:>9} {:>10} {:>9} {:>9} {:>11}\n", "model", "engine", "step ms", "samples/s", "GFLOP/s",
               gpu ? "of SGEMM" : "of SGEMM", "vs PyTorch");
  for (const std::string& model : a.models) {
    bench::StepOptions o;
    o.model = model;
    o.batch = a.batch;
    o.steps = a.steps;
    o.warmup = a.warmup;
    o.device = device;
    o.threads = a.threads;
    o.tf32 = a.tf32;
    std::vector<bench::StepResult> ours_rounds, graph_rounds, plstm_rounds, torch_rounds, torch_graph_rounds,
        im2col_rounds;
    std::string why;
    if (gpu) {
      // One PyTorch process per model (its start-up costs seconds): rounds run inside it.
      // A failing mode is reported and skipped; the other rows still run.
      std::string graph_error;
      for (int r = 0; r < a.rounds; ++r) {
        o.graph = false;
        ours_rounds.push_back(bench::bench_training_step(o));
        if (a.graph && graph_error.empty()) {
          o.graph = true;
          try {
            graph_rounds.push_back(bench::bench_training_step(o));
          } catch (const std::exception& e) {
            graph_error = e.what();
          }
        }
      }
      // The same step with the persistent LSTM kernels (models with an LSTM only).
      if (a.persistent_lstm && model == "cnn-lstm") {
        o.graph = a.graph;
        o.persistent_lstm = true;
        try {
          for (int r = 0; r < a.rounds; ++r) plstm_rounds.push_back(bench::bench_training_step(o));
        } catch (const std::exception& e) {
          report["errors"].push_back(fmt::format("{} persistent LSTM: {}", model, e.what()));
          if (!a.json) fmt::print("{:<14} varstar plstm FAILED: {}\n", model, e.what());
        }
        o.persistent_lstm = false;
      }
      if (!graph_error.empty()) {
        report["errors"].push_back(fmt::format("{} graph: {}", model, graph_error));
        if (!a.json) fmt::print("{:<14} varstar graph FAILED: {}\n", model, graph_error);
      }
      if (!a.no_torch) {
        o.graph = a.graph;
        const auto t = bench::bench_torch_step(o, a.python, a.rounds, &why);
        if (!t.empty()) torch_rounds.push_back(t[0]);
        if (t.size() > 1) torch_graph_rounds.push_back(t[1]);
      }
    } else {
      // Rounds alternate between the engines so that a passing load on this
      // shared machine hits both; each reports the median round.
      for (int r = 0; r < a.rounds; ++r) {
        ours_rounds.push_back(bench::bench_training_step(o));
        if (a.im2col) {
          const cpu::WinogradScope im2col(cpu::WinogradPolicy::off);
          im2col_rounds.push_back(bench::bench_training_step(o));
          im2col_rounds.back().engine = "varstar im2col";
        }
        if (!a.no_torch && (r == 0 || !torch_rounds.empty())) {
          const auto t = bench::bench_torch_step(o, a.python, 1, &why);
          if (!t.empty()) torch_rounds.push_back(t[0]);
        }
      }
    }
    std::vector<bench::StepResult> rows{bench::median_round(ours_rounds)};
    if (!graph_rounds.empty()) rows.push_back(bench::median_round(graph_rounds));
    if (!im2col_rounds.empty()) rows.push_back(bench::median_round(im2col_rounds));
    if (!plstm_rounds.empty()) rows.push_back(bench::median_round(plstm_rounds));
    std::optional<bench::StepResult> torch;
    if (!torch_rounds.empty()) {
      torch = bench::median_round(torch_rounds);
      rows.push_back(*torch);
    }
    if (!torch_graph_rounds.empty()) rows.push_back(bench::median_round(torch_graph_rounds));
    for (const bench::StepResult& r : rows) {
      const bool ours = r.engine.rfind("varstar", 0) == 0;
      const std::string ratio = ours && torch ? fmt::format("{:.2f}x", r.samples_per_s / torch->samples_per_s) : "";
      report["results"].push_back(nlohmann::json{{"model", r.model}, {"engine", r.engine},
                                                 {"median_step_ms", r.median_step_ms},
                                                 {"samples_per_s", r.samples_per_s}, {"gflops", r.gflops}});
      if (!a.json) print_step_row(r, peak, ratio);
    }
    if (!torch && !a.no_torch && !a.json) fmt::print("{:<14} (no PyTorch peer: {})\n", "", why);
    if (torch && !why.empty() && !a.json) fmt::print("{:<14} ({})\n", "", why);
  }
  if (!gpu && !a.json)
    fmt::print("GFLOP/s counts a direct convolution's multiply-adds; the CPU's Winograd convolutions do fewer, so "
               "the rate can pass the SGEMM peak.\n");
  if (gpu && a.kernels) {
    std::vector<bench::KernelRate> rows;
    try {
      rows = bench::bench_cuda_kernels(device.index, a.quick);
    } catch (const std::exception& e) {
      report["errors"].push_back(fmt::format("kernel table: {}", e.what()));
      if (!a.json) fmt::print("\nkernel table FAILED: {}\n", e.what());
    }
    const double copy = report["gpu"]["copy_gbs"].get<double>();
    if (!a.json) {
      fmt::print("\nvarstar CUDA kernels (median of CUDA-event timings; GB/s = bytes each must move at least; "
                 "peaks above)\n{:<44} {:<24} {:>9} {:>9} {:>8} {:>10} {:>8}\n",
                 "kernel", "problem", "ms", "GB/s", "of copy", "GFLOP/s", "of SGEMM");
    }
    nlohmann::json kj = nlohmann::json::array();
    for (const auto& k : rows) {
      kj.push_back({{"kernel", k.name}, {"problem", k.shape}, {"ms", k.ms}, {"gbs", k.gbs}, {"gflops", k.gflops}});
      if (!k.note.empty()) kj.back()["note"] = k.note;
      if (a.json) continue;
      const std::string bw = k.gbs > 0 ? fmt::format("{:.0f}", k.gbs) : "", bw_pct = k.gbs > 0 ? fmt::format("{:.0f}%", 100 * k.gbs / copy) : "";
      const std::string fl = k.gflops > 0 ? fmt::format("{:.0f}", k.gflops) : "",
                        fl_pct = k.gflops > 0 ? fmt::format("{:.0f}%", 100 * k.gflops / peak) : "";
      fmt::print("{:<44} {:<24} {:>9.3f} {:>9} {:>8} {:>10} {:>8}\n", k.name, k.shape, k.ms, bw, bw_pct, fl, fl_pct);
      if (!k.note.empty()) fmt::print("    {}\n", k.note);
    }
    report["kernels"] = kj;
  }
  if (gpu) {
    const auto m = cuda::device_memory_stats(device.index);
    report["gpu_memory"] = {{"peak_bytes", m.peak_bytes}, {"reserved_bytes", m.bytes_reserved},
                            {"allocations", m.allocations}, {"cache_hits", m.cache_hits},
                            {"cudnn_fallbacks", cuda::cudnn_fallbacks()}};
    if (!a.json)
      fmt::print("\nGPU memory: peak {:.1f} MiB in use, {:.1f} MiB reserved; {} allocations, {:.1f}% from the cache; "
                 "cuDNN fallbacks to the GEMM path: {}\n",
                 m.peak_bytes / 1048576.0, m.bytes_reserved / 1048576.0, m.allocations,
                 m.allocations ? 100.0 * m.cache_hits / m.allocations : 0.0, cuda::cudnn_fallbacks());
  }
  if (a.profile != nullptr && a.profile->count() > 0) {  // profiled steps after the timed rounds (tables to stderr with --json)
    const std::string path = a.profile_path.empty() ? "varstar-profile.json" : a.profile_path;
    const profiler::Peaks peaks{peak, device.is_cpu() ? profiler::measure_host_memcpy_gbps() : 0.0};
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

varstar::app::RegisterCommand register_bench{{"bench", "Measure training-step throughput against PyTorch and the machine's peaks", 90,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<BenchArgs>();
                                     app.add_option("--models", a->models, "Models to time (see `varstar models`)")
                                         ->capture_default_str();
                                     app.add_option("--batch", a->batch, "Batch size")->capture_default_str()->check(varstar::app::kAtLeastOne);
                                     app.add_option("--steps", a->steps, "Timed steps (the median is reported)")
                                         ->capture_default_str()->check(varstar::app::kAtLeastOne);
                                     app.add_option("--warmup", a->warmup, "Untimed steps first")
                                         ->capture_default_str()->check(varstar::app::kNonNegative);
                                     app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
                                         ->capture_default_str()
                                         ->check(varstar::app::kNonNegative);
                                     app.add_option("--rounds", a->rounds, "Rounds per engine (median reported)")
                                         ->capture_default_str()->check(varstar::app::kAtLeastOne);
                                     app.add_option("--device", a->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
                                     app.add_option("--python", a->python, "Python with PyTorch for the peer measurement")
                                         ->capture_default_str();
                                     app.add_flag("--no-torch", a->no_torch, "Skip the PyTorch peer");
                                     app.add_flag("--graph", a->graph,
                                                  "CUDA: also time the step captured in a CUDA graph (and PyTorch's)");
                                     app.add_flag("--kernels", a->kernels, "CUDA: also time varstar's own kernels (GB/s)");
                                     app.add_flag("--tf32", a->tf32, "CUDA: allow TF32 tensor cores (both engines)");
                                     app.add_flag("--persistent-lstm", a->persistent_lstm,
                                                  "CUDA: also time cnn-lstm with the persistent LSTM kernels "
                                                  "(in a graph with --graph)");
                                     app.add_flag("--quick", a->quick, "CUDA: fewer repeats in the kernel table");
                                     app.add_flag("--im2col", a->im2col,
                                                  "CPU: also time the step with every convolution by im2col + "
                                                  "GEMM (Winograd off), alternating");
                                     app.add_flag("--json", a->json, "Print the results as JSON");
                                     a->profile = app.add_option("--profile", a->profile_path,
                                                                 "Then profile 3 steps per model op by op: table, "
                                                                 "memory per step, Chrome trace FILE (default "
                                                                 "varstar-profile.json; FILE.<model>.json for several)")
                                                      ->expected(0, 1);
                                     app.callback([a] { run_bench(*a); });
                                   }}};

}  // namespace
