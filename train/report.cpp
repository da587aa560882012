// report.html rendering (see report.h).
#include "train/report.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/json_int.h"
#include "train/run.h"

namespace varstar::train {

namespace {

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
                          "#7f7f7f", "#bcbd22"};

std::string pct(double v) { return fmt::format("{:.2f}%", 100 * v); }
std::string mean_std_pct(const nlohmann::json& ms) {
  return fmt::format("{:.2f} &plusmn; {:.2f}%", 100 * ms.at("mean").get<double>(), 100 * ms.at("std").get<double>());
}
std::string mean_std_num(const nlohmann::json& ms) {
  return fmt::format("{:.4f} &plusmn; {:.4f}", ms.at("mean").get<double>(), ms.at("std").get<double>());
}

// Sequential blue colour for v in [0, 1].
std::string blue(double v) {
  v = std::clamp(v, 0.0, 1.0);
  const int r = static_cast<int>(247 - v * (247 - 8)), g = static_cast<int>(251 - v * (251 - 48)),
            b = static_cast<int>(255 - v * (255 - 107));
  return fmt::format("rgb({},{},{})", r, g, b);
}

// A small plot of one sample: a line for 1-d inputs (first channel), a grey
// image for 2-d inputs (first channel).
std::string sample_svg(const Dataset& d, int64_t row) {
  const float* v = d.sample(row);
  if (d.sample_shape.size() == 2) {
    const int64_t n = d.sample_shape[1];
    const auto [lo_it, hi_it] = std::minmax_element(v, v + n);
    const double lo = *lo_it, hi = *hi_it, span = hi > lo ? hi - lo : 1.0;
    std::string pts;
    for (int64_t i = 0; i < n; ++i)
      pts += fmt::format("{:.1f},{:.1f} ", 2 + 116.0 * i / std::max<int64_t>(n - 1, 1), 2 + 56.0 * (v[i] - lo) / span);
    // Magnitudes: brighter is up, so larger values are drawn lower.
    return fmt::format(R"~(<svg width="120" height="60" viewBox="0 0 120 60"><rect width="120" height="60" fill="#fff" stroke="#ccc"/><polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="1"/></svg>)~",
                       pts);
  }
  if (d.sample_shape.size() == 3) {
    const int64_t h = d.sample_shape[1], w = d.sample_shape[2];
    const auto [lo_it, hi_it] = std::minmax_element(v, v + h * w);
    const double lo = *lo_it, hi = *hi_it, span = hi > lo ? hi - lo : 1.0;
    const double cw = 96.0 / w, ch = 96.0 / h;
    std::string cells;
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const double t = (v[i * w + j] - lo) / span;
        if (t <= 0.02) continue;
        cells += fmt::format(R"~(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}"/>)~", j * cw,
                             (h - 1 - i) * ch, cw + 0.05, ch + 0.05, blue(t));
      }
    return fmt::format(R"~(<svg width="96" height="96" viewBox="0 0 96 96"><rect width="96" height="96" fill="#f7fbff" stroke="#ccc"/>{}</svg>)~",
                       cells);
  }
  return "";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_line_chart(const std::vector<Series>& series, const std::string& title, const std::string& y_label,
                           int width, int height) {
  const double left = 48, right = 10, top = 24, bottom = 30;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i]) || s.y[i] < 0) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  if (x0 > x1) return "";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const auto px = [&](double x) { return left + (width - left - right) * (x - x0) / (x1 - x0); };
  const auto py = [&](double y) { return top + (height - top - bottom) * (1 - (y - y0) / (y1 - y0)); };
  std::string svg = fmt::format(R"~(<svg class="chart" width="{}" height="{}" viewBox="0 0 {} {}" role="img">)~", width,
                                height, width, height);
  svg += fmt::format(R"~(<text x="{}" y="15" font-size="12" font-weight="bold">{}</text>)~", left, html_escape(title));
  for (int t = 0; t <= 4; ++t) {
    const double y = y0 + (y1 - y0) * t / 4;
    svg += fmt::format(R"~(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#eee"/><text x="{}" y="{:.1f}" font-size="9" text-anchor="end">{:.3g}</text>)~",
                       left, width - right, py(y), py(y), left - 4, py(y) + 3, y);
  }
  svg += fmt::format(R"~(<text x="{}" y="{}" font-size="9" text-anchor="middle">epoch</text>)~", (left + width - right) / 2,
                     height - 4);
  svg += fmt::format(R"~(<text x="10" y="{}" font-size="9" transform="rotate(-90 10 {})" text-anchor="middle">{}</text>)~",
                     (top + height - bottom) / 2, (top + height - bottom) / 2, html_escape(y_label));
  svg += fmt::format(R"~(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#999"/>)~", left, width - right, height - bottom,
                     height - bottom);
  int legend = 0;
  for (const auto& s : series) {
    std::string pts;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i]) && s.y[i] >= 0) pts += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.y[i]));
    if (pts.empty()) continue;
    svg += fmt::format(R"~(<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"{}/>)~", pts, s.color,
                       s.dashed ? R"~( stroke-dasharray="4 3")~" : "");
    svg += fmt::format(R"~(<text x="{}" y="{}" font-size="9" fill="{}">{}</text>)~", width - right - 70,
                       top + 10 + 11 * legend++, s.color, html_escape(s.label));
  }
  return svg + "</svg>";
}

