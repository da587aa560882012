#pragma once
// A minimal PNG encoder (no dependency): 8-bit greyscale, RGB or RGBA, filter
// type 0, the image data in uncompressed ("stored") deflate blocks inside a
// zlib stream, CRC-32 and Adler-32 computed here. Files are larger than a
// compressing encoder's, which is fine for the few small figures
// `varstar render` writes. tEXt chunks carry provenance and warnings
// (e.g. "Warning" for a label-using representation, "Source" for simulated data).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace varstar::image {

using PngText = std::vector<std::pair<std::string, std::string>>;  // keyword (1-79 Latin-1 chars), text

// pixels: (height, width, channels) uint8, row-major; channels 1, 3 or 4.
std::string encode_png(int width, int height, int channels, const uint8_t* pixels, const PngText& text = {});
void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels,
               const PngText& text = {});

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);
uint32_t adler32(const uint8_t* data, size_t n, uint32_t adler = 1);

}  // namespace varstar::image
