#pragma once
// Named experiments: one name per row of the thesis's results table, plus
// varstar's honest alternatives. A preset fixes the data protocol (class set,
// stars per class, folds, representation) and the training configuration;
// options given on the command line override it.
#include <string>
#include <vector>

#include "train/trainer.h"

namespace varstar::train {

struct Preset {
  std::string name;
  std::string description;
  std::string classes;         // "5" | "10"
  std::string per_class;       // "1000" | "all"
  std::string fold_method;     // "thesis" | "stratified"
  std::string zero_columns;    // "cnn-lstm" | "2d-cnn"
  std::string representation;  // RepresentationSpec text
  TrainConfig train;
  std::string thesis_result;   // what the thesis reports for this setting ("" for ours)
};

const std::vector<Preset>& presets();
// Throws naming the known presets when `name` is unknown.
const Preset& find_preset(const std::string& name);

}  // namespace varstar::train
