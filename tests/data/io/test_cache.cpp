// Tests of data/cache: arrays come back bit for bit from the memory map,
// 64-byte aligned; the key follows file contents and parameters; a changed
// input rebuilds and removes the stale file; every kind of corruption is a
// DataError (and load_or_build rebuilds), never a crash.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <numeric>

#include "data/cache.h"
#include "data/hash.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;
namespace fs = std::filesystem;

namespace {

std::vector<CacheArray> sample_arrays(float scale) {
  std::vector<float> x(3 * 359);
  for (size_t i = 0; i < x.size(); ++i) x[i] = scale * static_cast<float>(i) - 0.5f;
  std::vector<int32_t> y = {4, 0, 2};
  return {cache_array_f32("x", {3, 1, 359}, x), cache_array_i32("labels", {3}, y)};
}

void write_sample(const std::string& path, uint64_t key) {
  const auto arrays = sample_arrays(0.25f);
  std::vector<CacheArrayView> views;
  for (const auto& a : arrays) views.push_back(a.view());
  write_cache(path, key, {{"mode", "harmonic-thesis"}, {"n", 3}}, views);
}

void patch(const std::string& path, size_t offset, unsigned char value) {
  std::string bytes = test::read_file(path);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(value);
  test::write_file(path, bytes);
}

// The file with its JSON header edited: the header length, checksum and the
// data section's alignment follow, so only the edited fields are wrong.
std::string with_header(const std::string& file, const std::function<void(nlohmann::json&)>& edit) {
  constexpr size_t kPrefix = 32, kAlign = 64;
  const auto align_up = [](size_t v) { return (v + kAlign - 1) / kAlign * kAlign; };
  uint64_t old_len;
  std::memcpy(&old_len, file.data() + 8, 8);
  nlohmann::json header = nlohmann::json::parse(file.substr(kPrefix, old_len));
  edit(header);
  const std::string text = header.dump();
  std::string out = file.substr(0, kPrefix) + text;
  out.resize(align_up(out.size()), '\0');
  out += file.substr(align_up(kPrefix + old_len));
  const uint64_t len = text.size(), hash = hash_bytes(text.data(), text.size());
  std::memcpy(out.data() + 8, &len, 8);
  std::memcpy(out.data() + 24, &hash, 8);
  return out;
}

}  // namespace

TEST_CASE("written arrays map back exactly, aligned, with their description") {
  const auto dir = test::scratch_dir("cache_roundtrip");
  const std::string path = (dir / "a.vscache").string();
  write_sample(path, 0x1234);
  const MappedCache c = MappedCache::open(path, 0x1234);
  CHECK(c.key() == 0x1234);
  CHECK(c.description()["mode"] == "harmonic-thesis");
  const auto x = c.f32("x");
  REQUIRE(x.size() == 3 * 359);
  CHECK(x[0] == -0.5f);
  CHECK(x[1000] == 249.5f);
  CHECK(c.entry("x").shape == std::vector<int64_t>{3, 1, 359});
  CHECK(reinterpret_cast<uintptr_t>(x.data()) % 64 == 0);
  const auto y = c.i32("labels");
  CHECK(std::vector<int32_t>(y.begin(), y.end()) == std::vector<int32_t>{4, 0, 2});
  CHECK(reinterpret_cast<uintptr_t>(y.data()) % 64 == 0);
  CHECK_THROWS_AS(c.f32("labels"), Error);
  CHECK_THROWS_AS(c.entry("nope"), Error);
  const DataError e = test::catch_data_error([&] { MappedCache::open(path, 0x999); });
  CHECK(e.detail().find("does not match the inputs") != std::string::npos);
}

TEST_CASE("the key follows file contents, parameters and mode") {
  const auto dir = test::scratch_dir("cache_key");
  const std::string input = (dir / "in.csv").string();
  test::write_file(input, "id,Per\na,1.5\n");
  auto key_of = [&](const std::string& mode, bool exact = true) {
    CacheKey k;
    k.add_file(input, exact);
    k.add_string("mode", mode);
    k.add_json("params", {{"n_points", 359}});
    k.add_code_version();
    return k.value();
  };
  const uint64_t k1 = key_of("harmonic-thesis");
  CHECK(key_of("harmonic-thesis") == k1);
  CHECK(key_of("harmonic-text") != k1);
  test::write_file(input, "id,Per\na,1.6\n");  // same size, other contents
  CHECK(key_of("harmonic-thesis") != k1);
  const uint64_t meta = key_of("harmonic-thesis", false);
  CHECK(meta != key_of("harmonic-thesis"));
  CHECK_THROWS_AS([&] { CacheKey k; k.add_file((dir / "missing").string()); }(), DataError);
}

