// CPU max pooling against a plain reference on data full of ties and NaNs:
// the value and the index of the first maximum, the first NaN winning, for
// the networks' windows (2 x 2 and 1 x 2, their own code path) and others.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/pool.h"

namespace {

using varstar::make_pool_shape;
using varstar::PoolShape;

// Values 0..3 (ties everywhere) and about one NaN in twenty.
std::vector<float> tied_values(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> value(0, 3), nan(0, 19);
  std::vector<float> v(n);
  for (float& x : v) x = nan(gen) == 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(value(gen));
  return v;
}

}  // namespace

TEST_CASE("maxpool2d forward: first maximum and first NaN, as a plain loop finds them") {
  struct Case {
    std::string what;
    PoolShape s;
  };
  const Case cases[] = {
      {"2x2 on 6x8", make_pool_shape(5, 6, 8, 2, 2, 2, 2)},
      {"2x2 on 7x9 (last row and column dropped)", make_pool_shape(3, 7, 9, 2, 2, 2, 2)},
      {"2x2 on 4x42 (rows of 21 windows: SIMD body and remainder)", make_pool_shape(3, 4, 42, 2, 2, 2, 2)},
      {"1x2 on odd length (maxpool1d)", make_pool_shape(7, 1, 37, 1, 2, 1, 2)},
      {"1x2 on length 359 (the CNN-LSTM's first pooling)", make_pool_shape(3, 1, 359, 1, 2, 1, 2)},
      {"3x3 stride 2 (overlapping windows)", make_pool_shape(2, 9, 8, 3, 3, 2, 2)},
      {"1x3 stride 3", make_pool_shape(4, 1, 20, 1, 3, 1, 3)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const PoolShape& s = c.s;
    const std::vector<float> x = tied_values(s.planes * s.h * s.w, 11);
    std::vector<float> y(s.planes * s.out_h * s.out_w);
    std::vector<int32_t> argmax(y.size());
    varstar::cpu::maxpool2d_forward(x.data(), y.data(), argmax.data(), s);
    int nans = 0;
    for (int64_t p = 0; p < s.planes; ++p) {
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const float* plane = x.data() + p * s.h * s.w;
          int32_t want = -1;
          bool nan_found = false;
          for (int64_t i = 0; i < s.kh; ++i)
            for (int64_t j = 0; j < s.kw; ++j) {
              const int32_t idx = static_cast<int32_t>((oh * s.stride_h + i) * s.w + ow * s.stride_w + j);
              if (nan_found) continue;
              if (want < 0 || std::isnan(plane[idx]) || plane[idx] > plane[want]) want = idx;
              nan_found = std::isnan(plane[idx]);
            }
          const int64_t o = (p * s.out_h + oh) * s.out_w + ow;
          CHECK(argmax[o] == want);
          const float expected = plane[want];
          if (std::isnan(expected)) {
            ++nans;
            CHECK(std::isnan(y[o]));
          } else {
            CHECK(y[o] == expected);
          }
        }
      }
    }
    CHECK(nans > 0);  // the data did exercise the NaN rule
  }
}
