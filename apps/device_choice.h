#pragma once
// --device and --threads as every command applies them: sets the CPU thread
// count, resolves cpu | cuda | cuda:N | auto, and prints the one-line note when
// a requested GPU is not usable (the run then continues on the CPU).
#include <string>

#include "engine/device.h"

namespace varstar::app {
Device choose_device(const std::string& choice, int threads);
}  // namespace varstar::app
