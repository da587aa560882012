// libFuzzer target for the cache file parser (data/cache): any bytes must map
// to validated arrays or give a DataError, never a crash or an out-of-bounds read.
// Byte 0 chooses whether array checksums are verified; the rest is the file.
// The target rewrites the header checksum (bytes 24-31) to match the bytes it
// covers, so that mutations reach the JSON and layout checks behind it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "data/cache.h"
#include "data/hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace varstar::data;
  if (size == 0) return 0;
  const bool verify = (data[0] & 1) != 0;
  std::vector<unsigned char> file(data + 1, data + size);
  if (file.size() >= 32) {
    uint64_t len;
    std::memcpy(&len, file.data() + 8, 8);
    if (len <= file.size() - 32) {
      const uint64_t h = hash_bytes(file.data() + 32, len);
      std::memcpy(file.data() + 24, &h, 8);
    }
  }
  try {
    const MappedCache c = MappedCache::view(file, "fuzz.vscache", verify);
    float sum = 0;
    for (const auto& e : c.arrays()) {
      if (e.data < file.data() || e.data + e.bytes > file.data() + file.size()) __builtin_trap();
      if (e.dtype == "float32")
        for (float v : c.f32(e.name)) sum += v;
    }
    (void)sum;
  } catch (const varstar::DataError& e) {
    (void)e.what();
  }
  return 0;
}
