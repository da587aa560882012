#pragma once
// The Python references of the tests (tests/reference/*.py): one JSON object
// in on standard input, one out on standard output. The test target defines
// VARSTAR_PYTHON_EXECUTABLE, VARSTAR_SOURCE_ROOT and VARSTAR_REQUIRE_TORCH.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace varstar::test {

// Runs tests/reference/`script` with `args`, `input` on its standard input
// and `env` (e.g. "OMP_NUM_THREADS=1") before it; returns its JSON output.
inline nlohmann::json python_reference(const std::string& script, const std::string& args, const nlohmann::json& input,
                                       const std::string& env = "") {
  const std::string input_path = fmt::format("/tmp/varstar_reference_{}.json", getpid());
  std::ofstream(input_path) << input.dump();
  const std::string cmd = fmt::format("{} '{}' '{}/tests/reference/{}' {} < '{}'", env, VARSTAR_PYTHON_EXECUTABLE,
                                      VARSTAR_SOURCE_ROOT, script, args, input_path);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  std::remove(input_path.c_str());
  REQUIRE_MESSAGE(!out.empty(), "the Python reference produced nothing: " << cmd);
  return nlohmann::json::parse(out);
}

// Why a scikit-learn reference test cannot run here, or "" (CI requires it).
inline std::string sklearn_skip_reason() {
  const std::string probe = std::string("'") + VARSTAR_PYTHON_EXECUTABLE + "' -c 'import sklearn' 2>/dev/null";
  if (std::system(probe.c_str()) == 0) return {};
#if VARSTAR_REQUIRE_TORCH
  return {};
#else
  return "scikit-learn is not importable (apt install python3-sklearn)";
#endif
}

}  // namespace varstar::test
