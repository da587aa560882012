// The safetensors reader on files a user might hand it: a round trip, and
// damaged or crafted files (each a DataError naming the file and the problem,
// never a crash or undefined behaviour; tests/fuzz/fuzz_safetensors.cpp
// searches for more).
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/error.h"
#include "engine/safetensors.h"

namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("varstar-test-safetensors-" + name)).string();
}

// A file of the 8-byte little-endian header length, the header and `data`.
std::string write_raw(const std::string& name, const std::string& header, const std::string& data = "") {
  const std::string path = temp_path(name);
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xff));
  out << header << data;
  return path;
}

void check_rejected(const std::string& path, const std::string& reason) {
  CAPTURE(reason);
  CHECK_THROWS_WITH_AS(varstar::load_safetensors(path), doctest::Contains(reason.c_str()), varstar::DataError);
  CHECK_THROWS_WITH_AS(varstar::load_safetensors(path), doctest::Contains(path.c_str()), varstar::DataError);
  fs::remove(path);
}

}  // namespace

TEST_CASE("safetensors: what is saved loads back, names, shapes, values and metadata") {
  const std::string path = temp_path("round-trip");
  varstar::Tensor a = varstar::Tensor::from_vector<float>({1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f}, {2, 3});
  varstar::Tensor empty = varstar::Tensor::empty({0, 4}, varstar::DType::f32);
  varstar::save_safetensors(path, {{"a", a}, {"empty", empty}}, {{"model", "cnn-lstm"}});
  const varstar::SafetensorsContents c = varstar::load_safetensors(path);
  CHECK(c.metadata.at("model") == "cnn-lstm");
  CHECK(c.get("a").shape() == varstar::Shape{2, 3});
  CHECK(c.get("a").to_vector<float>() == a.to_vector<float>());
  CHECK(c.get("empty").shape() == varstar::Shape{0, 4});
  CHECK_THROWS_AS(c.get("missing"), varstar::DataError);
  fs::remove(path);
}

TEST_CASE("safetensors: damaged and crafted files are clear errors") {
  check_rejected(write_raw("empty-header", ""), "header is not JSON");
  {
    const std::string path = temp_path("tiny");
    std::ofstream(path, std::ios::binary) << "abc";
    check_rejected(path, "shorter than the 8-byte header length");
  }
  check_rejected(write_raw("not-json", "{\"a\": "), "header is not JSON");
  check_rejected(write_raw("array", "[1, 2]"), "not a JSON object");
  check_rejected(write_raw("no-offsets", R"({"w": {"dtype": "F32", "shape": [1]}})"), "lacks dtype, shape or");
  check_rejected(write_raw("dtype", R"({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}})", "xx"),
                 "unsupported dtype BF16");
  check_rejected(write_raw("truncated", R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                           std::string(8, '\0')),
                 "outside the 8-byte data section");
  check_rejected(write_raw("size", R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
                           std::string(8, '\0')),
                 "has 8 bytes for 3 elements");
  check_rejected(write_raw("overlap", R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                           std::string(12, '\0')),
                 "overlap");
  // Dimensions whose product overflows, before or after a zero: no tensor
  // gets strides beyond 2^40 elements (a zero first once made the strides'
  // product overflow int64).
  check_rejected(write_raw("huge", R"({"w": {"dtype": "F32", "shape": [1099511627776, 1099511627776],
                                       "data_offsets": [0, 0]}})"),
                 "impossible shape");
  check_rejected(write_raw("zero-then-huge", R"({"w": {"dtype": "F32", "shape": [0, 1099511627776, 1099511627776],
                                                 "data_offsets": [0, 0]}})"),
                 "impossible shape");
  check_rejected(write_raw("negative", R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}})"),
                 "bad shape");
}
