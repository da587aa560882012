#pragma once
// A labelled data set ready for training: one float32 sample per star (its
// representation), the class of each star, and what the samples are. Values
// are shared (possibly a read-only memory map of the representation cache).
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace varstar::train {

struct Dataset {
  std::string name;                       // e.g. "built-in simulated ZTF-like set"
  std::vector<std::string> ids;           // (n)
  std::vector<int32_t> labels;            // (n) in [0, class_names.size())
  std::vector<std::string> class_names;
  Shape sample_shape;                     // e.g. {1, 359} or {1, 24, 24}
  std::shared_ptr<const float> values;    // (n, prod(sample_shape))
  bool uses_labels = false;               // the inputs were built from the labels (label leak)
  std::string warning;                    // shown on the terminal and in every output when non-empty
  nlohmann::json description;             // representation and source description
  // Per-star features as the representation computed them, before any
  // scaling: (n, n_features), for models that read them directly (boosted
  // trees); null when the representation has none.
  std::shared_ptr<const float> features;
  int64_t n_features = 0;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t sample_size() const { return shape_numel(sample_shape); }
  const float* sample(int64_t i) const { return values.get() + i * sample_size(); }
  int32_t n_classes() const { return static_cast<int32_t>(class_names.size()); }
  // Throws unless the sizes agree and every label is a valid class.
  void validate() const;
};

// Builds a Dataset that owns a copy of `values`.
Dataset make_dataset(std::string name, std::vector<std::string> ids, std::vector<int32_t> labels,
                     std::vector<std::string> class_names, Shape sample_shape, std::vector<float> values);

// Rows `indices` as a (B, sample_shape) float32 CPU tensor.
Tensor gather_samples(const Dataset& data, std::span<const int64_t> indices);
// Their labels as an int32 (B) CPU tensor.
Tensor gather_labels(const Dataset& data, std::span<const int64_t> indices);

}  // namespace varstar::train
