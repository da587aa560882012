// Prepared data sets as training Datasets (see prepared.h).
#include "train/prepared.h"

#include <algorithm>
#include <cmath>

#include "data/represent/represent.h"
#include "data/sim/simulate.h"

namespace varstar::train {

namespace {
Dataset dataset_from_array(const data::PreparedDataset& p, const std::shared_ptr<data::MappedCache>& cache,
                           const std::string& array) {
  const auto& e = cache->entry(array);
  const std::span<const float> values = cache->f32(array);
  Dataset d;
  d.name = p.simulated ? "built-in simulated ZTF-like set" : "prepared catalog";
  for (const auto& row : p.rows) d.ids.push_back(row.id);
  d.labels = p.labels;
  d.class_names = p.classes;
  d.sample_shape.assign(e.shape.begin() + 1, e.shape.end());
  d.values = std::shared_ptr<const float>(cache, values.data());  // keeps the mapping alive
  d.uses_labels = !p.representation_warning.empty();
  d.warning = p.representation_warning;
  d.description = cache->description().value("representation", nlohmann::json::object());
  if (p.simulated) d.description["notice"] = data::kSimulatedDataNotice;
  VARSTAR_CHECK(e.shape.size() >= 2 && e.shape[0] == static_cast<int64_t>(p.labels.size()),
                "{}: array '{}' has shape {}, expected ({}, ...)", cache->path(), array, shape_str(e.shape),
                p.labels.size());
  d.validate();
  return d;
}

}  // namespace

void append_feature_channels(Dataset& d, std::span<const float> features, int64_t n_features) {
  VARSTAR_CHECK(d.sample_shape.size() >= 2, "feature channels need samples of shape (channels, ...), got {}",
                shape_str(d.sample_shape));
  const int64_t n = d.size(), c = d.sample_shape[0];
  int64_t l = 1;  // values per channel: a sequence's length or an image's pixels
  for (size_t i = 1; i < d.sample_shape.size(); ++i) l *= d.sample_shape[i];
  std::vector<double> mean(n_features, 0.0), sd(n_features, 0.0);
  if (d.description.contains("feature_mean")) {  // statistics of the training set (prediction)
    mean = d.description.at("feature_mean").get<std::vector<double>>();
    sd = d.description.at("feature_std").get<std::vector<double>>();
    VARSTAR_CHECK(static_cast<int64_t>(mean.size()) == n_features, "{} features, the model was trained with {}",
                  n_features, mean.size());
  } else {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t f = 0; f < n_features; ++f) mean[f] += features[i * n_features + f] / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t f = 0; f < n_features; ++f) {
        const double dv = features[i * n_features + f] - mean[f];
        sd[f] += dv * dv / static_cast<double>(n);
      }
    for (double& v : sd) v = v > 0 ? std::sqrt(v) : 1.0;
    d.description["feature_mean"] = mean;
    d.description["feature_std"] = sd;
  }
  auto values = std::make_shared<std::vector<float>>(static_cast<size_t>(n * (c + n_features) * l));
  for (int64_t i = 0; i < n; ++i) {
    float* dst = values->data() + i * (c + n_features) * l;
    std::copy(d.sample(i), d.sample(i) + c * l, dst);
    for (int64_t f = 0; f < n_features; ++f) {
      const float z = static_cast<float>((features[i * n_features + f] - mean[f]) / sd[f]);
      std::fill(dst + (c + f) * l, dst + (c + f + 1) * l, z);
    }
  }
  d.values = std::shared_ptr<const float>(values, values->data());
  d.sample_shape[0] = c + n_features;
  d.description["feature_channels"] = n_features;
}

PreparedData::PreparedData(data::PreparedDataset prepared, const nlohmann::json& trained_representation)
    : prepared_(std::move(prepared)) {
  VARSTAR_CHECK(!prepared_.cache_path.empty(), "the prepared data set has no representation (give --representation)");
  cache_ = std::make_shared<data::MappedCache>(data::MappedCache::open(prepared_.cache_path));
  if (cache_->has("x")) {
    per_fold_.push_back(dataset_from_array(prepared_, cache_, "x"));
    if (cache_->has("features")) {
      const auto& e = cache_->entry("features");
      if (trained_representation.is_object() && trained_representation.contains("feature_mean")) {
        per_fold_[0].description["feature_mean"] = trained_representation.at("feature_mean");
        per_fold_[0].description["feature_std"] = trained_representation.at("feature_std");
      }
      append_feature_channels(per_fold_[0], cache_->f32("features"), e.shape.at(1));
    }
  } else {
    for (size_t f = 0; f < prepared_.folds.size(); ++f)
      per_fold_.push_back(dataset_from_array(prepared_, cache_, fmt::format("x_fold{}", f + 1)));
  }
}

const Dataset& PreparedData::for_fold(int fold) const {
  return per_fold_.size() == 1 ? per_fold_[0] : per_fold_.at(static_cast<size_t>(fold));
}

nlohmann::json PreparedData::data_report() const {
  nlohmann::json j = {{"classes", prepared_.classes},
                      {"class_counts", prepared_.class_counts},
                      {"class_weights", prepared_.class_weights},
                      {"stars", prepared_.rows.size()},
                      {"cleaning", prepared_.cleaning.json()},
                      {"cleaning_table", prepared_.cleaning.table()},
                      {"inputs", prepared_.input_reports},
                      {"representation_cache", prepared_.cache_path}};
  if (prepared_.simulated) j["notice"] = data::kSimulatedDataNotice;
  if (!prepared_.representation_warning.empty()) j["warning"] = prepared_.representation_warning;
  const bool has_catalog_values = std::all_of(prepared_.rows.begin(), prepared_.rows.end(), [](const auto& r) {
    return r.period > 0 && r.amp_r > 0;
  });
  if (has_catalog_values && prepared_.classes.size() >= 2) {
    const sim::BaselineResult b = sim::nearest_centroid_baseline(prepared_.rows, 5, 42);
    j["baseline"] = {{"method", "nearest class centroid on standardised (log10 Per, log10 Amp_r), 5 shuffled folds"},
                     {"accuracy_mean", b.accuracy_mean},
                     {"accuracy_std", b.accuracy_std}};
  }
  return j;
}

}  // namespace varstar::train
