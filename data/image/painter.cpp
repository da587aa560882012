// Raster and SVG painters (painter.h) and the viridis colour map.
#include "data/image/painter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "engine/error.h"

namespace varstar::image {

Rgb viridis(double v) {
  static constexpr Rgb kStops[9] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                                    {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  if (!std::isfinite(v)) v = 0;
  v = std::clamp(v, 0.0, 1.0) * 8;
  const int i = std::min(7, static_cast<int>(v));
  const double f = v - i;
  auto mix = [&](uint8_t a, uint8_t b) { return static_cast<uint8_t>(std::lround(a + (b - a) * f)); };
  return {mix(kStops[i].r, kStops[i + 1].r), mix(kStops[i].g, kStops[i + 1].g), mix(kStops[i].b, kStops[i + 1].b)};
}

// ---- raster -----------------------------------------------------------------------

RasterPainter::RasterPainter(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<size_t>(width) * height * 3) {
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

void RasterPainter::put(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void RasterPainter::rect(double x, double y, double w, double h, Rgb fill) {
  const int x0 = static_cast<int>(std::lround(x)), y0 = static_cast<int>(std::lround(y));
  const int x1 = static_cast<int>(std::lround(x + w)), y1 = static_cast<int>(std::lround(y + h));
  for (int yy = y0; yy < y1; ++yy)
    for (int xx = x0; xx < x1; ++xx) put(xx, yy, fill);
}

void RasterPainter::frame(double x, double y, double w, double h, Rgb stroke) {
  line(x, y, x + w, y, stroke);
  line(x + w, y, x + w, y + h, stroke);
  line(x + w, y + h, x, y + h, stroke);
  line(x, y + h, x, y, stroke);
}

void RasterPainter::line(double x0, double y0, double x1, double y1, Rgb stroke, double width) {
  const double len = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(len * 2)));
  const int r = std::max(0, static_cast<int>(std::lround((width - 1) / 2)));
  for (int s = 0; s <= steps; ++s) {
    const double f = static_cast<double>(s) / steps;
    const int x = static_cast<int>(std::lround(x0 + (x1 - x0) * f)), y = static_cast<int>(std::lround(y0 + (y1 - y0) * f));
    for (int dy = -r; dy <= r; ++dy)
      for (int dx = -r; dx <= r; ++dx) put(x + dx, y + dy, stroke);
  }
}

void RasterPainter::polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb stroke, double width) {
  for (size_t i = 1; i < xs.size(); ++i) line(xs[i - 1], ys[i - 1], xs[i], ys[i], stroke, width);
}

void RasterPainter::dot(double x, double y, double radius, Rgb fill) {
  const int r = static_cast<int>(std::ceil(radius));
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx)
      if (dx * dx + dy * dy <= radius * radius + 0.5)
        put(static_cast<int>(std::lround(x)) + dx, static_cast<int>(std::lround(y)) + dy, fill);
}

void RasterPainter::save_png(const std::string& path, const PngText& text) const {
  write_png(path, width_, height_, 3, pixels_.data(), text);
}

// ---- SVG --------------------------------------------------------------------------

namespace {
std::string css(Rgb c) { return fmt::format("rgb({},{},{})", c.r, c.g, c.b); }
}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

SvgPainter::SvgPainter(int width, int height, Rgb background) : width_(width), height_(height) {
  rect(0, 0, width, height, background);
}

void SvgPainter::rect(double x, double y, double w, double h, Rgb fill) {
  body_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\"/>\n", x, y, w, h,
                       css(fill));
}

void SvgPainter::frame(double x, double y, double w, double h, Rgb stroke) {
  body_ += fmt::format(
      "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"none\" stroke=\"{}\"/>\n", x, y, w,
      h, css(stroke));
}

void SvgPainter::line(double x0, double y0, double x1, double y1, Rgb stroke, double width) {
  body_ += fmt::format(
      "<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" stroke-width=\"{:.2f}\"/>\n", x0, y0,
      x1, y1, css(stroke), width);
}

void SvgPainter::polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb stroke, double width) {
  std::string pts;
  for (size_t i = 0; i < xs.size(); ++i) pts += fmt::format("{:.2f},{:.2f} ", xs[i], ys[i]);
  body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{:.2f}\"/>\n", pts,
                       css(stroke), width);
}

void SvgPainter::dot(double x, double y, double radius, Rgb fill) {
  body_ += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{:.2f}\" fill=\"{}\"/>\n", x, y, radius, css(fill));
}

void SvgPainter::text(double x, double y, const std::string& s, double size, const std::string& anchor, Rgb fill,
                      double rotate) {
  const std::string transform =
      rotate != 0 ? fmt::format(" transform=\"rotate({:.1f} {:.2f} {:.2f})\"", rotate, x, y) : std::string();
  body_ += fmt::format(
      "<text x=\"{:.2f}\" y=\"{:.2f}\" font-family=\"sans-serif\" font-size=\"{:.1f}\" text-anchor=\"{}\" "
      "fill=\"{}\"{}>{}</text>\n",
      x, y, size, anchor, css(fill), transform, xml_escape(s));
}

void SvgPainter::comment(const std::string& s) {
  std::string safe = s;
  for (size_t p; (p = safe.find("--")) != std::string::npos;) safe.replace(p, 2, "- -");
  body_ += "<!-- " + safe + " -->\n";
}

std::string SvgPainter::str() const {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\">\n{}</svg>\n",
      width_, height_, width_, height_, body_);
}

void SvgPainter::save(const std::string& path) const {
  std::ofstream f(path);
  VARSTAR_CHECK(f.good(), "cannot write {}", path);
  f << str();
  VARSTAR_CHECK(f.good(), "error writing {}", path);
}

}  // namespace varstar::image
