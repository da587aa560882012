// Binary array cache: keys, writer, validated read-only memory map; see cache.h.
#include "data/cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "data/csv.h"
#include "data/hash.h"
#include "engine/error.h"
#include "engine/json_int.h"
#include "varstar_version.h"

namespace varstar::data {

namespace {

constexpr char kMagic[8] = {'V', 'S', 'C', 'A', 'C', 'H', 'E', '1'};
constexpr size_t kPrefix = 32;
constexpr size_t kAlign = 64;
constexpr size_t kMaxHeader = size_t{64} << 20;

size_t align_up(size_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

size_t dtype_size(std::string_view dtype) {
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "int64") return 8;
  return 0;
}

uint64_t read_u64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void put_u64(fmt::memory_buffer& b, uint64_t v) {
  const auto* p = reinterpret_cast<const char*>(&v);
  b.append(p, p + 8);
}

std::string hex64(uint64_t v) { return fmt::format("{:016x}", v); }

}  // namespace

// ---- key -------------------------------------------------------------------------------

void CacheKey::add_file(const std::string& path, bool exact) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw DataError(path, 0, "", fmt::format("cannot stat input for the cache key: {}", std::strerror(errno)));
  nlohmann::json in = {{"file", path}, {"bytes", static_cast<int64_t>(st.st_size)}};
  uint64_t h = hash_string(path, hash_);
  h = hash_bytes(&st.st_size, sizeof st.st_size, h);
  if (exact) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw DataError(path, 0, "", fmt::format("cannot read input for the cache key: {}", std::strerror(errno)));
    std::vector<unsigned char> block(size_t{4} << 20);
    uint64_t content = 0x452821e638d01377ULL;
    for (;;) {
      const ssize_t got = ::read(fd, block.data(), block.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        ::close(fd);
        throw DataError(path, 0, "", fmt::format("read error: {}", std::strerror(errno)));
      }
      if (got == 0) break;
      content = hash_bytes(block.data(), static_cast<size_t>(got), content);
    }
    ::close(fd);
    h = hash_bytes(&content, sizeof content, h);
    in["content_hash"] = hex64(content);
  } else {
    const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    h = hash_bytes(&mtime_ns, sizeof mtime_ns, h);
    in["mtime_ns"] = mtime_ns;
  }
  hash_ = hash_mix(h);
  inputs_.push_back(std::move(in));
}

void CacheKey::add_string(std::string_view what, std::string_view value) {
  hash_ = hash_mix(hash_string(value, hash_string(what, hash_)));
  inputs_.push_back({{std::string(what), std::string(value)}});
}

void CacheKey::add_json(std::string_view what, const nlohmann::json& value) {
  const std::string text = value.dump();  // nlohmann::json objects dump with sorted keys
  hash_ = hash_mix(hash_string(text, hash_string(what, hash_)));
  inputs_.push_back({{std::string(what), value}});
}

void CacheKey::add_code_version() {
  add_string("code", fmt::format("varstar {} ({})", VARSTAR_VERSION, VARSTAR_GIT_DESCRIBE));
}

std::string CacheKey::hex() const { return hex64(hash_); }

// ---- arrays ----------------------------------------------------------------------------

static CacheArray make_array(std::string name, std::string dtype, std::vector<int64_t> shape, const void* data,
                             size_t bytes) {
  CacheArray a{std::move(name), std::move(dtype), std::move(shape), {}};
  a.bytes.assign(static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + bytes);
  return a;
}

CacheArray cache_array_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  return make_array(std::move(name), "float32", std::move(shape), values.data(), values.size_bytes());
}

CacheArray cache_array_i32(std::string name, std::vector<int64_t> shape, std::span<const int32_t> values) {
  return make_array(std::move(name), "int32", std::move(shape), values.data(), values.size_bytes());
}