std::string svg_heatmap(const std::vector<double>& values, const std::vector<std::string>& cell_labels, int rows,
                        int cols, const std::vector<std::string>& row_names, const std::vector<std::string>& col_names) {
  const int cell = 44, left = 70, top = 70;
  const int width = left + cols * cell + 10, height = top + rows * cell + 10;
  std::string svg = fmt::format(R"~(<svg class="heatmap" width="{}" height="{}" viewBox="0 0 {} {}" role="img">)~", width,
                                height, width, height);
  svg += fmt::format(R"~(<text x="{}" y="12" font-size="11" text-anchor="middle">predicted</text>)~", left + cols * cell / 2);
  svg += fmt::format(R"~(<text x="12" y="{}" font-size="11" transform="rotate(-90 12 {})" text-anchor="middle">true</text>)~",
                     top + rows * cell / 2, top + rows * cell / 2);
  for (int j = 0; j < cols; ++j)
    svg += fmt::format(R"~(<text x="{}" y="{}" font-size="10" transform="rotate(-45 {} {})">{}</text>)~",
                       left + j * cell + cell / 2, top - 6, left + j * cell + cell / 2, top - 6,
                       html_escape(col_names[j]));
  for (int i = 0; i < rows; ++i) {
    svg += fmt::format(R"~(<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>)~", left - 4,
                       top + i * cell + cell / 2 + 3, html_escape(row_names[i]));
    for (int j = 0; j < cols; ++j) {
      const double v = values[i * cols + j];
      svg += fmt::format(R"~(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff"/>)~", left + j * cell,
                         top + i * cell, cell, cell, blue(v));
      svg += fmt::format(R"~(<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="{}">{}</text>)~",
                         left + j * cell + cell / 2, top + i * cell + cell / 2 + 3, v > 0.5 ? "#fff" : "#000",
                         html_escape(cell_labels[i * cols + j]));
    }
  }
  return svg + "</svg>";
}

