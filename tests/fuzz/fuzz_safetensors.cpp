// libFuzzer target for the safetensors reader (engine/safetensors.cpp, which
// `predict`, `evaluate` and a resumed `train` run on model files): any bytes
// must load as validated tensors or give a DataError, never a crash, an
// out-of-bounds read or undefined behaviour. The reader takes a path, so each
// input goes through a file of this process's own, removed after each read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/error.h"
#include "engine/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/varstar-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  try {
    const varstar::SafetensorsContents c = varstar::load_safetensors(path);
    for (const auto& [name, t] : c.tensors) {
      // Every element is readable: the tensor holds what its shape says.
      const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
      unsigned sum = 0;
      for (size_t i = 0; i < t.nbytes(); ++i) sum += bytes[i];
      (void)sum;
    }
  } catch (const varstar::DataError& e) {
    (void)e.what();
  }
  std::remove(path.c_str());
  return 0;
}
