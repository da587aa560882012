// PNG encoder (standard CRC-32 / Adler-32 check values, chunk layout, stored
// deflate round trip), and `varstar render`'s figures for a simulated star.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/image/painter.h"
#include "data/image/png.h"
#include "data/image/render.h"
#include "data/sim/simulate.h"

namespace {

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("CRC-32 and Adler-32 give the standard check values") {
  const char* digits = "123456789";
  CHECK(varstar::image::crc32(reinterpret_cast<const uint8_t*>(digits), 9) == 0xCBF43926u);  // ISO-HDLC check value
  const char* wiki = "Wikipedia";
  CHECK(varstar::image::adler32(reinterpret_cast<const uint8_t*>(wiki), 9) == 0x11E60398u);  // RFC 1950 example
}

TEST_CASE("PNG layout: signature, IHDR, tEXt, IDAT with stored blocks, IEND, valid CRCs") {
  // 3 x 2 RGB image.
  const uint8_t px[18] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
  const std::string png = varstar::image::encode_png(3, 2, 3, px, {{"Warning", "uses labels"}});
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  size_t at = 8;
  std::vector<std::string> types;
  std::string idat;
  while (at < png.size()) {
    const uint32_t len = be32(png, at);
    const std::string type = png.substr(at + 4, 4);
    const std::string data = png.substr(at + 8, len);
    const uint32_t crc = be32(png, at + 8 + len);
    CHECK(crc == varstar::image::crc32(reinterpret_cast<const uint8_t*>(png.data() + at + 4), len + 4));
    types.push_back(type);
    if (type == "IHDR") {
      CHECK(be32(data, 0) == 3);
      CHECK(be32(data, 4) == 2);
      CHECK(uint8_t(data[8]) == 8);  // bit depth
      CHECK(uint8_t(data[9]) == 2);  // truecolour
    }
    if (type == "tEXt") CHECK(data == std::string("Warning\0uses labels", 19));
    if (type == "IDAT") idat = data;
    at += 12 + len;
  }
  CHECK(types == std::vector<std::string>{"IHDR", "tEXt", "IDAT", "IEND"});
  // zlib header, one final stored block of 2 rows x (1 filter byte + 9 bytes), Adler-32.
  REQUIRE(idat.size() == 2 + 5 + 20 + 4);
  CHECK(uint8_t(idat[0]) == 0x78);
  CHECK((uint8_t(idat[0]) * 256 + uint8_t(idat[1])) % 31 == 0);  // zlib header check bits
  CHECK(uint8_t(idat[2]) == 1);                                  // BFINAL, stored
  CHECK(uint8_t(idat[3]) + 256 * uint8_t(idat[4]) == 20);
  CHECK(uint8_t(idat[7]) == 0);                                   // filter byte of row 0
  CHECK(std::memcmp(idat.data() + 8, px, 9) == 0);
  CHECK(std::memcmp(idat.data() + 18, px + 9, 9) == 0);
}

TEST_CASE("viridis endpoints") {
  const auto lo = varstar::image::viridis(0), hi = varstar::image::viridis(1);
  CHECK(int(lo.r) == 68);
  CHECK(int(lo.b) == 84);
  CHECK(int(hi.r) == 253);
  CHECK(int(hi.g) == 231);
}

TEST_CASE("render writes PNG and SVG figures that say where the data came from") {
  varstar::sim::SimOptions o;
  o.stars_per_class = 6;
  o.seed = 5;
  const auto d = varstar::sim::simulate(o);
  varstar::image::RenderInput in;
  in.rows = d.rows;
  in.curves = &d.curves;
  in.star_id = d.rows[3].id;
  in.provenance = "SIMULATED DATA (test)";
  const auto dir = std::filesystem::temp_directory_path() / ("varstar_render_" + std::to_string(::getpid()));
  const auto r = varstar::image::render_star(in, dir.string());
  CHECK(r.files.size() == 6);  // light curve, dm-dt, class pair; PNG + SVG each
  CHECK(r.warnings.size() == 1);
  for (const auto& f : r.files) {
    const std::string bytes = slurp(f);
    if (f.ends_with(".png")) {
      CHECK(bytes.substr(1, 3) == "PNG");
      CHECK(bytes.find("SIMULATED DATA (test)") != std::string::npos);  // tEXt Source
    } else {
      CHECK(bytes.find("<svg") != std::string::npos);
      CHECK(bytes.find("SIMULATED DATA (test)") != std::string::npos);
    }
    if (f.find("_classpair") != std::string::npos) CHECK(bytes.find("uses the labels") != std::string::npos);
  }
  CHECK_THROWS(varstar::image::render_star([&] {
    auto bad = in;
    bad.star_id = "nope";
    return bad;
  }(), dir.string()));
  std::filesystem::remove_all(dir);
}
