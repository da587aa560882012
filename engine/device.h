#pragma once
// Where a tensor's storage lives: host memory or one CUDA device.
#include <string>

#include "engine/error.h"

namespace varstar {

enum class DeviceType : uint8_t { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::cpu, 0}; }
  static constexpr Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
  constexpr bool is_cpu() const { return type == DeviceType::cpu; }
  constexpr bool is_cuda() const { return type == DeviceType::cuda; }
  friend constexpr bool operator==(Device a, Device b) { return a.type == b.type && a.index == b.index; }
  std::string str() const { return is_cpu() ? "cpu" : fmt::format("cuda:{}", index); }
};

// True when this binary has the CUDA backend and a usable GPU is present.
bool cuda_available();
// Number of GPUs visible (0 without the CUDA backend).
int cuda_device_count();

// Resolves a user's --device choice: "cpu", "cuda", "cuda:N" or "auto".
// "auto" picks the GPU when one is usable. "cuda" on a machine without one
// falls back to the CPU and reports it through `note` (one clear message).
Device resolve_device(const std::string& choice, std::string* note = nullptr);

}  // namespace varstar
