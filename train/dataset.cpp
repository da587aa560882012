// Dataset helpers (see dataset.h).
#include "train/dataset.h"

#include <cstring>

namespace varstar::train {

void Dataset::validate() const {
  VARSTAR_CHECK(!class_names.empty(), "data set '{}' has no classes", name);
  VARSTAR_CHECK(ids.empty() || ids.size() == labels.size(), "data set '{}': {} ids for {} labels", name, ids.size(),
                labels.size());
  VARSTAR_CHECK(values != nullptr || labels.empty(), "data set '{}' has labels but no samples", name);
  for (size_t i = 0; i < labels.size(); ++i)
    VARSTAR_CHECK(labels[i] >= 0 && labels[i] < n_classes(), "data set '{}': sample {} has label {} outside [0, {})",
                  name, i, labels[i], n_classes());
}

Dataset make_dataset(std::string name, std::vector<std::string> ids, std::vector<int32_t> labels,
                     std::vector<std::string> class_names, Shape sample_shape, std::vector<float> values) {
  Dataset d;
  d.name = std::move(name);
  d.ids = std::move(ids);
  d.labels = std::move(labels);
  d.class_names = std::move(class_names);
  d.sample_shape = std::move(sample_shape);
  VARSTAR_CHECK(static_cast<int64_t>(values.size()) == d.size() * d.sample_size(),
                "data set '{}': {} values for {} samples of shape {}", d.name, values.size(), d.size(),
                shape_str(d.sample_shape));
  auto owned = std::make_shared<std::vector<float>>(std::move(values));
  d.values = std::shared_ptr<const float>(owned, owned->data());
  d.validate();
  return d;
}

Tensor gather_samples(const Dataset& data, std::span<const int64_t> indices) {
  Shape shape{static_cast<int64_t>(indices.size())};
  for (int64_t s : data.sample_shape) shape.push_back(s);
  Tensor out = Tensor::empty(shape, DType::f32);
  float* dst = out.data<float>();
  const int64_t n = data.sample_size();
  for (size_t k = 0; k < indices.size(); ++k) {
    VARSTAR_CHECK(indices[k] >= 0 && indices[k] < data.size(), "sample index {} outside [0, {})", indices[k], data.size());
    std::memcpy(dst + k * n, data.sample(indices[k]), sizeof(float) * n);
  }
  return out;
}

Tensor gather_labels(const Dataset& data, std::span<const int64_t> indices) {
  std::vector<int32_t> labels(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) labels[k] = data.labels[indices[k]];
  return Tensor::from_vector(labels, {static_cast<int64_t>(indices.size())});
}

}  // namespace varstar::train
