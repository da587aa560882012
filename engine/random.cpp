// Seeded generators and random tensors on the Philox stream.
#include "engine/random.h"

#include <cmath>

#include "kernels/philox_math.h"

namespace varstar {

float Generator::next_uniform() { return philox_uniform(seed_, reserve(1)); }

uint64_t Generator::next_u64() {
  const uint64_t i = reserve(2);
  return (static_cast<uint64_t>(philox_u32(seed_, i)) << 32) | philox_u32(seed_, i + 1);
}

Generator& default_generator() {
  static Generator gen(0x5eed);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

Tensor uniform(const Shape& shape, double low, double high, Generator& gen, DType dtype) {
  VARSTAR_CHECK(is_floating(dtype), "uniform: expected a floating dtype, got {}", dtype_name(dtype));
  Tensor t = Tensor::empty(shape, dtype, Device::cpu());
  const int64_t n = t.numel();
  const uint64_t start = gen.reserve(static_cast<uint64_t>(n));
  const uint64_t seed = gen.seed();
  VARSTAR_DISPATCH_FLOATING(dtype, "uniform", [&] {
    scalar_t* p = t.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = static_cast<scalar_t>(low + (high - low) * static_cast<double>(philox_uniform(seed, start + i)));
  });
  return t;
}

Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype) {
  VARSTAR_CHECK(is_floating(dtype), "normal: expected a floating dtype, got {}", dtype_name(dtype));
  Tensor t = Tensor::empty(shape, dtype, Device::cpu());
  const int64_t n = t.numel();
  const uint64_t start = gen.reserve(static_cast<uint64_t>(2 * n));
  const uint64_t seed = gen.seed();
  VARSTAR_DISPATCH_FLOATING(dtype, "normal", [&] {
    scalar_t* p = t.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) {
      // Box-Muller; 1 - u keeps the logarithm finite.
      const double u1 = 1.0 - static_cast<double>(philox_uniform(seed, start + 2 * i));
      const double u2 = static_cast<double>(philox_uniform(seed, start + 2 * i + 1));
      p[i] = static_cast<scalar_t>(mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
    }
  });
  return t;
}

}  // namespace varstar
