// Minimal PNG encoder (png.h): signature, IHDR, tEXt, IDAT (zlib stream of
// stored deflate blocks), IEND.
#include "data/image/png.h"

#include <array>
#include <fstream>

#include "engine/error.h"

namespace varstar::image {

namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

void put_u32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  put_u32(out, crc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = crc_table()[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t adler32(const uint8_t* data, size_t n, uint32_t adler) {
  uint32_t a = adler & 0xFFFF, b = adler >> 16;
  for (size_t i = 0; i < n; ++i) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

std::string encode_png(int width, int height, int channels, const uint8_t* pixels, const PngText& text) {
  VARSTAR_CHECK(width > 0 && height > 0 && width <= 1 << 15 && height <= 1 << 15, "png: bad size {}x{}", width,
                height);
  VARSTAR_CHECK(channels == 1 || channels == 3 || channels == 4, "png: {} channels (1, 3 or 4 allowed)", channels);
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(width));
  put_u32(ihdr, static_cast<uint32_t>(height));
  ihdr.push_back(8);                                                  // bit depth
  ihdr.push_back(static_cast<char>(channels == 1 ? 0 : channels == 3 ? 2 : 6));  // colour type
  ihdr.push_back(0);                                                  // deflate
  ihdr.push_back(0);                                                  // adaptive filtering
  ihdr.push_back(0);                                                  // no interlace
  put_chunk(out, "IHDR", ihdr);
  for (const auto& [key, value] : text) {
    VARSTAR_CHECK(!key.empty() && key.size() < 80, "png: tEXt keyword must be 1-79 characters");
    put_chunk(out, "tEXt", key + std::string(1, '\0') + value);
  }
  // Raw scanlines: filter byte 0, then the row.
  const size_t row_bytes = static_cast<size_t>(width) * channels;
  std::string raw;
  raw.reserve((row_bytes + 1) * height);
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.append(reinterpret_cast<const char*>(pixels + y * row_bytes), row_bytes);
  }
  // zlib stream: header (deflate, 32K window, no dictionary), stored blocks, Adler-32.
  std::string z = "\x78\x01";
  constexpr size_t kMaxStored = 65535;
  size_t pos = 0;
  do {
    const size_t len = std::min(kMaxStored, raw.size() - pos);
    const bool last = pos + len == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<char>(len & 0xFF));
    z.push_back(static_cast<char>(len >> 8));
    z.push_back(static_cast<char>(~len & 0xFF));
    z.push_back(static_cast<char>((~len >> 8) & 0xFF));
    z.append(raw, pos, len);
    pos += len;
  } while (pos < raw.size());
  put_u32(z, adler32(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
  put_chunk(out, "IDAT", z);
  put_chunk(out, "IEND", "");
  return out;
}

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels,
               const PngText& text) {
  const std::string bytes = encode_png(width, height, channels, pixels, text);
  std::ofstream f(path, std::ios::binary);
  VARSTAR_CHECK(f.good(), "cannot write {}", path);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  VARSTAR_CHECK(f.good(), "error writing {}", path);
}

}  // namespace varstar::image
