// Classification metrics (see metrics.h).
#include "train/metrics.h"

#include <cmath>

#include "engine/error.h"

namespace varstar::train {

namespace {
double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }
}  // namespace

ClassificationReport classification_report(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted,
                                           int32_t n_classes) {
  VARSTAR_CHECK(truth.size() == predicted.size(), "metrics: {} true labels but {} predictions", truth.size(),
                predicted.size());
  VARSTAR_CHECK(n_classes >= 1, "metrics: need at least one class");
  ClassificationReport r;
  r.n_classes = n_classes;
  r.n_samples = static_cast<int64_t>(truth.size());
  r.confusion.assign(static_cast<size_t>(n_classes) * n_classes, 0);
  for (size_t i = 0; i < truth.size(); ++i) {
    VARSTAR_CHECK(truth[i] >= 0 && truth[i] < n_classes && predicted[i] >= 0 && predicted[i] < n_classes,
                  "metrics: sample {} has label {} / prediction {} outside [0, {})", i, truth[i], predicted[i],
                  n_classes);
    ++r.confusion[truth[i] * n_classes + predicted[i]];
  }
  r.precision.resize(n_classes);
  r.recall.resize(n_classes);
  r.f1.resize(n_classes);
  r.support.resize(n_classes);
  int64_t correct = 0;
  for (int32_t c = 0; c < n_classes; ++c) {
    int64_t predicted_c = 0, support_c = 0;
    for (int32_t k = 0; k < n_classes; ++k) {
      predicted_c += r.confusion_at(k, c);
      support_c += r.confusion_at(c, k);
    }
    const int64_t tp = r.confusion_at(c, c);
    correct += tp;
    r.support[c] = support_c;
    r.precision[c] = ratio(static_cast<double>(tp), static_cast<double>(predicted_c));
    r.recall[c] = ratio(static_cast<double>(tp), static_cast<double>(support_c));
    r.f1[c] = ratio(2 * r.precision[c] * r.recall[c], r.precision[c] + r.recall[c]);
  }
  r.accuracy = ratio(static_cast<double>(correct), static_cast<double>(r.n_samples));
  for (int32_t c = 0; c < n_classes; ++c) {
    const double w = ratio(static_cast<double>(r.support[c]), static_cast<double>(r.n_samples));
    r.weighted_precision += w * r.precision[c];
    r.weighted_recall += w * r.recall[c];
    r.weighted_f1 += w * r.f1[c];
    r.macro_precision += r.precision[c] / n_classes;
    r.macro_recall += r.recall[c] / n_classes;
    r.macro_f1 += r.f1[c] / n_classes;
  }
  return r;
}

std::vector<double> ClassificationReport::confusion_normalised() const {
  std::vector<double> out(confusion.size(), 0.0);
  for (int32_t i = 0; i < n_classes; ++i)
    for (int32_t j = 0; j < n_classes; ++j)
      out[i * n_classes + j] = ratio(static_cast<double>(confusion_at(i, j)), static_cast<double>(support[i]));
  return out;
}

nlohmann::json ClassificationReport::to_json(const std::vector<std::string>& class_names) const {
  nlohmann::json per_class = nlohmann::json::array();
  for (int32_t c = 0; c < n_classes; ++c)
    per_class.push_back({{"class", c < static_cast<int32_t>(class_names.size()) ? class_names[c] : std::to_string(c)},
                         {"precision", precision[c]},
                         {"recall", recall[c]},
                         {"f1", f1[c]},
                         {"support", support[c]}});
  nlohmann::json matrix = nlohmann::json::array();
  for (int32_t i = 0; i < n_classes; ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (int32_t j = 0; j < n_classes; ++j) row.push_back(confusion_at(i, j));
    matrix.push_back(row);
  }
  return {{"samples", n_samples},
          {"accuracy", accuracy},
          {"weighted", {{"precision", weighted_precision}, {"recall", weighted_recall}, {"f1", weighted_f1}}},
          {"macro", {{"precision", macro_precision}, {"recall", macro_recall}, {"f1", macro_f1}}},
          {"per_class", per_class},
          {"confusion", matrix}};
}

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd r;
  if (values.empty()) return r;
  for (double v : values) r.mean += v;
  r.mean /= static_cast<double>(values.size());
  if (values.size() < 2) return r;
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / static_cast<double>(values.size() - 1));
  return r;
}

}  // namespace varstar::train