void write_cache(const std::string& path, uint64_t key, const nlohmann::json& description,
                 const std::vector<CacheArrayView>& arrays) {
  nlohmann::json header;
  header["format"] = "varstar cache 1";
  header["key"] = hex64(key);
  header["description"] = description;
  header["arrays"] = nlohmann::json::array();
  size_t offset = 0;
  for (const auto& a : arrays) {
    const size_t es = dtype_size(a.dtype);
    VARSTAR_CHECK(es > 0, "cache array {}: unknown dtype {}", a.name, a.dtype);
    int64_t count = 1;
    for (int64_t d : a.shape) {
      VARSTAR_CHECK(d >= 0, "cache array {}: negative dimension", a.name);
      count *= d;
    }
    VARSTAR_CHECK(static_cast<size_t>(count) * es == a.bytes, "cache array {}: shape says {} bytes, data has {}",
                  a.name, static_cast<size_t>(count) * es, a.bytes);
    header["arrays"].push_back({{"name", a.name}, {"dtype", a.dtype}, {"shape", a.shape}, {"offset", offset},
                                {"bytes", a.bytes}, {"hash", hex64(hash_bytes(a.data, a.bytes))}});
    offset = align_up(offset + a.bytes);
  }
  const std::string text = header.dump();
  FileWriter out(path);
  auto& buf = out.buf();
  buf.append(kMagic, kMagic + 8);
  put_u64(buf, text.size());
  put_u64(buf, key);
  put_u64(buf, hash_bytes(text.data(), text.size()));
  buf.append(text.data(), text.data() + text.size());
  const size_t data_start = align_up(kPrefix + text.size());
  while (buf.size() < data_start) buf.push_back('\0');
  size_t written = 0;  // bytes of the data section so far
  for (const auto& a : arrays) {
    out.flush_if_full();
    const auto* p = static_cast<const char*>(a.data);
    for (size_t done = 0; done < a.bytes;) {  // large arrays go through the buffer in pieces
      const size_t n = std::min<size_t>(a.bytes - done, size_t{8} << 20);
      buf.append(p + done, p + done + n);
      done += n;
      out.flush_if_full();
    }
    written += a.bytes;
    const size_t padded = align_up(written);
    for (; written < padded; ++written) buf.push_back('\0');
  }
  out.close();
}

// ---- mapped cache ------------------------------------------------------------------------

MappedCache::MappedCache(MappedCache&& o) noexcept { *this = std::move(o); }

MappedCache& MappedCache::operator=(MappedCache&& o) noexcept {
  if (this == &o) return *this;
  if (map_ != nullptr) ::munmap(map_, map_size_);
  path_ = std::move(o.path_);
  map_ = o.map_;
  map_size_ = o.map_size_;
  o.map_ = nullptr;
  o.map_size_ = 0;
  key_ = o.key_;
  description_ = std::move(o.description_);
  entries_ = std::move(o.entries_);
  return *this;
}

MappedCache::~MappedCache() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

void MappedCache::parse(std::span<const unsigned char> bytes, bool verify) {
  auto corrupt = [&](const std::string& what) { return DataError(path_, 0, "", "corrupt cache file: " + what); };
  if (bytes.size() < kPrefix) throw corrupt(fmt::format("{} bytes, shorter than the 32-byte prefix", bytes.size()));
  if (std::memcmp(bytes.data(), kMagic, 8) != 0) throw corrupt("not a varstar cache (bad magic)");
  const uint64_t header_len = read_u64(bytes.data() + 8);
  key_ = read_u64(bytes.data() + 16);
  const uint64_t header_hash = read_u64(bytes.data() + 24);
  if (header_len > kMaxHeader || header_len > bytes.size() - kPrefix)
    throw corrupt(fmt::format("header length {} does not fit the {}-byte file", header_len, bytes.size()));
  const char* text = reinterpret_cast<const char*>(bytes.data() + kPrefix);
  if (hash_bytes(text, header_len) != header_hash) throw corrupt("header checksum mismatch");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(fmt::format("header is not JSON: {}", e.what()));
  }
  const size_t data_start = align_up(kPrefix + header_len);
  if (data_start > bytes.size()) throw corrupt("file ends before the data section");
  const size_t data_size = bytes.size() - data_start;
  try {
    if (!header.is_object() || header.value("key", std::string()) != hex64(key_))
      throw corrupt("header key does not match the prefix");
    description_ = header.value("description", nlohmann::json::object());
    const nlohmann::json& arrays = header.at("arrays");
    if (!arrays.is_array()) throw corrupt("'arrays' is not a list");
    for (const auto& a : arrays) {
      Entry e;
      e.name = a.at("name").get<std::string>();
      e.dtype = a.at("dtype").get<std::string>();
      e.shape = json_integers<int64_t>(a.at("shape"));
      const uint64_t offset = json_integer<uint64_t>(a.at("offset"));
      e.bytes = json_integer<uint64_t>(a.at("bytes"));
      e.hash = std::stoull(a.at("hash").get<std::string>(), nullptr, 16);
      const size_t es = dtype_size(e.dtype);
      if (es == 0) throw corrupt(fmt::format("array {}: unknown dtype '{}'", e.name, e.dtype));
      uint64_t count = 1;
      for (int64_t d : e.shape) {
        if (d < 0 || (d > 0 && count > (uint64_t{1} << 62) / static_cast<uint64_t>(d)))
          throw corrupt(fmt::format("array {}: bad shape", e.name));
        count *= static_cast<uint64_t>(d);
      }
      if (count > (uint64_t{1} << 60) || count * es != e.bytes)
        throw corrupt(fmt::format("array {}: shape and byte count disagree", e.name));
      if (offset % kAlign != 0 || offset > data_size || e.bytes > data_size - offset)
        throw corrupt(fmt::format("array {}: bytes {}..{} outside the {}-byte data section (truncated file?)",
                                  e.name, offset, offset + e.bytes, data_size));
      e.data = bytes.data() + data_start + offset;
      if (verify && hash_bytes(e.data, e.bytes) != e.hash) throw corrupt(fmt::format("array {}: checksum mismatch", e.name));
      for (const auto& other : entries_)
        if (other.name == e.name) throw corrupt(fmt::format("array {} appears twice", e.name));
      entries_.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(fmt::format("bad header field: {}", e.what()));
  } catch (const std::logic_error& e) {  // std::stoull on a bad hash
    throw corrupt(fmt::format("bad header field: {}", e.what()));
  }
}

