// --device / --threads (see device_choice.h).
#include "apps/device_choice.h"

#include <cstdio>

#include "engine/threads.h"

namespace varstar::app {

Device choose_device(const std::string& choice, int threads) {
  set_num_threads(threads);
  std::string note;
  const Device device = resolve_device(choice, &note);
  if (!note.empty()) std::fprintf(stderr, "varstar: %s\n", note.c_str());
  return device;
}

}  // namespace varstar::app
