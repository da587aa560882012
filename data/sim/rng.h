#pragma once
// A small deterministic random source for the simulator and the simulated
// cadence of dmdt-catalog: xoshiro256** seeded through splitmix64, with our
// own uniform/normal/Poisson transforms, so a seed gives the same stars on
// every compiler and standard library (std::normal_distribution does not).
#include <cmath>
#include <cstdint>
#include <string_view>

namespace varstar::sim {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a of a string: stable per-star seeds from ids.
inline uint64_t hash_id(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : state_) w = splitmix64(s);
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int64_t integer(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(uniform() * static_cast<double>(hi - lo + 1));
  }
  bool bernoulli(double p) { return uniform() < p; }
  double normal() {  // Marsaglia polar method, no cached second value
    for (;;) {
      const double u = 2 * uniform() - 1, v = 2 * uniform() - 1, s = u * u + v * v;
      if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
    }
  }
  double normal(double mean, double sigma) { return mean + sigma * normal(); }
  double lognormal(double median, double sigma_ln) { return median * std::exp(sigma_ln * normal()); }
  double truncated_normal(double mean, double sigma, double lo, double hi) {
    for (int i = 0; i < 1000; ++i) {
      const double x = normal(mean, sigma);
      if (x >= lo && x <= hi) return x;
    }
    return std::fmin(std::fmax(mean, lo), hi);
  }
  int64_t poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 50) return std::max<int64_t>(0, std::llround(normal(lambda, std::sqrt(lambda))));
    const double limit = std::exp(-lambda);
    double p = uniform();
    int64_t k = 0;
    while (p > limit) {
      p *= uniform();
      ++k;
    }
    return k;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace varstar::sim
