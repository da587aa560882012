// Prepared data sets as training Datasets (see prepared.h).
#include "train/prepared.h"

#include "data/represent/represent.h"

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

PreparedData::PreparedData(data::PreparedDataset prepared) : prepared_(std::move(prepared)) {
  VARSTAR_CHECK(!prepared_.cache_path.empty(), "the prepared data set has no representation (give --representation)");
  cache_ = std::make_shared<data::MappedCache>(data::MappedCache::open(prepared_.cache_path));
  if (cache_->has("x")) {
    per_fold_.push_back(dataset_from_array(prepared_, cache_, "x"));
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
  return j;
}

}  // namespace varstar::train
