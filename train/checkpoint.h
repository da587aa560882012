#pragma once
// Checkpoints, in the safetensors format (engine/safetensors.h), written
// atomically (temporary file, fsync, rename):
//   training checkpoint (`last.safetensors`): "model.<name>" weights,
//     "optim.<name>" optimizer state, and a JSON description in the metadata
//     key "varstar_checkpoint": fold, completed epochs, history, configuration,
//     dropout generator state, early-stopping state.
//   model file (`model.safetensors`): the weights under their plain names
//     ("conv1.weight"), loadable by safetensors.torch.load_file into the
//     PyTorch modules of tests/reference/torch_models.py, and in the metadata
//     key "varstar_model": model name, classes, input shape, representation.
// Loading checks the file against the model it is loaded into and reports a
// corrupt or mismatched file as an error naming the file and the mismatch.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/optim.h"
#include "models/models.h"
#include "train/trainer.h"

namespace varstar::train {

void save_training_checkpoint(const std::string& path, const models::Model& model, const optim::Optimizer& optimizer,
                              const nlohmann::json& description);
// Restores weights and optimizer state; returns the description.
nlohmann::json load_training_checkpoint(const std::string& path, models::Model& model, optim::Optimizer& optimizer);

void save_model_file(const std::string& path, const models::Model& model, const nlohmann::json& description);

struct LoadedModel {
  std::unique_ptr<models::Model> model;
  nlohmann::json description;  // "model", "classes", "sample_shape", "representation", ...
};
LoadedModel load_model_file(const std::string& path);
// The model files of one ensemble (or a single one): the same network,
// classes and representation (feature statistics included), else a
// DataError naming the first file that differs and what.
std::vector<LoadedModel> load_model_files(const std::vector<std::string>& paths);
// The members' averaged predictions of `rows` (train::predict per member, moved to `device`).
Predictions predict_ensemble(std::vector<LoadedModel>& members, const Dataset& data, const std::vector<int64_t>& rows,
                             Device device, bool with_loss);

// Copies named tensors into a module's parameters and buffers, checking that
// every name is present with the right shape. `prefix` selects keys.
void load_state_into(const nn::Module& module, const std::vector<std::pair<std::string, Tensor>>& tensors,
                     const std::string& prefix, const std::string& path);

}  // namespace varstar::train
