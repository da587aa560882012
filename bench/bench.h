#pragma once
// The benchmark harness behind `varstar bench`: training-step throughput of
// the thesis networks on this engine, the same step in PyTorch measured in the
// same run (bench/torch_bench.py), and this machine's SGEMM rate as the peak
// to compare against.
#include <optional>
#include <string>
#include <vector>

#include "engine/device.h"

namespace varstar::bench {

struct StepResult {
  std::string model;
  std::string engine;       // "varstar" or "pytorch <version>"
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
  int threads = 0;  // 0: all cores
};

// Forward + backward + Adam (lr 2e-4) on random inputs of the model's shape.
StepResult bench_training_step(const StepOptions& options);
// The same step in PyTorch (CPU) through `python` running bench/torch_bench.py;
// nullopt with `why` set when PyTorch cannot run here.
std::optional<StepResult> bench_torch_step(const StepOptions& options, const std::string& python, std::string* why);
// The round with the median step time.
StepResult median_round(std::vector<StepResult> rounds);
// Single-precision GEMM rate (GFLOP/s) of OpenBLAS on n x n matrices.
double measure_sgemm_gflops(int64_t n = 2048, int repeats = 5);

}  // namespace varstar::bench
