// Device selection: what --device cpu|cuda|auto resolves to on this machine.
#include "engine/device.h"

#include "engine/cuda_backend.h"

namespace varstar {

int cuda_device_count() { return cuda::device_count(); }

bool cuda_available() { return cuda_device_count() > 0; }

Device resolve_device(const std::string& choice, std::string* note) {
  if (choice == "cpu") return Device::cpu();
  const bool want_cuda = choice == "cuda" || choice.rfind("cuda:", 0) == 0;
  VARSTAR_CHECK(want_cuda || choice == "auto", "unknown device '{}': expected cpu, cuda, cuda:N or auto",
                choice);
  int index = 0;
  if (choice.size() > 5 && want_cuda) {
    try {
      index = std::stoi(choice.substr(5));
    } catch (const std::exception&) {
      throw Error(fmt::format("unknown device '{}': expected cuda:N with N a GPU index", choice));
    }
  }
  const int count = cuda_device_count();
  if (count > index) return Device::cuda(index);
  if (want_cuda && note) {
    *note = count == 0 ? fmt::format("device '{}' requested, but {}; running on the CPU", choice,
                                      cuda::unavailable_reason())
                       : fmt::format("device '{}' requested, but only {} GPU(s) are visible; "
                                     "running on the CPU", choice, count);
  }
  return Device::cpu();
}

}  // namespace varstar
