#pragma once
// Seeded random streams for initialisation, dropout and shuffling. A Generator
// is (seed, offset): each consumer reserves a block of the Philox stream, so
// results depend only on the seed and the order of calls, on every device.
#include <cstdint>

#include "engine/tensor.h"

namespace varstar {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Returns the first index of a fresh block of n numbers and advances past it.
  uint64_t reserve(uint64_t n) {
    const uint64_t start = offset_;
    offset_ += (n + 3) / 4 * 4;
    return start;
  }
  float next_uniform();   // one number in [0, 1)
  uint64_t next_u64();    // one 64-bit number

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator; manual_seed resets it.
Generator& default_generator();
void manual_seed(uint64_t seed);

// Tensors of random numbers (CPU; moved with .to(device) when needed).
Tensor uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype = DType::f32);
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype = DType::f32);

}  // namespace varstar
