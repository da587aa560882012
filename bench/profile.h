#pragma once
// Profiled training steps of the thesis networks (`varstar profile`,
// `varstar bench --profile`), and the profiler's own overhead measurement.
// The step is the one `varstar bench` times: forward + cross-entropy +
// backward + Adam (lr 2e-4) on one fixed random batch.
#include <cstdio>
#include <memory>
#include <string>

#include "engine/optim.h"
#include "engine/profiler.h"
#include "models/models.h"

namespace varstar::bench {

// A model, its Adam optimizer and one random batch (inputs U(-1, 1), labels i % classes).
class SyntheticStep {
 public:
  SyntheticStep(const std::string& model, int64_t batch, Device device, uint64_t seed = 42);
  // One training step; returns the loss before the update.
  double run();
  models::Model& model() { return *model_; }

 private:
  std::unique_ptr<models::Model> model_;
  std::unique_ptr<optim::Adam> adam_;
  Tensor x_, y_;
};

struct ProfileOptions {
  std::string model = "cnn-lstm";
  int64_t batch = 32;
  int warmup = 1;  // unprofiled steps first (caches warm, allocator filled)
  int steps = 3;   // profiled steps, each marked as a profiler step
  Device device = Device::cpu();
};
// Runs the steps with the profiler on and returns what it recorded.
profiler::Session profile_training_steps(const ProfileOptions& options);

// This machine's peaks for the table: SGEMM (bench::measure_sgemm_gflops) and
// host memcpy bandwidth. Zeros (unknown) for a CUDA device.
profiler::Peaks measure_peaks(Device device);

// Prints the op table and the step table to `out`, and writes the trace when
// `trace_path` is not empty. Returns the summary.
profiler::Summary report_profile(const profiler::Session& session, const profiler::Peaks& peaks,
                                 const std::string& title, const std::string& trace_path, std::FILE* out = stdout);

// `trace_path` with ".<model>" before its extension (for several models in one run).
std::string trace_path_for(const std::string& trace_path, const std::string& model, bool several);

struct OverheadOptions {
  std::string model = "cnn-lstm";
  int64_t batch = 32;
  int rounds = 7;           // alternating off/on rounds; medians reported
  int steps_per_round = 3;
  int64_t tiny_ops = 100000;  // 1-element adds per tiny-op round
};
struct OverheadResult {
  double step_off_ms = 0, step_on_ms = 0;   // median training step, profiler off / on
  double tiny_add_off_ns = 0, tiny_add_on_ns = 0;  // per 1-element add, profiler off / on
  double scope_off_ns = 0;                  // a disabled scope alone (the per-op off cost)
  double empty_loop_ns = 0;                 // the loop it ran in, without the scope
  int64_t scopes_per_step = 0;              // op scopes opened by one training step
};
OverheadResult measure_overhead(const OverheadOptions& options);

}  // namespace varstar::bench
