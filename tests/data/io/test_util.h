#pragma once
// Helpers shared by the tests in tests/data/io: a scratch directory per test
// executable, whole-file write/read, catching a DataError to inspect it, and
// whether the Python reference stack is there.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "engine/error.h"

namespace varstar::test {

// A fresh directory under $VARSTAR_BINARY_DIR/test-scratch (or /tmp), removed first if present.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const char* bin = std::getenv("VARSTAR_BINARY_DIR");
  std::filesystem::path root = bin != nullptr ? std::filesystem::path(bin) / "test-scratch"
                                              : std::filesystem::temp_directory_path() / "varstar-test-scratch";
  std::filesystem::path dir = root / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `f`, which must throw a DataError; returns it.
inline DataError catch_data_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e;
  }
  FAIL("expected a DataError");
  return DataError("", 0, "", "");
}

// True when `python` imports scikit-learn, pandas and NumPy (the reference tests' peers).
inline bool python_ready(const std::string& python) {
  const std::string cmd = "\"" + python + "\" -c \"import sklearn, pandas, numpy\" > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// varstar_test_skip_reason() of a reference test: empty when the stack is
// there, or when it is `required` (the test then fails instead of skipping).
inline std::string python_skip_reason(const std::string& python, bool required) {
  if (required || python_ready(python)) return {};
  return "no python3 with scikit-learn and pandas at " + python;
}

}  // namespace varstar::test
