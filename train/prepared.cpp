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

std::vector<double> quantile_edges(std::vector<double> column, int bins) {
  VARSTAR_CHECK(!column.empty() && bins >= 1, "quantile edges need values and at least one bin");
  std::sort(column.begin(), column.end());
  const size_t n = column.size();
  std::vector<double> edges;
  for (int k = 0; k <= bins; ++k) {
    const double pos = static_cast<double>(k) / bins * static_cast<double>(n - 1);
    const size_t lo = std::min(static_cast<size_t>(pos), n - 1);
    const double frac = pos - static_cast<double>(lo);
    const double q = lo + 1 < n ? column[lo] + frac * (column[lo + 1] - column[lo]) : column[lo];
    if (edges.empty() || q > edges.back()) edges.push_back(q);
  }
  return edges;
}

void piecewise_linear(double z, std::span<const double> edges, float* out) {
  for (size_t k = 0; k + 1 < edges.size(); ++k)
    out[k] = static_cast<float>(std::clamp((z - edges[k]) / (edges[k + 1] - edges[k]), 0.0, 1.0));
}

FeatureStatistics parse_feature_statistics(std::string_view text) {
  if (text == "training") return FeatureStatistics::training_rows;
  if (text == "all") return FeatureStatistics::all_stars;
  throw Error(fmt::format("feature statistics must be 'training' or 'all', got '{}'", text));
}

void append_feature_channels(Dataset& d, std::span<const float> features, int64_t n_features, int feature_bins,
                             std::span<const int64_t> fit_rows) {
  VARSTAR_CHECK(d.sample_shape.size() >= 2, "feature channels need samples of shape (channels, ...), got {}",
                shape_str(d.sample_shape));
  VARSTAR_CHECK(feature_bins >= 0, "feature bins must be >= 0, got {}", feature_bins);
  const int64_t n = d.size(), c = d.sample_shape[0];
  int64_t l = 1;  // values per channel: a sequence's length or an image's pixels
  for (size_t i = 1; i < d.sample_shape.size(); ++i) l *= d.sample_shape[i];
  std::vector<double> mean(n_features, 0.0), sd(n_features, 0.0);
  std::vector<std::vector<double>> edges;
  const auto z_score = [&](int64_t i, int64_t f) { return (features[i * n_features + f] - mean[f]) / sd[f]; };
  if (d.description.contains("feature_mean")) {  // statistics of the training set (prediction)
    mean = d.description.at("feature_mean").get<std::vector<double>>();
    sd = d.description.at("feature_std").get<std::vector<double>>();
    edges = d.description.value("feature_edges", edges);
    VARSTAR_CHECK(static_cast<int64_t>(mean.size()) == n_features && static_cast<int64_t>(sd.size()) == n_features &&
                      (edges.empty() || static_cast<int64_t>(edges.size()) == n_features),
                  "{} features, the model was trained with {}", n_features, mean.size());
  } else {
    std::vector<int64_t> rows(fit_rows.begin(), fit_rows.end());
    if (rows.empty())
      for (int64_t i = 0; i < n; ++i) rows.push_back(i);
    const double m = static_cast<double>(rows.size());
    for (int64_t i : rows)
      for (int64_t f = 0; f < n_features; ++f) mean[f] += features[i * n_features + f] / m;
    for (int64_t i : rows)
      for (int64_t f = 0; f < n_features; ++f) {
        const double dv = features[i * n_features + f] - mean[f];
        sd[f] += dv * dv / m;
      }
    for (int64_t f = 0; f < n_features; ++f) {  // a constant feature's spread is rounding: score it 0
      sd[f] = std::sqrt(sd[f]);
      if (sd[f] <= 1e-12 * std::abs(mean[f]) || sd[f] == 0) sd[f] = 1.0;
    }
    d.description["feature_mean"] = mean;
    d.description["feature_std"] = sd;
    d.description["feature_statistics_rows"] = rows.size();
    if (feature_bins > 0) {
      std::vector<double> column(rows.size());
      for (int64_t f = 0; f < n_features; ++f) {
        for (size_t r = 0; r < rows.size(); ++r) column[r] = z_score(rows[r], f);
        edges.push_back(quantile_edges(column, feature_bins));
      }
      d.description["feature_bins"] = feature_bins;
      d.description["feature_edges"] = edges;
    }
  }
  int64_t encoded = 0;  // piecewise-linear channels
  for (const auto& e : edges) encoded += static_cast<int64_t>(e.size()) - 1;
  const int64_t added = n_features + encoded, channels = c + added;
  auto values = std::make_shared<std::vector<float>>(static_cast<size_t>(n * channels * l));
  std::vector<float> row(static_cast<size_t>(added));
  for (int64_t i = 0; i < n; ++i) {
    float* out = row.data();
    for (int64_t f = 0; f < n_features; ++f) *out++ = static_cast<float>(z_score(i, f));
    for (int64_t f = 0; f < static_cast<int64_t>(edges.size()); ++f) {
      piecewise_linear(z_score(i, f), edges[f], out);
      out += static_cast<int64_t>(edges[f].size()) - 1;
    }
    float* dst = values->data() + i * channels * l;
    std::copy(d.sample(i), d.sample(i) + c * l, dst);
    for (int64_t a = 0; a < added; ++a) std::fill(dst + (c + a) * l, dst + (c + a + 1) * l, row[a]);
  }
  d.values = std::shared_ptr<const float>(values, values->data());
  d.sample_shape[0] = channels;
  d.description["feature_channels"] = added;
}

