#pragma once
// From `varstar prepare`'s output to training data: the balanced set's
// representation, memory-mapped from the cache, as one Dataset per fold (the
// same for every fold, except for representations that depend on the split,
// such as the thesis's class-pair dm-dt images).
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/cache.h"
#include "data/dataset.h"
#include "train/dataset.h"

namespace varstar::train {

// Quantile bin edges of one column: NumPy's default (linear interpolation)
// quantiles at k / bins, k = 0..bins, with repeated values kept once, so a
// column with many ties has fewer bins and a constant one none.
std::vector<double> quantile_edges(std::vector<double> column, int bins);

// Piecewise-linear encoding (Gorishniy et al. 2022) of z in the bins between
// consecutive edges: per bin, clamp((z - lo) / (hi - lo), 0, 1). A value
// below the first edge encodes as zeros, one above the last as ones.
void piecewise_linear(double z, std::span<const double> edges, float* out);

// Samples (C, ...) (sequences (C, L) or images (C, H, W)) with per-star
// features (F): the features, z-scored (mean and std over the rows
// `fit_rows`, or all rows when empty; no labels involved), become F constant
// channels appended to each sample, so the network sees the period,
// amplitudes and colour. With feature_bins > 0 each z-score also gets its
// piecewise-linear encoding in feature_bins quantile bins of those rows (up
// to feature_bins more channels per feature). Records the statistics in
// d.description (feature_mean, feature_std, feature_edges,
// feature_statistics_rows); when d.description already has them (the
// training set's, for prediction) they are used instead, and feature_bins
// and fit_rows are ignored.
void append_feature_channels(Dataset& d, std::span<const float> features, int64_t n_features, int feature_bins = 0,
                             std::span<const int64_t> fit_rows = {});

// Whose statistics z-score and bin the features of a cross-validation fold:
// its training rows (nothing of the test stars reaches the inputs), or all
// stars of the set (test folds included: transductive, as varstar did before).
enum class FeatureStatistics { training_rows, all_stars };
FeatureStatistics parse_feature_statistics(std::string_view text);  // "training" | "all"

class PreparedData {
 public:
  // `prepared` must come from data::prepare with a representation.
  // `trained_representation`: the representation description stored with a
  // trained model (its feature statistics and bin edges are reused), or null
  // for training. `feature_bins`: see append_feature_channels (training only).
  // `statistics`: training_rows gives every fold its own encoded data set.
  explicit PreparedData(data::PreparedDataset prepared, const nlohmann::json& trained_representation = nullptr,
                        int feature_bins = 0, FeatureStatistics statistics = FeatureStatistics::training_rows);
  const Dataset& for_fold(int fold) const;
  const data::PreparedDataset& prepared() const { return prepared_; }
  const std::vector<data::Fold>& folds() const { return prepared_.folds; }
  // Cleaning report, counts, weights, warnings: what a report shows of the data.
  nlohmann::json data_report() const;

 private:
  data::PreparedDataset prepared_;
  std::shared_ptr<data::MappedCache> cache_;
  std::vector<Dataset> per_fold_;  // one entry when the representation is shared
};

}  // namespace varstar::train
