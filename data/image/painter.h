#pragma once
// Drawing for `varstar render`: one Painter interface, two backends - a
// raster canvas written as PNG (data/image/png.h) and an SVG document - so each
// figure is described once. The raster backend draws no text (it has no font);
// the SVG carries every label, and PNG files carry their captions as tEXt.
// Coordinates are pixels, origin top-left, y down.
#include <cstdint>
#include <string>
#include <vector>

#include "data/image/png.h"

namespace varstar::image {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

inline constexpr Rgb kWhite{255, 255, 255}, kBlack{0, 0, 0}, kGrey{150, 150, 150};
inline constexpr Rgb kBandG{32, 140, 60}, kBandR{200, 40, 40}, kBlue{40, 80, 200}, kOrange{230, 130, 20};

// Viridis colour map (matplotlib's default) for v in [0, 1], interpolated
// between nine of its colours.
Rgb viridis(double v);

class Painter {
 public:
  virtual ~Painter() = default;
  virtual void rect(double x, double y, double w, double h, Rgb fill) = 0;
  virtual void frame(double x, double y, double w, double h, Rgb stroke) = 0;
  virtual void line(double x0, double y0, double x1, double y1, Rgb stroke, double width = 1) = 0;
  virtual void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb stroke, double width = 1) = 0;
  virtual void dot(double x, double y, double radius, Rgb fill) = 0;
  // anchor: "start", "middle" or "end"; rotate: degrees (SVG only).
  virtual void text(double x, double y, const std::string& s, double size = 12, const std::string& anchor = "start",
                    Rgb fill = kBlack, double rotate = 0) = 0;
};

class RasterPainter final : public Painter {
 public:
  RasterPainter(int width, int height, Rgb background = kWhite);
  void rect(double x, double y, double w, double h, Rgb fill) override;
  void frame(double x, double y, double w, double h, Rgb stroke) override;
  void line(double x0, double y0, double x1, double y1, Rgb stroke, double width = 1) override;
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb stroke, double width = 1) override;
  void dot(double x, double y, double radius, Rgb fill) override;
  void text(double, double, const std::string&, double, const std::string&, Rgb, double) override {}
  void save_png(const std::string& path, const PngText& text) const;
  const std::vector<uint8_t>& pixels() const { return pixels_; }  // (height, width, 3)

 private:
  void put(int x, int y, Rgb c);
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

class SvgPainter final : public Painter {
 public:
  SvgPainter(int width, int height, Rgb background = kWhite);
  void rect(double x, double y, double w, double h, Rgb fill) override;
  void frame(double x, double y, double w, double h, Rgb stroke) override;
  void line(double x0, double y0, double x1, double y1, Rgb stroke, double width = 1) override;
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb stroke, double width = 1) override;
  void dot(double x, double y, double radius, Rgb fill) override;
  void text(double x, double y, const std::string& s, double size = 12, const std::string& anchor = "start",
            Rgb fill = kBlack, double rotate = 0) override;
  void comment(const std::string& s);  // an XML comment (provenance, warnings)
  std::string str() const;
  void save(const std::string& path) const;

 private:
  int width_, height_;
  std::string body_;
};

std::string xml_escape(const std::string& s);

}  // namespace varstar::image