PreparedData::PreparedData(data::PreparedDataset prepared, const nlohmann::json& trained_representation,
                           int feature_bins, FeatureStatistics statistics)
    : prepared_(std::move(prepared)) {
  VARSTAR_CHECK(!prepared_.cache_path.empty(), "the prepared data set has no representation (give --representation)");
  cache_ = std::make_shared<data::MappedCache>(data::MappedCache::open(prepared_.cache_path));
  if (cache_->has("x")) {
    per_fold_.push_back(dataset_from_array(prepared_, cache_, "x"));
    if (cache_->has("features")) {
      const int64_t n_features = cache_->entry("features").shape.at(1);
      const std::span<const float> features = cache_->f32("features");
      Dataset shared = std::move(per_fold_[0]);
      per_fold_.clear();
      shared.features = std::shared_ptr<const float>(cache_, features.data());
      shared.n_features = n_features;
      const bool trained = trained_representation.is_object() && trained_representation.contains("feature_mean");
      if (trained) {
        for (const char* key : {"feature_mean", "feature_std", "feature_edges"})
          if (trained_representation.contains(key)) shared.description[key] = trained_representation.at(key);
      } else if (statistics == FeatureStatistics::training_rows && !prepared_.folds.empty()) {
        for (const auto& fold : prepared_.folds) {
          per_fold_.push_back(shared);
          append_feature_channels(per_fold_.back(), features, n_features, feature_bins, fold.train);
        }
        return;
      }
      append_feature_channels(shared, features, n_features, feature_bins);
      per_fold_.push_back(std::move(shared));
      return;
    }
  } else {
    for (size_t f = 0; f < prepared_.folds.size(); ++f)
      per_fold_.push_back(dataset_from_array(prepared_, cache_, fmt::format("x_fold{}", f + 1)));
  }
  VARSTAR_CHECK(feature_bins == 0, "feature bins ({}) need a representation with per-star features (harmonic-shape, "
                "folded, or a dm-dt mode with features=true); '{}' has none", feature_bins,
                per_fold_[0].description.value("mode", std::string("?")));
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
  const auto all_rows = [&](auto has) { return std::all_of(prepared_.rows.begin(), prepared_.rows.end(), has); };
  const bool has_periods = all_rows([](const auto& r) { return r.period > 0; });
  const bool has_amplitudes = all_rows([](const auto& r) { return r.amp_r > 0; });
  if (has_periods && prepared_.classes.size() >= 2) {
    const sim::BaselineResult b = sim::nearest_centroid_baseline(prepared_.rows, 5, 42, has_amplitudes);
    j["baseline"] = {{"method", has_amplitudes
                                    ? "nearest class centroid on standardised (log10 Per, log10 Amp_r), 5 shuffled folds"
                                    : "nearest class centroid on log10 Per of the input periods, 5 shuffled folds"},
                     {"accuracy_mean", b.accuracy_mean},
                     {"accuracy_std", b.accuracy_std}};
  }
  return j;
}

}  // namespace varstar::train
