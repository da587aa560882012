#pragma once
// From `varstar prepare`'s output to training data: the balanced set's
// representation, memory-mapped from the cache, as one Dataset per fold (the
// same for every fold, except for representations that depend on the split,
// such as the thesis's class-pair dm-dt images).
#include <memory>
#include <string>
#include <vector>

#include "data/cache.h"
#include "data/dataset.h"
#include "train/dataset.h"

namespace varstar::train {

class PreparedData {
 public:
  // `prepared` must come from data::prepare with a representation.
  explicit PreparedData(data::PreparedDataset prepared);
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
