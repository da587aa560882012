// safetensors reader and atomic writer (see safetensors.h).
#include "engine/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace varstar {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr uint64_t kMaxElements = uint64_t{1} << 40;  // per tensor, and its strides' span

const char* st_dtype(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
  }
  return "?";
}

bool parse_st_dtype(const std::string& s, DType& out) {
  if (s == "F32") out = DType::f32;
  else if (s == "F64") out = DType::f64;
  else if (s == "I32") out = DType::i32;
  else return false;
  return true;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw DataError(path, 0, "", fmt::format("not a valid safetensors file: {}", what));
}

void write_all(int fd, const void* data, size_t bytes, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, bytes);
    if (n < 0) throw Error(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

}  // namespace

const Tensor& SafetensorsContents::get(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  throw DataError(path, 0, "", fmt::format("no tensor named '{}'", name));
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> hosts;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    VARSTAR_CHECK(name != "__metadata__" && !header.contains(name), "safetensors: duplicate or reserved name '{}'", name);
    Tensor host = t.detach().cpu().contiguous();
    const uint64_t bytes = host.nbytes();
    header[name] = {{"dtype", st_dtype(host.dtype())}, {"shape", host.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    hosts.push_back(std::move(host));
  }
  std::string json = header.dump();
  while ((8 + json.size()) % 8 != 0) json.push_back(' ');  // align the data to 8 bytes
  const uint64_t header_len = json.size();
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(header_len >> (8 * i));

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  try {
    write_all(fd, len_bytes, 8, tmp);
    write_all(fd, json.data(), json.size(), tmp);
    for (const Tensor& h : hosts) write_all(fd, h.raw_data(), h.nbytes(), tmp);
    if (::fsync(fd) != 0) throw Error(fmt::format("{}: fsync failed: {}", tmp, std::strerror(errno)));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, std::strerror(errno)));
  }
}

SafetensorsContents load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path, 0, "", "cannot open file");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) corrupt(path, fmt::format("{} bytes, shorter than the 8-byte header length", file_size));
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(len_bytes[i]) << (8 * i);
  if (header_len > kMaxHeaderBytes || header_len > file_size - 8)
    corrupt(path, fmt::format("header length {} does not fit in a {}-byte file", header_len, file_size));
  std::string json(header_len, '\0');
  in.read(json.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    corrupt(path, fmt::format("header is not JSON ({})", e.what()));
  }
  if (!header.is_object()) corrupt(path, "header is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_len;

  SafetensorsContents out;
  out.path = path;
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) corrupt(path, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) corrupt(path, fmt::format("metadata '{}' is not a string", m.key()));
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const auto& v = *it;
    Entry e;
    e.name = it.key();
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets") ||
        !v["dtype"].is_string() || !v["shape"].is_array() || !v["data_offsets"].is_array() ||
        v["data_offsets"].size() != 2)
      corrupt(path, fmt::format("entry '{}' lacks dtype, shape or data_offsets", e.name));
    if (!parse_st_dtype(v["dtype"].get<std::string>(), e.dtype))
      corrupt(path, fmt::format("entry '{}' has unsupported dtype {} (varstar reads F32, F64, I32)", e.name,
                                v["dtype"].get<std::string>()));
    // numel, and the strides' product of the dimensions with 0 taken as 1
    // (a zero-size tensor still gets strides): both at most 2^40.
    uint64_t numel = 1, span = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) corrupt(path, fmt::format("entry '{}' has a bad shape", e.name));
      const uint64_t dim = d.get<uint64_t>(), extent = std::max<uint64_t>(dim, 1);
      if (extent > kMaxElements || span > kMaxElements / extent)
        corrupt(path, fmt::format("entry '{}' has an impossible shape", e.name));
      numel *= dim;
      span *= extent;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    if (!v["data_offsets"][0].is_number_unsigned() || !v["data_offsets"][1].is_number_unsigned())
      corrupt(path, fmt::format("entry '{}' has bad data_offsets", e.name));
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      corrupt(path, fmt::format("entry '{}' spans bytes [{}, {}) outside the {}-byte data section (truncated file?)",
                                e.name, e.begin, e.end, data_size));
    if (e.end - e.begin != numel * dtype_size(e.dtype))
      corrupt(path, fmt::format("entry '{}' has {} bytes for {} elements of {}", e.name, e.end - e.begin, numel,
                                dtype_name(e.dtype)));
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].begin < entries[i - 1].end)
      corrupt(path, fmt::format("entries '{}' and '{}' overlap", entries[i - 1].name, entries[i].name));
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    in.seekg(static_cast<std::streamoff>(8 + header_len + e.begin));
    in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(e.end - e.begin));
    if (!in) corrupt(path, fmt::format("entry '{}' could not be read (truncated file?)", e.name));
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace varstar
