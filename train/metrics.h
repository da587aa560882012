#pragma once
// Classification metrics with scikit-learn's definitions (labels = every
// class of the problem, zero_division = 0):
//   precision_c = TP / (TP + FP), recall_c = TP / (TP + FN),
//   f1_c = 2 P R / (P + R); weighted averages weight class c by its support
//   (true count), macro averages weight classes equally.
// confusion(i, j) counts samples of true class i predicted as j.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace varstar::train {

struct ClassificationReport {
  int32_t n_classes = 0;
  int64_t n_samples = 0;
  std::vector<int64_t> confusion;  // (n_classes, n_classes), row = true class
  std::vector<double> precision, recall, f1;  // per class
  std::vector<int64_t> support;               // per class
  double accuracy = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;

  int64_t confusion_at(int32_t truth, int32_t predicted) const { return confusion[truth * n_classes + predicted]; }
  // Rows divided by their support (0 for an empty row).
  std::vector<double> confusion_normalised() const;
  nlohmann::json to_json(const std::vector<std::string>& class_names) const;
};

// truth, predicted: (n) class indices in [0, n_classes).
ClassificationReport classification_report(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                                           int32_t n_classes);

// Mean and sample standard deviation (n - 1) of a list, as numpy.std(ddof=1);
// std is 0 for fewer than two values.
struct MeanStd {
  double mean = 0, std = 0;
};
MeanStd mean_std(const std::vector<double>& values);

}  // namespace varstar::train
