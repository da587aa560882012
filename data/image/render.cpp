// Figures of one star for `varstar render` (render.h), drawn once through the
// Painter interface into a PNG and an SVG.
#include "data/image/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/image/painter.h"
#include "data/represent/features.h"
#include "data/represent/fourier_fit.h"
#include "engine/error.h"
#include "kernels/dmdt.h"
#include "kernels/harmonic_math.h"

namespace varstar::image {

namespace {

namespace fs = std::filesystem;

// Linear map of [lo, hi] onto [a, b] (pixels).
struct Scale {
  double lo, hi, a, b;
  double operator()(double v) const { return a + (v - lo) / (hi - lo) * (b - a); }
};

// A "nice" tick step for a range.
double tick_step(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

void axes(Painter& p, double x, double y, double w, double h, const Scale& sx, const Scale& sy, double x_step,
          const std::string& x_label, const std::string& y_label) {
  p.frame(x, y, w, h, kBlack);
  for (double v = std::ceil(sx.lo / x_step) * x_step; v <= sx.hi + 1e-9; v += x_step) {
    p.line(sx(v), y + h, sx(v), y + h + 5, kBlack);
    p.text(sx(v), y + h + 18, fmt::format("{:g}", v), 11, "middle");
  }
  const double lo = std::min(sy.lo, sy.hi), hi = std::max(sy.lo, sy.hi);
  const double y_step = tick_step(hi - lo, 5);
  for (double v = std::ceil(lo / y_step) * y_step; v <= hi + 1e-9; v += y_step) {
    p.line(x - 5, sy(v), x, sy(v), kBlack);
    p.text(x - 8, sy(v) + 4, fmt::format("{:g}", std::round(v / y_step) * y_step), 11, "end");
  }
  p.text(x + w / 2, y + h + 36, x_label, 12, "middle");
  p.text(x - 50, y + h / 2, y_label, 12, "middle", kBlack, -90);
}

PngText png_text(const std::string& title, const RenderInput& in, const std::string& warning = {}) {
  PngText t = {{"Title", title}, {"Software", "varstar render"}};
  if (!in.provenance.empty()) t.push_back({"Source", in.provenance});
  if (!warning.empty()) t.push_back({"Warning", warning});
  return t;
}

template <class Draw>
void save_both(const std::string& stem, int w, int h, const PngText& text, const std::vector<std::string>& notes,
               Draw&& draw, RenderResult& result) {
  RasterPainter raster(w, h);
  SvgPainter svg(w, h);
  for (const auto& [key, value] : text) svg.comment(key + ": " + value);
  draw(static_cast<Painter&>(raster));
  draw(static_cast<Painter&>(svg));
  double y = h - 13.0 * notes.size() + 4;
  for (const auto& n : notes) {
    svg.text(10, y, n, 10, "start", {160, 0, 0});
    y += 12;
  }
  raster.save_png(stem + ".png", text);
  svg.save(stem + ".svg");
  result.files.push_back(stem + ".png");
  result.files.push_back(stem + ".svg");
}

struct BandPoints {
  std::string name;
  std::vector<double> t, m, e;
  data::repr::FourierFit fit;
};

// ---- light curve + harmonic synthesis --------------------------------------------

void lightcurve_figure(const RenderInput& in, const data::CatalogRow& row, const std::vector<BandPoints>& bands,
                       const std::string& stem, RenderResult& result) {
  const int w = 900, h = 660;
  const std::string title = fmt::format("{}  Type {}  P = {:.7g} d", row.id, row.type, row.period);
  // The thesis input for this row, and the same two harmonics in the catalog convention.
  const auto thesis = data::build_representation(data::RepresentationSpec::parse("harmonic-thesis"), {row}, nullptr,
                                                 {}, {});
  std::vector<double> phase(359), ours(359);
  double coeffs[5];
  data::repr::catalog_convention_coefficients(data::repr::band_r(row), coeffs);
  for (int i = 0; i < 359; ++i) {
    phase[i] = linspace_point(0, 2, 359, i);
    ours[i] = harmonic_eval(coeffs, 2, phase[i]);
  }
  double lo = 1e300, hi = -1e300;
  for (float v : thesis.values) lo = std::min(lo, static_cast<double>(v)), hi = std::max(hi, static_cast<double>(v));
  for (double v : ours) lo = std::min(lo, v), hi = std::max(hi, v);
  double olo = 1e300, ohi = -1e300;
  for (const auto& b : bands)
    for (double v : b.m) olo = std::min(olo, v), ohi = std::max(ohi, v);
  auto draw = [&](Painter& p) {
    p.text(w / 2.0, 22, title, 15, "middle");
    p.text(w / 2.0, 40, in.provenance, 10, "middle", kGrey);
    const double x0 = 90, pw = 780;
    // Panel 1: observations folded at the period.
    const double y1 = 60, h1 = 230;
    if (!bands.empty() && olo < ohi) {
      const double pad = 0.05 * (ohi - olo);
      const Scale sx{0, 2, x0, x0 + pw}, sy{olo - pad, ohi + pad, y1, y1 + h1};  // magnitudes grow downwards
      axes(p, x0, y1, pw, h1, sx, sy, 0.25, "phase (cycles from T_0; two cycles shown)", "magnitude");
      p.text(x0 + 8, y1 + 16, "observations folded at P, robust Fourier fit per band", 12);
      for (size_t b = 0; b < bands.size(); ++b) {
        const Rgb c = b == bands.size() - 1 ? kBandR : (bands.size() > 1 && b == 0 ? kBandG : kBlue);
        for (size_t i = 0; i < bands[b].t.size(); ++i) {
          double ph = (bands[b].t[i] - row.t0) / row.period;
          ph -= std::floor(ph);
          for (double k : {0.0, 1.0}) p.dot(sx(ph + k), sy(bands[b].m[i]), 1.8, c);
        }
        if (bands[b].fit.ok) {
          std::vector<double> xs, ys;
          for (int i = 0; i <= 400; ++i) {
            const double ph = 2.0 * i / 400;
            double fit_phase = (row.t0 - bands[b].fit.t_ref) / row.period + ph;
            fit_phase -= std::floor(fit_phase);
            xs.push_back(sx(ph));
            ys.push_back(sy(data::repr::fourier_model(bands[b].fit, fit_phase)));
          }
          p.polyline(xs, ys, kBlack, 1.5);
        }
        p.text(x0 + pw - 70.0 * (bands.size() - 1 - b), y1 - 6, "band " + bands[b].name, 12, "end", c);
      }
    } else {
      p.frame(x0, y1, pw, h1, kGrey);
      p.text(x0 + pw / 2, y1 + h1 / 2, "no light curve for this star: catalog values only", 13, "middle", kGrey);
    }
    // Panel 2: the CNN-LSTM input of the thesis scripts, and our convention.
    const double y2 = 360, h2 = 230;
    const double pad = std::max(0.02, 0.05 * (hi - lo));
    const Scale sx{0, 2, x0, x0 + pw}, sy{lo - pad, hi + pad, y2, y2 + h2};
    axes(p, x0, y2, pw, h2, sx, sy, 0.25, "phase (numpy.linspace(0, 2, 359))", "r magnitude");
    std::vector<double> xs, ys, ys2;
    for (int i = 0; i < 359; ++i) {
      xs.push_back(sx(phase[i]));
      ys.push_back(sy(thesis.values[i]));
      ys2.push_back(sy(ours[i]));
    }
    p.polyline(xs, ys2, kOrange, 1.5);
    p.polyline(xs, ys, kBlue, 2);
    p.text(x0 + 8, y2 + 16, "harmonic-thesis input: rmag + A1 cos(2 pi phi) + A2 cos(4 pi phi - phi21)", 12, "start",
           kBlue);
    p.text(x0 + 8, y2 + 32, "same amplitudes, catalog convention: ... + A2 cos(4 pi phi + phi21)", 12, "start",
           kOrange);
  };
  save_both(stem, w, h, png_text(title + " - light curve and harmonic synthesis", in), {}, draw, result);
}

// ---- dm-dt images -----------------------------------------------------------------

void dmdt_figure(const RenderInput& in, const data::CatalogRow& row, bool have_curve, const std::string& stem,
                 RenderResult& result) {
  const std::string mode = have_curve ? "dmdt-lightcurve" : "dmdt-catalog";
  const auto thesis = data::build_representation(data::RepresentationSpec::parse(mode + ":dmdt_edges=thesis"), {row},
                                                 in.curves, {}, {});
  const auto mahabal = data::build_representation(data::RepresentationSpec::parse(mode + ":dmdt_edges=mahabal"),
                                                  {row}, in.curves, {}, {});
  std::vector<std::string> band_names = {"g", "r"};
  if (thesis.description.contains("bands_used")) band_names = thesis.description["bands_used"].get<std::vector<std::string>>();
  const int cell = 14, gap = 110, left = 80, top = 70;
  const int nb = static_cast<int>(thesis.sample_shape[0]);
  const int w = left + nb * (23 * cell + gap), h = top + (11 + 22) * cell + 90 + 50;
  const std::string title = fmt::format("{}  Type {}: {} images (fraction of pairs per bin)", row.id, row.type, mode);
  auto panel = [&](Painter& p, const data::RepresentationBatch& batch, int channel, double x, double y,
                   const std::vector<double>& dt_edges, const std::vector<double>& dm_edges, const std::string& label) {
    const int n_dm = static_cast<int>(batch.sample_shape[1]), n_dt = static_cast<int>(batch.sample_shape[2]);
    const float* img = batch.values.data() + static_cast<size_t>(channel) * n_dm * n_dt;
    const float peak = *std::max_element(img, img + n_dm * n_dt);
    for (int i = 0; i < n_dm; ++i)
      for (int j = 0; j < n_dt; ++j)
        p.rect(x + j * cell, y + (n_dm - 1 - i) * cell, cell, cell, viridis(peak > 0 ? img[i * n_dt + j] / peak : 0));
    p.frame(x, y, n_dt * cell, n_dm * cell, kBlack);
    p.text(x, y - 8, label + (peak > 0 ? fmt::format("  (peak {:.3f})", peak) : "  (no pairs)"), 12);
    for (int j = 0; j <= n_dt; j += 3)
      p.text(x + j * cell, y + n_dm * cell + 14, fmt::format("{:.3g}", dt_edges[j]), 9, "middle");
    for (int i = 0; i <= n_dm; i += 2)
      p.text(x - 4, y + (n_dm - i) * cell + 3, fmt::format("{:g}", dm_edges[i]), 9, "end");
    p.text(x + n_dt * cell / 2.0, y + n_dm * cell + 30, "dt (days, bin edges)", 11, "middle");
    p.text(x - 40, y + n_dm * cell / 2.0, "dm (mag)", 11, "middle", kBlack, -90);
  };
  auto draw = [&](Painter& p) {
    p.text(w / 2.0, 22, title, 14, "middle");
    p.text(w / 2.0, 40, in.provenance, 10, "middle", kGrey);
    for (int b = 0; b < nb; ++b) {
      const double x = left + b * (23 * cell + gap);
      panel(p, thesis, b, x, top, thesis_dt_edges(), thesis_dm_edges(),
            "band " + band_names[b] + ": thesis edges, |dm|");
      panel(p, mahabal, b, x, top + 11 * cell + 90, mahabal_dt_edges(), mahabal_dm_edges(),
            "band " + band_names[b] + ": Mahabal et al. 2017 edges, dm = later - earlier");
    }
  };
  save_both(stem, w, h, png_text(title, in), {}, draw, result);
}

// ---- class-pair image (uses labels) ---------------------------------------------------

void classpair_figure(const RenderInput& in, const data::CatalogRow& row, const std::string& stem,
                      RenderResult& result) {
  const std::string type = row.type == "CEPII" ? "CEP" : row.type;
  std::vector<data::CatalogRow> same;
  int64_t index = -1;
  for (const auto& r : in.rows) {
    const std::string t = r.type == "CEPII" ? "CEP" : r.type;
    if (t != type) continue;
    if (r.id == row.id) index = static_cast<int64_t>(same.size());
    same.push_back(r.id == row.id ? row : r);
  }
  if (same.size() < 2 || index < 0) return;
  const std::vector<int32_t> labels(same.size(), 0);
  const auto batch = data::build_representation(data::RepresentationSpec::parse("dmdt-thesis-classpair"), same, nullptr,
                                                labels, {});
  result.warnings.push_back(batch.warning);
  const int scale = 4, H = 90, W = 53;
  const int left = 60, top = 80, w = 560, h = top + H * scale + 110;
  const std::string title =
      fmt::format("{}: thesis class-pair image vs {} other {} stars", row.id, same.size() - 1, type);
  const float* img = batch.values.data() + static_cast<size_t>(index) * 3 * H * W;
  auto draw = [&](Painter& p) {
    p.text(w / 2.0, 22, title, 13, "middle");
    p.text(w / 2.0, 40, in.provenance, 10, "middle", kGrey);
    p.text(w / 2.0, 58, "USES THE LABEL OF THE STAR: not a classification input", 13, "middle", {190, 0, 0});
    for (int i = 0; i < H; ++i)      // rows: dt axis, row 0 drawn at the bottom (imshow origin='lower')
      for (int j = 0; j < W; ++j)   // columns: dm axis
        p.rect(left + j * scale, top + (H - 1 - i) * scale, scale, scale, viridis(img[i * W + j] / 255.0));
    p.frame(left, top, W * scale, H * scale, kBlack);
    p.text(left + W * scale / 2.0, top + H * scale + 18, "dm = |Amp_i - Amp_j| (11 bins, resized to 53)", 11, "middle");
    p.text(left - 20, top + H * scale / 2.0, "dt = |Per_i - Per_j| (22 bins, resized to 90)", 11, "middle", kBlack,
           -90);
  };
  // The warning, wrapped, as red notes at the bottom of the SVG.
  std::vector<std::string> notes;
  std::string line;
  const std::string warning = "WARNING: " + batch.warning;
  for (size_t pos = 0; pos < warning.size();) {
    size_t next = warning.find(' ', pos);
    if (next == std::string::npos) next = warning.size();
    const std::string word = warning.substr(pos, next - pos);
    if (line.size() + word.size() > 90) notes.push_back(line), line.clear();
    line += (line.empty() ? "" : " ") + word;
    pos = next + 1;
  }
  if (!line.empty()) notes.push_back(line);
  save_both(stem, w, h, png_text(title, in, batch.warning), notes, draw, result);
}

}  // namespace

RenderResult render_star(const RenderInput& in, const std::string& out_dir) {
  auto it = std::find_if(in.rows.begin(), in.rows.end(), [&](const auto& r) { return r.id == in.star_id; });
  VARSTAR_CHECK(it != in.rows.end(), "star '{}' is not in the catalog ({} stars)", in.star_id, in.rows.size());
  data::CatalogRow row = *it;
  fs::create_directories(out_dir);
  std::string safe = row.id;
  for (char& c : safe)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+' || c == '.')) c = '_';
  const std::string stem = (fs::path(out_dir) / safe).string();

  // Observations per band and the robust fits; a star without catalog values gets them from the fits.
  std::vector<BandPoints> bands;
  const data::LightCurve* curve = nullptr;
  if (in.curves) {
    for (const auto& c : in.curves->curves)
      if (c.id == row.id) curve = &c;
  }
  if (curve) {
    data::RepresentationSpec spec;
    const auto band_index = data::repr::select_bands(spec, *in.curves);
    if (data::repr::row_lacks_fourier(row)) row = data::repr::derive_catalog_row(row, *curve, band_index, {});
    for (int32_t b : band_index) {
      BandPoints bp;
      bp.name = in.curves->band_names[b];
      for (size_t i = 0; i < curve->time.size(); ++i)
        if (curve->band[i] == b) {
          bp.t.push_back(curve->time[i]);
          bp.m.push_back(curve->mag[i]);
          bp.e.push_back(curve->mag_err.empty() ? 0.0 : curve->mag_err[i]);
        }
      const double t_ref = bp.t.empty() ? 0.0 : *std::min_element(bp.t.begin(), bp.t.end());
      bp.fit = data::repr::fit_fourier(bp.t, bp.m, bp.e, row.period, t_ref, {});
      bands.push_back(std::move(bp));
    }
  }
  RenderResult result;
  lightcurve_figure(in, row, bands, stem + "_lightcurve", result);
  dmdt_figure(in, row, curve != nullptr, stem + "_dmdt", result);
  classpair_figure(in, row, stem + "_classpair", result);
  return result;
}

}  // namespace varstar::image
