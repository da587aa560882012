#pragma once
// Access to the NumPy reference written by scripts/reference_representations.py
// (the ctest fixture repr_reference_numpy): manifest.json plus one
// little-endian float64 file per array.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace varstar::test {

inline std::string reference_dir() { return VARSTAR_REPR_REFERENCE_DIR; }

inline const nlohmann::json& reference_manifest() {
  static const nlohmann::json manifest = [] {
    std::ifstream in(reference_dir() + "/manifest.json");
    REQUIRE_MESSAGE(in.good(), "missing " << reference_dir()
                                          << "/manifest.json: run ctest (fixture repr_reference_numpy) first");
    return nlohmann::json::parse(in);
  }();
  return manifest;
}

// The array `name` flattened, with its shape.
inline std::vector<double> reference_array(const std::string& name, std::vector<int64_t>* shape = nullptr) {
  const auto& m = reference_manifest();
  REQUIRE(m["arrays"].contains(name));
  std::vector<int64_t> dims = m["arrays"][name].get<std::vector<int64_t>>();
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<double> values(static_cast<size_t>(n));
  std::ifstream in(reference_dir() + "/" + name + ".f64", std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(n * sizeof(double)));
  REQUIRE(in.gcount() == static_cast<std::streamsize>(n * sizeof(double)));
  if (shape) *shape = dims;
  return values;
}

}  // namespace varstar::test
