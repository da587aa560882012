#pragma once
// Gradient-boosted trees beside the networks (`cv --trees`, `train --trees`,
// `predict --trees`): fitted on the raw per-star features of the training
// rows (the period, amplitudes, magnitudes, skewness ... a representation
// computes without labels), and averaged with the networks' class
// probabilities, the trees and the networks weighing the same.
#include <span>
#include <string>
#include <vector>

#include "train/dataset.h"
#include "train/trainer.h"
#include "trees/boosted_trees.h"

namespace varstar::train {

// Throws unless `data` has per-star features, naming its representation.
void require_features(const Dataset& data);

// Rows' raw features, (rows, data.n_features) row-major.
std::vector<float> gather_features(const Dataset& data, std::span<const int64_t> rows);

trees::BoostedTrees fit_trees(const Dataset& data, std::span<const int64_t> rows, const trees::BoostingOptions& options);

// The trees' class probabilities of `rows` (no loss).
Predictions predict_trees(const trees::BoostedTrees& model, const Dataset& data, const std::vector<int64_t>& rows);

// The mean of the networks' and the trees' class probabilities on the same
// rows, its argmax and (with_loss) its cross-entropy.
Predictions networks_and_trees(const Predictions& networks, const Predictions& trees, const Dataset& data,
                               bool with_loss);

// A trees file: the model, the classes and the representation it was fitted on.
void save_trees_file(const std::string& path, const trees::BoostedTrees& model, const Dataset& data);
// Loads a trees file for the networks described by `network_description` (a
// model file's): a DataError naming the file unless the classes, the
// representation and the number of features agree.
trees::BoostedTrees load_trees_file(const std::string& path, const nlohmann::json& network_description);

}  // namespace varstar::train
