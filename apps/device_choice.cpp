// --device / --threads (see device_choice.h).
#include "apps/device_choice.h"

#include <cstdio>

#include "engine/threads.h"

namespace varstar::app {

namespace {
Device apply_choice(const std::string& choice, int threads, std::string& note) {
  set_num_threads(threads);
  return resolve_device(choice, &note);
}
}  // namespace

Device choose_device(const std::string& choice, int threads) {
  std::string note;
  const Device device = apply_choice(choice, threads, note);
  if (!note.empty()) std::fprintf(stderr, "varstar: %s\n", note.c_str());
  return device;
}

Device choose_device(const std::string& choice, int threads, train::Progress& progress) {
  std::string note;
  const Device device = apply_choice(choice, threads, note);
  if (!note.empty()) progress.message_once("varstar: " + note);
  return device;
}

}  // namespace varstar::app