TEST_CASE("load_or_build builds once, reuses, and rebuilds when an input changes") {
  const auto dir = test::scratch_dir("cache_build");
  const std::string input = (dir / "in.csv").string();
  test::write_file(input, "id,Per\na,1.5\n");
  int builds = 0;
  auto load = [&] {
    CacheKey k;
    k.add_file(input);
    k.add_string("mode", "harmonic-thesis");
    return load_or_build((dir / "cache").string(), "train", k, {{"mode", "harmonic-thesis"}}, [&] {
      ++builds;
      return sample_arrays(static_cast<float>(builds));
    });
  };
  CacheLoad a = load();
  CHECK(a.rebuilt);
  CHECK(builds == 1);
  CHECK(a.cache.f32("x")[1] == 0.5f);
  CHECK(a.cache.description()["inputs"].size() == 2);
  CacheLoad b = load();
  CHECK(!b.rebuilt);
  CHECK(builds == 1);
  CHECK(b.path == a.path);

  test::write_file(input, "id,Per\na,2.5\n");
  CacheLoad c = load();
  CHECK(c.rebuilt);
  CHECK(builds == 2);
  CHECK(c.path != a.path);
  CHECK(c.cache.f32("x")[1] == 1.5f);
  CHECK(!fs::exists(a.path));  // the stale file went
  CHECK(c.reason.find("stale") != std::string::npos);

  // A corrupted cache file is rebuilt, with the reason.
  a = CacheLoad{};
  b = CacheLoad{};
  const std::string path = c.path;
  c = CacheLoad{};
  patch(path, fs::file_size(path) - 64, 0x55);  // first byte of "labels"
  CacheLoad d = load();
  CHECK(d.rebuilt);
  CHECK(d.reason.find("checksum mismatch") != std::string::npos);
  CHECK(builds == 3);
}

TEST_CASE("corrupt cache files are DataErrors, never crashes") {
  const auto dir = test::scratch_dir("cache_corrupt");
  const std::string path = (dir / "c.vscache").string();
  auto error_after = [&](const std::function<void()>& damage) {
    write_sample(path, 7);
    damage();
    return test::catch_data_error([&] { MappedCache::open(path); });
  };
  CHECK(error_after([&] { fs::resize_file(path, 0); }).detail().find("shorter than") != std::string::npos);
  CHECK(error_after([&] { patch(path, 0, 'X'); }).detail().find("bad magic") != std::string::npos);
  CHECK(error_after([&] { patch(path, 40, '#'); }).detail().find("header checksum") != std::string::npos);
  CHECK(error_after([&] { patch(path, 9, 0x7f); }).detail().find("header length") != std::string::npos);
  CHECK(error_after([&] { fs::resize_file(path, fs::file_size(path) - 100); }).detail().find("outside") !=
        std::string::npos);
  CHECK(error_after([&] { patch(path, fs::file_size(path) - 64, 1); }).detail().find("checksum mismatch") !=
        std::string::npos);
  CHECK(error_after([&] { test::write_file(path, std::string(1000, '\0')); }).detail().find("bad magic") !=
        std::string::npos);
  const DataError missing = test::catch_data_error([&] { MappedCache::open((dir / "none").string()); });
  CHECK(missing.detail().find("cannot open") != std::string::npos);
}

TEST_CASE("cache header numbers must be integers in range") {
  const auto dir = test::scratch_dir("cache_numbers");
  const std::string path = (dir / "c.vscache").string();
  write_sample(path, 7);
  const std::string good = test::read_file(path);
  auto error_with = [&](const std::function<void(nlohmann::json&)>& edit) {
    test::write_file(path, with_header(good, edit));
    return test::catch_data_error([&] { MappedCache::open(path); }).detail();
  };
  // The unedited round trip opens: the helper itself keeps a valid file.
  test::write_file(path, with_header(good, [](nlohmann::json&) {}));
  CHECK(MappedCache::open(path).f32("x").size() == 3 * 359);
  // 3.3e79 as a dimension once reached a float-to-integer cast (undefined
  // behaviour, found by fuzz_cache).
  for (const nlohmann::json& bad : {nlohmann::json(3.3e79), nlohmann::json(3.0), nlohmann::json(-3.3e79)}) {
    const std::string detail = error_with([&](nlohmann::json& h) { h["arrays"][0]["shape"][0] = bad; });
    CHECK_MESSAGE(detail.find("expected an integer") != std::string::npos, bad.dump() << ": " << detail);
  }
  CHECK(error_with([](nlohmann::json& h) { h["arrays"][0]["offset"] = 1e30; }).find("expected an integer") !=
        std::string::npos);
  CHECK(error_with([](nlohmann::json& h) { h["arrays"][0]["bytes"] = -4; }).find("expected an integer") !=
        std::string::npos);
  CHECK(error_with([](nlohmann::json& h) { h["arrays"][1]["shape"] = "3"; }).find("array of integers") !=
        std::string::npos);
}
