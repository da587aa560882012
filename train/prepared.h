#pragma once
// From `varstar prepare`'s output to training data: the balanced set's
// representation, memory-mapped from the cache, as one Dataset per fold (the
// same for every fold, except for representations that depend on the split,
// such as the thesis's class-pair dm-dt images).
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data/cache.h"
#include "data/dataset.h"
#include "train/dataset.h"

namespace varstar::train {

// Samples (C, ...) (sequences (C, L) or images (C, H, W)) with per-star
// features (F): the features, z-scored (mean and std over the set, no labels
// involved; or the training set's, taken from d.description's feature_mean /
// feature_std when present), become F constant channels appended to each
// sample, so the network sees the period, amplitudes and colour. Records the
// statistics in d.description.
void append_feature_channels(Dataset& d, std::span<const float> features, int64_t n_features);

class PreparedData {
 public:
  // `prepared` must come from data::prepare with a representation.
  // `trained_representation`: the representation description stored with a
  // trained model (its feature statistics are reused), or null for training.
  explicit PreparedData(data::PreparedDataset prepared, const nlohmann::json& trained_representation = nullptr);
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
