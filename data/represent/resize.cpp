// skimage-compatible bilinear resize with anti-aliasing (resize.h), separable:
// rows then columns, each a Gaussian (when shrinking) then a linear
// interpolation, both with the 'mirror' boundary of scipy.ndimage.
#include "data/represent/resize.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace varstar::data::repr {

namespace {

// ndimage 'mirror' index for any integer i and length n.
int64_t mirror(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i = std::llabs(i) % period;
  return i >= n ? period - i : i;
}

// Applies a 1-D operation along one axis of a (rows, cols) image.
// axis 0: along rows' direction (each column is a signal of length rows).
template <class F>
std::vector<double> along_axis(const std::vector<double>& img, int rows, int cols, int axis, int out_len, F&& op) {
  const int len = axis == 0 ? rows : cols, count = axis == 0 ? cols : rows;
  const int out_rows = axis == 0 ? out_len : rows, out_cols = axis == 0 ? cols : out_len;
  std::vector<double> out(static_cast<size_t>(out_rows) * out_cols);
  std::vector<double> signal(len), result(out_len);
  for (int c = 0; c < count; ++c) {
    for (int i = 0; i < len; ++i) signal[i] = axis == 0 ? img[static_cast<size_t>(i) * cols + c] : img[static_cast<size_t>(c) * cols + i];
    op(signal, result);
    for (int i = 0; i < out_len; ++i) {
      if (axis == 0) out[static_cast<size_t>(i) * out_cols + c] = result[i];
      else out[static_cast<size_t>(c) * out_cols + i] = result[i];
    }
  }
  return out;
}

// scipy.ndimage.gaussian_filter1d(signal, sigma, mode='mirror', truncate=4.0).
void gaussian_1d(const std::vector<double>& in, std::vector<double>& out, double sigma) {
  const int64_t n = static_cast<int64_t>(in.size());
  const int radius = static_cast<int>(4.0 * sigma + 0.5);
  std::vector<double> w(2 * radius + 1);
  double sum = 0;
  for (int k = -radius; k <= radius; ++k) sum += (w[k + radius] = std::exp(-0.5 * k * k / (sigma * sigma)));
  for (double& x : w) x /= sum;
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0;
    for (int k = -radius; k <= radius; ++k) acc += w[k + radius] * in[mirror(i + k, n)];
    out[i] = acc;
  }
}

void linear_1d(const std::vector<double>& in, std::vector<double>& out) {
  const int64_t n_in = static_cast<int64_t>(in.size()), n_out = static_cast<int64_t>(out.size());
  const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);
  for (int64_t i = 0; i < n_out; ++i) {
    const double x = (i + 0.5) * scale - 0.5;
    const double x0 = std::floor(x);
    const double f = x - x0;
    const int64_t i0 = static_cast<int64_t>(x0);
    out[i] = in[mirror(i0, n_in)] * (1 - f) + in[mirror(i0 + 1, n_in)] * f;
  }
}

}  // namespace

std::vector<double> resize_skimage(const std::vector<double>& in, int h, int w, int out_h, int out_w) {
  VARSTAR_CHECK(h > 0 && w > 0 && out_h > 0 && out_w > 0 && in.size() == static_cast<size_t>(h) * w,
                "resize: bad sizes {}x{} -> {}x{} ({} values)", h, w, out_h, out_w, in.size());
  std::vector<double> img = in;
  const double sigma_h = std::max(0.0, (static_cast<double>(h) / out_h - 1) / 2);
  const double sigma_w = std::max(0.0, (static_cast<double>(w) / out_w - 1) / 2);
  // scipy skips axes whose sigma is (almost) zero.
  if (sigma_h > 1e-15) img = along_axis(img, h, w, 0, h, [&](const auto& a, auto& b) { gaussian_1d(a, b, sigma_h); });
  if (sigma_w > 1e-15) img = along_axis(img, h, w, 1, w, [&](const auto& a, auto& b) { gaussian_1d(a, b, sigma_w); });
  img = along_axis(img, h, w, 0, out_h, [](const auto& a, auto& b) { linear_1d(a, b); });
  img = along_axis(img, out_h, w, 1, out_w, [](const auto& a, auto& b) { linear_1d(a, b); });
  const auto [lo, hi] = std::minmax_element(in.begin(), in.end());
  for (double& v : img) v = std::clamp(v, *lo, *hi);
  return img;
}

}  // namespace varstar::data::repr
