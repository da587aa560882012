#pragma once
// report.html: one self-contained page (no network, plots as inline SVG) for
// a cross-validation run: summary, per-fold table, loss and accuracy curves,
// the confusion matrix as a heat map, per-class metrics, example inputs per
// class, the data set's cleaning report, machine, time and throughput. A
// label-leak warning or a simulated-data notice is shown as a banner on top.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/dataset.h"
#include "train/trainer.h"

namespace varstar::train {

struct ReportInput {
  std::string title;
  nlohmann::json config;   // run configuration (config.json)
  nlohmann::json metrics;  // metrics.json
  const std::vector<FoldOutcome>* folds = nullptr;
  const Dataset* data = nullptr;
  nlohmann::json data_report;  // cleaning report etc.; may be null
};

std::string render_report(const ReportInput& in);

// SVG pieces (exposed for tests and other reports).
struct Series {
  std::string label;
  std::string color;
  std::vector<double> x, y;
  bool dashed = false;
};
std::string svg_line_chart(const std::vector<Series>& series, const std::string& title, const std::string& y_label,
                           int width = 360, int height = 220);
// values (rows, cols) in [0, 1] colour the cells; labels print inside.
std::string svg_heatmap(const std::vector<double>& values, const std::vector<std::string>& cell_labels, int rows,
                        int cols, const std::vector<std::string>& row_names, const std::vector<std::string>& col_names);
std::string html_escape(const std::string& text);

}  // namespace varstar::train
