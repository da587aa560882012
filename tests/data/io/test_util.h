#pragma once
// Helpers shared by the tests in tests/data/io: a scratch directory per test
// executable, whole-file write/read, and catching a DataError to inspect it.
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

}  // namespace varstar::test
