// varstar: the command line. Subcommands live in apps/cmd_*.cpp.
#include <algorithm>
#include <cstdio>

#include "apps/command.h"
#include "engine/error.h"
#include "varstar_version.h"

namespace {

std::string version_text() {
#if defined(VARSTAR_CUDA_EMULATED)
  const char* cuda = "CUDA backend emulated on the CPU (a test build: VARSTAR_EMU_GPU=1 shows its device)";
#elif defined(VARSTAR_HAS_CUDA)
  const char* cuda = "CUDA backend compiled in";
#else
  const char* cuda = "CPU only (built without CUDA)";
#endif
  return fmt::format("varstar {} ({}) - {}", VARSTAR_VERSION, VARSTAR_GIT_DESCRIBE, cuda);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"varstar: classify variable stars from their light curves with a from-scratch "
               "C++/CUDA deep-learning engine."};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.footer(
      "GPU: train, cv, evaluate, predict, demo, bench, profile and prepare take --device cpu|cuda|cuda:N|auto (a "
      "build or machine without a usable GPU runs on the CPU and says so once). simulate, render and models have no "
      "GPU work and run on the CPU.");
  app.fallthrough();

  auto commands = varstar::app::command_registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    command.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const varstar::Error& e) {
    std::fprintf(stderr, "varstar: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "varstar: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