MappedCache MappedCache::open(const std::string& path, std::optional<uint64_t> expected_key, bool verify) {
  MappedCache c;
  c.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(path, 0, "", fmt::format("cannot open cache: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataError(path, 0, "", "cache is not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw DataError(path, 0, "", fmt::format("cannot map cache: {}", std::strerror(errno)));
    }
    c.map_ = m;
    c.map_size_ = size;
  }
  ::close(fd);
  c.parse(std::span<const unsigned char>(static_cast<const unsigned char*>(c.map_), size), verify);
  if (expected_key && *expected_key != c.key_)
    throw DataError(path, 0, "", fmt::format("cache key {} does not match the inputs ({})", hex64(c.key_), hex64(*expected_key)));
  return c;
}

MappedCache MappedCache::view(std::span<const unsigned char> bytes, const std::string& name, bool verify) {
  MappedCache c;
  c.path_ = name;
  c.parse(bytes, verify);
  return c;
}

bool MappedCache::has(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return true;
  return false;
}

const MappedCache::Entry& MappedCache::entry(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.name == name) return e;
  throw Error(fmt::format("{}: no array '{}' in the cache", path_, name));
}

std::span<const float> MappedCache::f32(std::string_view name) const {
  const Entry& e = entry(name);
  VARSTAR_CHECK(e.dtype == "float32", "{}: array {} is {}, not float32", path_, name, e.dtype);
  return {reinterpret_cast<const float*>(e.data), e.bytes / 4};
}

std::span<const int32_t> MappedCache::i32(std::string_view name) const {
  const Entry& e = entry(name);
  VARSTAR_CHECK(e.dtype == "int32", "{}: array {} is {}, not int32", path_, name, e.dtype);
  return {reinterpret_cast<const int32_t*>(e.data), e.bytes / 4};
}

// ---- get or build -------------------------------------------------------------------------

CacheLoad load_or_build(const std::string& dir, const std::string& stem, const CacheKey& key,
                        const nlohmann::json& description, const std::function<std::vector<CacheArray>()>& build) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const std::string path = (fs::path(dir) / (stem + "-" + key.hex() + ".vscache")).string();
  CacheLoad out{MappedCache(), path, true, "no cache yet"};
  if (fs::exists(path)) {
    try {
      out.cache = MappedCache::open(path, key.value(), true);
      out.rebuilt = false;
      out.reason = "inputs unchanged";
      return out;
    } catch (const DataError& e) {
      out.reason = fmt::format("rebuilt: {}", e.detail());
    }
  }
  // Stale files of the same stem (other keys) go.
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.rfind(stem + "-", 0) == 0 && f.path().extension() == ".vscache" && f.path().string() != path) {
      fs::remove(f.path(), ec);
      if (out.reason == "no cache yet") out.reason = "inputs changed: stale cache replaced";
    }
  }
  const std::vector<CacheArray> arrays = build();
  std::vector<CacheArrayView> views;
  for (const auto& a : arrays) views.push_back(a.view());
  nlohmann::json desc = description;
  desc["inputs"] = key.inputs();
  write_cache(path, key.value(), desc, views);
  out.cache = MappedCache::open(path, key.value(), false);
  return out;
}

}  // namespace varstar::data