std::string render_report(const ReportInput& in) {
  VARSTAR_CHECK(in.folds != nullptr && in.data != nullptr, "render_report: folds and data are required");
  const Dataset& d = *in.data;
  const auto& folds = *in.folds;
  const auto& summary = in.metrics.at("summary");
  const auto& names = d.class_names;
  const int c = static_cast<int>(names.size());
  std::string h;
  h += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>varstar report: " +
       html_escape(in.title) + "</title><style>"
       "body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}"
       "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
       "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
       "th{background:#f4f4f4}td.l,th.l{text-align:left}.banner{padding:10px 14px;margin:10px 0;border-radius:4px}"
       ".warn{background:#fde2e1;border:2px solid #c0392b;color:#7b1d14;font-weight:bold}"
       ".note{background:#fff6d8;border:1px solid #e0b000}.charts{display:flex;flex-wrap:wrap;gap:8px}"
       ".examples td{vertical-align:top}.muted{color:#777;font-size:12px}"
       "</style></head><body>";
  h += "<h1>varstar cross-validation report: " + html_escape(in.title) + "</h1>";
  if (!d.warning.empty())
    h += "<div class=\"banner warn\" id=\"label-leak\">WARNING: " + html_escape(d.warning) + "</div>";
  const std::string note = in.config.value("/data/notice"_json_pointer, std::string());
  if (d.name.find("simulated") != std::string::npos || !note.empty())
    h += "<div class=\"banner note\" id=\"simulated\">" +
         html_escape(note.empty() ? "These results are on SIMULATED data (varstar's built-in simulator), not on "
                                    "real survey stars." : note) + "</div>";

  h += "<h2>Summary</h2><table><tr><th class=\"l\">metric (test folds)</th><th>mean &plusmn; std</th></tr>";
  h += std::string("<tr><td class=\"l\">") +
       (summary.contains("trees") ? "accuracy (networks and trees averaged)" : "accuracy") + "</td><td>" +
       mean_std_pct(summary.at("accuracy")) + "</td></tr>";
  if (summary.contains("trees"))
    h += fmt::format("<tr><td class=\"l\">the networks alone</td><td>{}</td></tr>"
                     "<tr><td class=\"l\">boosted trees alone (per-star features)</td><td>{}</td></tr>",
                     mean_std_pct(summary.at("trees").at("networks_alone")),
                     mean_std_pct(summary.at("trees").at("trees_alone")));
  if (summary.contains("ensemble"))
    h += fmt::format("<tr><td class=\"l\">each of the {} ensemble members alone</td><td>{}</td></tr>",
                     json_integer<int>(summary.at("ensemble").at("members")),
                     mean_std_pct(summary.at("ensemble").at("member_accuracy")));
  for (const char* avg : {"weighted", "macro"})
    for (const char* m : {"precision", "recall", "f1"})
      h += fmt::format("<tr><td class=\"l\">{} {}</td><td>{}</td></tr>", avg, m, mean_std_num(summary.at(avg).at(m)));
  if (in.data_report.is_object() && in.data_report.contains("baseline")) {
    const auto& b = in.data_report.at("baseline");
    h += fmt::format("<tr><td class=\"l\">simple baseline: {}</td><td>{:.2f} &plusmn; {:.2f}%</td></tr>",
                     html_escape(b.at("method").get<std::string>()), 100 * b.at("accuracy_mean").get<double>(),
                     100 * b.at("accuracy_std").get<double>());
  }
  h += "</table>";
  for (const std::string& w : chance_fold_warnings(summary))
    h += "<div class=\"banner warn chance-fold\">" + html_escape(w) + "</div>";
  for (const std::string& w : weak_member_warnings(summary))
    h += "<div class=\"banner warn weak-member\">" + html_escape(w) + "</div>";
  double seconds = 0, rate_sum = 0;
  int64_t epochs_run = 0;
  for (const auto& f : folds) {
    seconds += f.seconds;
    for (const auto& r : f.history) {
      rate_sum += r.samples_per_s;
      ++epochs_run;
    }
  }
  h += fmt::format("<p class=\"muted\">data: {} ({} stars, {} classes, samples of shape {}); model {}; {} epochs, batch "
                   "{}, {} lr {}; {} fold(s); time {:.0f} s, training {:.0f} samples/s on average; machine: {}; {}</p>",
                   html_escape(d.name), d.size(), c, shape_str(d.sample_shape),
                   html_escape(in.config.at("train").at("model").get<std::string>()),
                   json_integer<int>(in.config.at("train").at("epochs")),
                   json_integer<int64_t>(in.config.at("train").at("batch")),
                   html_escape(in.config.at("train").at("optimizer").get<std::string>()),
                   in.config.at("train").at("lr").get<double>(), folds.size(), seconds,
                   epochs_run > 0 ? rate_sum / static_cast<double>(epochs_run) : 0.0,
                   html_escape(in.config.value("machine", std::string())),
                   html_escape(in.config.value("varstar", std::string())));

  h += "<h2>Per fold</h2><table><tr><th>fold</th><th>accuracy</th><th>weighted F1</th><th>macro F1</th><th>epochs</th>"
       "<th>kept epoch</th><th>time</th><th>train samples/s</th></tr>";
  for (const auto& f : folds) {
    const double rate = f.history.empty() ? 0 : f.history.back().samples_per_s;
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{}</td><td>{}</td><td>{:.0f} s</td>"
                     "<td>{:.0f}</td></tr>",
                     f.fold + 1, pct(f.test.accuracy), f.test.weighted_f1, f.test.macro_f1, f.history.size(),
                     f.best_epoch, f.seconds, rate);
  }
  h += "</table>";

  h += "<h2>Loss and accuracy per epoch</h2>";
  if (summary.contains("ensemble"))
    h += "<p class=\"muted\">Curves of ensemble member 1 in each fold; the fold's accuracy above is the ensemble's.</p>";
  h += "<div class=\"charts\">";
  for (const auto& f : folds) {
    std::vector<double> ep, tl, vl, sl, ta, va, sa;
    for (const auto& r : f.history) {
      ep.push_back(r.epoch);
      tl.push_back(r.train_loss);
      vl.push_back(r.val_loss);
      sl.push_back(r.test_loss);
      ta.push_back(r.train_accuracy);
      va.push_back(r.val_accuracy);
      sa.push_back(r.test_accuracy);
    }
    h += svg_line_chart({{"train", kPalette[0], ep, tl}, {"validation", kPalette[2], ep, vl, true},
                         {"test", kPalette[1], ep, sl}},
                        fmt::format("fold {} loss", f.fold + 1), "cross-entropy");
    h += svg_line_chart({{"train", kPalette[0], ep, ta}, {"validation", kPalette[2], ep, va, true},
                         {"test", kPalette[1], ep, sa}},
                        fmt::format("fold {} accuracy", f.fold + 1), "accuracy");
  }
  h += "</div>";

  const auto& pooled = summary.at("pooled");
  std::vector<double> norm(static_cast<size_t>(c) * c, 0.0);
  std::vector<std::string> labels(static_cast<size_t>(c) * c);
  for (int i = 0; i < c; ++i) {
    const std::vector<int64_t> counts = json_integers<int64_t>(pooled.at("confusion").at(i));
    int64_t row = 0;
    for (int j = 0; j < c; ++j) row += counts.at(j);
    for (int j = 0; j < c; ++j) {
      const int64_t v = counts[j];
      norm[i * c + j] = row > 0 ? static_cast<double>(v) / static_cast<double>(row) : 0.0;
      labels[i * c + j] = fmt::format("{} ({:.0f}%)", v, 100 * norm[i * c + j]);
    }
  }
  h += "<h2>Confusion matrix (all test folds; colour: share of the true class)</h2>";
  h += svg_heatmap(norm, labels, c, c, names, names);

  h += "<h2>Per-class metrics (all test folds pooled)</h2><table><tr><th class=\"l\">class</th><th>precision</th>"
       "<th>recall</th><th>F1</th><th>support</th></tr>";
  for (const auto& pc : pooled.at("per_class"))
    h += fmt::format("<tr><td class=\"l\">{}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.4f}</td><td>{}</td></tr>",
                     html_escape(pc.at("class").get<std::string>()), pc.at("precision").get<double>(),
                     pc.at("recall").get<double>(), pc.at("f1").get<double>(),
                     json_integer<int64_t>(pc.at("support")));
  h += "</table>";

  h += "<h2>Example inputs per class</h2><table class=\"examples\">";
  for (int k = 0; k < c; ++k) {
    h += "<tr><td class=\"l\">" + html_escape(names[k]) + "</td><td>";
    int shown = 0;
    for (int64_t r = 0; r < d.size() && shown < 4; ++r)
      if (d.labels[r] == k) {
        h += sample_svg(d, r) + " ";
        ++shown;
      }
    h += "</td></tr>";
  }
  h += "</table><p class=\"muted\">First channel of the network input. " +
       html_escape(d.description.is_object() ? d.description.value("mode", std::string()) : std::string()) + "</p>";

  if (in.data_report.is_object()) {
    const auto& r = in.data_report;
    h += "<h2>Data set</h2>";
    if (r.contains("cleaning_table"))
      h += "<pre>" + html_escape(r.at("cleaning_table").get<std::string>()) + "</pre>";
    if (r.contains("class_counts")) {
      h += "<table><tr><th class=\"l\">class</th><th>stars</th><th>balanced weight</th></tr>";
      for (size_t k = 0; k < r.at("classes").size(); ++k)
        h += fmt::format("<tr><td class=\"l\">{}</td><td>{}</td><td>{:.4f}</td></tr>",
                         html_escape(r.at("classes")[k].get<std::string>()),
                         json_integer<int64_t>(r.at("class_counts")[k]),
                         r.at("class_weights")[k].get<double>());
      h += "</table>";
    }
    if (r.contains("inputs"))
      for (const auto& line : r.at("inputs")) h += "<p class=\"muted\">" + html_escape(line.get<std::string>()) + "</p>";
  }
  h += "<h2>Configuration</h2><pre>" + html_escape(in.config.dump(2)) + "</pre>";
  h += "</body></html>\n";
  return h;
}

}  // namespace varstar::train
