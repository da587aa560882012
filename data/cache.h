#pragma once
// Cache of computed arrays (representations): computed once per (data, mode,
// parameters, code version), stored in one binary file, memory-mapped
// read-only by training.
//
// File layout (little-endian):
//   0   8 bytes  magic "VSCACHE1"
//   8   uint64   header length H (bytes of JSON)
//   16  uint64   key: hash of the inputs (see CacheKey)
//   24  uint64   hash of the JSON header bytes
//   32  H bytes  JSON: {"key": hex, "description": {...}, "arrays": [{"name",
//                "dtype" ("float32" | "int32" | "int64"), "shape", "offset"
//                (from the data start), "bytes", "hash"}]}
//   then zero padding to a 64-byte boundary (the data start); every array
//   starts at a 64-byte-aligned offset, raw, row-major.
// Opening validates everything before any array is touched: magic, sizes,
// header hash, JSON, offsets, alignment, shapes; optionally each array's hash.
// A corrupt or truncated file is a DataError naming the file and the defect,
// never a crash; load_or_build() then rebuilds it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"

namespace varstar::data {

// Hash of everything an array set depends on.
class CacheKey {
 public:
  // exact = true hashes the file's bytes (and size); false uses size + mtime only.
  void add_file(const std::string& path, bool exact = true);
  void add_string(std::string_view what, std::string_view value);
  void add_json(std::string_view what, const nlohmann::json& value);
  // Adds varstar's version and commit (the code that computes the arrays).
  void add_code_version();
  uint64_t value() const { return hash_; }
  std::string hex() const;
  const nlohmann::json& inputs() const { return inputs_; }  // what went in, for the header

 private:
  uint64_t hash_ = 0x243f6a8885a308d3ULL;
  nlohmann::json inputs_ = nlohmann::json::array();
};

// One array to write: raw bytes plus its type and shape.
struct CacheArrayView {
  std::string name;
  std::string dtype;  // "float32" | "int32" | "int64"
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t bytes = 0;  // must equal prod(shape) * sizeof(dtype)
};

// An owned array (what a builder returns).
struct CacheArray {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
  CacheArrayView view() const { return {name, dtype, shape, bytes.data(), bytes.size()}; }
};
CacheArray cache_array_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values);
CacheArray cache_array_i32(std::string name, std::vector<int64_t> shape, std::span<const int32_t> values);

// Writes atomically (temporary file, then rename).
void write_cache(const std::string& path, uint64_t key, const nlohmann::json& description,
                 const std::vector<CacheArrayView>& arrays);

class MappedCache {
 public:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    const unsigned char* data = nullptr;
    size_t bytes = 0;
    uint64_t hash = 0;
  };

  // Maps `path` read-only and validates it; expected_key (if given) must match.
  static MappedCache open(const std::string& path, std::optional<uint64_t> expected_key = std::nullopt,
                          bool verify_array_hashes = true);
  // Validates an in-memory image (same checks; used by the fuzzer). `bytes` must outlive the result.
  static MappedCache view(std::span<const unsigned char> bytes, const std::string& name,
                          bool verify_array_hashes = true);

  MappedCache() = default;  // empty: no file, no arrays
  MappedCache(MappedCache&&) noexcept;
  MappedCache& operator=(MappedCache&&) noexcept;
  MappedCache(const MappedCache&) = delete;
  MappedCache& operator=(const MappedCache&) = delete;
  ~MappedCache();

  uint64_t key() const { return key_; }
  const nlohmann::json& description() const { return description_; }
  const std::vector<Entry>& arrays() const { return entries_; }
  bool has(std::string_view name) const;
  const Entry& entry(std::string_view name) const;  // throws Error when absent
  std::span<const float> f32(std::string_view name) const;
  std::span<const int32_t> i32(std::string_view name) const;
  const std::string& path() const { return path_; }

 private:
  void parse(std::span<const unsigned char> bytes, bool verify);
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  uint64_t key_ = 0;
  nlohmann::json description_;
  std::vector<Entry> entries_;
};

struct CacheLoad {
  MappedCache cache;
  std::string path;
  bool rebuilt = false;
  std::string reason;  // why it was (re)built: "no cache yet", "corrupt: ...", ...
};

// The cache for `key` in `dir` (file "<stem>-<key hex>.vscache"): mapped when
// present and valid, else built with build(), written, and mapped. Older files
// of the same stem (other keys: stale inputs) are removed when rebuilding.
CacheLoad load_or_build(const std::string& dir, const std::string& stem, const CacheKey& key,
                        const nlohmann::json& description, const std::function<std::vector<CacheArray>()>& build);

}  // namespace varstar::data
