#pragma once
// NumPy's legacy RandomState (MT19937), bit for bit, as far as the thesis
// protocol needs it: np.random.RandomState(seed) seeding, the 32/64-bit raw
// draws, the bounded integer of `random_interval` (smallest bit mask >= max,
// reject draws above max), `shuffle` of a 1-D array (Fisher-Yates from the
// end, j = random_interval(i)), `permutation(n)` and `random_sample()`.
// pandas' DataFrame.sample(n, random_state=s) is
// RandomState(s).permutation(len)[:n]; scikit-learn's KFold(shuffle=True,
// random_state=s) shuffles arange(n) with RandomState(s).
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace varstar::data {

class NumpyRandomState {
 public:
  // np.random.RandomState(seed): MT19937 init_genrand(seed), which std::mt19937 shares.
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}

  uint32_t next_uint32() { return static_cast<uint32_t>(mt_()); }
  uint64_t next_uint64() {
    const uint64_t hi = next_uint32();
    return (hi << 32) | next_uint32();
  }
  // Uniform integer in [0, max].
  uint64_t random_interval(uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    uint64_t value;
    if (max <= 0xffffffffULL) {
      while ((value = (next_uint32() & mask)) > max) {
      }
    } else {
      while ((value = (next_uint64() & mask)) > max) {
      }
    }
    return value;
  }
  // RandomState.shuffle(x) for a 1-D array x.
  template <class T>
  void shuffle(std::span<T> x) {
    for (size_t i = x.size(); i-- > 1;) {
      const size_t j = static_cast<size_t>(random_interval(i));
      std::swap(x[i], x[j]);
    }
  }
  // RandomState.permutation(n).
  std::vector<int64_t> permutation(int64_t n) {
    std::vector<int64_t> p(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
    shuffle(std::span<int64_t>(p));
    return p;
  }
  // RandomState.random_sample(): a double in [0, 1) from two 32-bit draws.
  double random_sample() {
    const uint32_t a = next_uint32() >> 5, b = next_uint32() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

 private:
  std::mt19937 mt_;
};

}  // namespace varstar::data
