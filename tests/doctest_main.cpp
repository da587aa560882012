// Shared doctest main for every varstar test executable.
// A test executable that cannot run here (no GPU, no ../shared/data) defines
// varstar_test_skip_reason() returning why; main then prints it and exits 77,
// which ctest reports as "skipped".
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

__attribute__((weak)) std::string varstar_test_skip_reason() { return {}; }

int main(int argc, char** argv) {
  const std::string why = varstar_test_skip_reason();
  if (!why.empty()) {
    std::printf("SKIPPED: %s\n", why.c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
