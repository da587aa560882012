#pragma once
// The benchmark harness behind `varstar bench`: training-step throughput of
// the thesis networks on this engine, the same step in PyTorch measured in the
// same run (bench/torch_bench.py), on the CPU or the same GPU, and the peak
// rates to compare against: this machine's SGEMM (OpenBLAS), or on a GPU the
// device-to-device copy bandwidth and cuBLAS SGEMM measured in that run.
// GPU kernel throughput (GB/s of the custom kernels): bench/cuda_bench.h.
#include <optional>
#include <string>
#include <vector>

#include "engine/device.h"

namespace varstar::bench {

struct StepResult {
  std::string model;
  std::string engine;       // "varstar", "varstar graph", "pytorch <version>", "pytorch graph"
  int64_t batch = 0;
  int steps = 0;
  double median_step_ms = 0;
  double samples_per_s = 0;
  double gflops = 0;        // achieved, from models::training_step_flops
};

struct StepOptions {
  std::string model = "cnn-lstm";
  int64_t batch = 32;
  int warmup = 2;
  int steps = 10;
  Device device = Device::cpu();
  int threads = 0;     // 0: all cores
  bool graph = false;  // CUDA: capture the step in a CUDA graph after the warm-up and replay it
  bool tf32 = false;   // CUDA: allow TF32 tensor cores in cuBLAS and cuDNN (both engines)
  // CUDA: the persistent LSTM kernels instead of the ones set_lstm_kernel / VARSTAR_LSTM chose
  // (engine label " plstm"; " slstm" when that choice is the sample-local kernels).
  bool persistent_lstm = false;
};

// Forward + backward + Adam (lr 2e-4) on random inputs of the model's shape.
// On CUDA the cross-entropy target check (a host synchronisation) is off:
// the labels are known to be valid, and PyTorch does not synchronise either.
StepResult bench_training_step(const StepOptions& options);
// The same step in PyTorch (CPU or CUDA, eager and, for options.graph on
// CUDA, a captured torch.cuda.CUDAGraph) through `python` running
// bench/torch_bench.py: the eager result first, then the graph one.
// Empty with `why` set when PyTorch cannot run here. The script is found in
// $VARSTAR_SOURCE_DIR/bench when that is set, else in the source tree this
// binary was configured from.
std::vector<StepResult> bench_torch_step(const StepOptions& options, const std::string& python, int rounds,
                                         std::string* why);
// Median of a list (0 when empty).
double median(std::vector<double> values);
// The round with the median step time.
StepResult median_round(std::vector<StepResult> rounds);
// Single-precision GEMM rate (GFLOP/s) of OpenBLAS on n x n matrices.
double measure_sgemm_gflops(int64_t n = 2048, int repeats = 5);

}  // namespace varstar::bench
