#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator. Random number i of stream (seed, offset)
// is a pure function of (seed, offset + i), so the CPU and every CUDA thread
// produce exactly the same values without sharing state.
#include "kernels/common.h"

namespace varstar {

struct Philox4 {
  uint32_t v[4];
};

VARSTAR_HD uint32_t philox_mulhi(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

// One block of four 32-bit outputs for a 128-bit counter and 64-bit key.
VARSTAR_HD Philox4 philox4x32_10(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint32_t hi0 = philox_mulhi(kM0, c0), lo0 = kM0 * c0;
    const uint32_t hi1 = philox_mulhi(kM1, c2), lo1 = kM1 * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// The 32-bit random number at position `index` of stream `seed`.
VARSTAR_HD uint32_t philox_u32(uint64_t seed, uint64_t index) {
  const Philox4 block = philox4x32_10(index >> 2, 0, seed);
  return block.v[index & 3];
}

// Uniform in [0, 1) with 24 random bits of a 32-bit word: exactly
// representable in float and double.
VARSTAR_HD float philox_uniform_of(uint32_t word) { return static_cast<float>(word >> 8) * (1.0f / 16777216.0f); }

// The uniform number at position `index` of stream `seed`. Positions 4g .. 4g + 3
// are the four words of block philox4x32_10(g, 0, seed), in order.
VARSTAR_HD float philox_uniform(uint64_t seed, uint64_t index) { return philox_uniform_of(philox_u32(seed, index)); }

}  // namespace varstar
