#pragma once
// take ? a : b as bit masks, for the loops that must vectorise: GCC may
// compile a ternary on floats to a branch (and sink the work of one side
// into it), which on AVX2 stops the loop from vectorising, or mispredicts
// in its scalar remainder. Same result as the ternary, bit for bit.
#include <bit>
#include <cstdint>
#include <type_traits>

namespace varstar::cpu {

template <class T>
inline T select(bool take, T a, T b) {
  static_assert(std::is_arithmetic_v<T> && (sizeof(T) == 4 || sizeof(T) == 8));
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const Bits mask = Bits(0) - static_cast<Bits>(take);
  return std::bit_cast<T>((std::bit_cast<Bits>(a) & mask) | (std::bit_cast<Bits>(b) & ~mask));
}

}  // namespace varstar::cpu
