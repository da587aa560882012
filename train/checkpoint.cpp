// Checkpoint and model files (see checkpoint.h).
#include "train/checkpoint.h"

#include <map>

#include "engine/autograd.h"
#include "engine/json_int.h"
#include "engine/safetensors.h"

namespace varstar::train {

namespace {
constexpr int kFormatVersion = 1;
}

void load_state_into(const nn::Module& module, const std::vector<std::pair<std::string, Tensor>>& tensors,
                     const std::string& prefix, const std::string& path) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : tensors)
    if (name.rfind(prefix, 0) == 0) by_name[name.substr(prefix.size())] = &t;
  NoGradGuard no_grad;
  for (auto& [name, target] : module.state()) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw DataError(path, 0, "", fmt::format("has no tensor '{}{}' for this model", prefix, name));
    const Tensor& src = *it->second;
    if (src.shape() != target.shape())
      throw DataError(path, 0, "",
                      fmt::format("tensor '{}{}' has shape {}, the model expects {} (a different model or input "
                                  "shape?)", prefix, name, shape_str(src.shape()), shape_str(target.shape())));
    Tensor t = target;
    t.copy_(src.to(target.dtype()).to(target.device()));
    by_name.erase(it);
  }
  if (!by_name.empty())
    throw DataError(path, 0, "", fmt::format("has {} tensors this model does not have, e.g. '{}{}'", by_name.size(),
                                             prefix, by_name.begin()->first));
}

void save_training_checkpoint(const std::string& path, const models::Model& model, const optim::Optimizer& optimizer,
                              const nlohmann::json& description) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : model.state()) tensors.emplace_back("model." + name, t);
  const optim::OptimizerState state = optimizer.state();
  for (const auto& [name, t] : state.tensors) tensors.emplace_back("optim." + name, t);
  nlohmann::json d = description;
  d["format_version"] = kFormatVersion;
  d["model"] = model.name();
  d["optimizer"] = {{"name", optimizer.name()}, {"scalars", state.scalars}};
  save_safetensors(path, tensors, {{"varstar_checkpoint", d.dump()}});
}

nlohmann::json load_training_checkpoint(const std::string& path, models::Model& model, optim::Optimizer& optimizer) {
  const SafetensorsContents file = load_safetensors(path);
  auto it = file.metadata.find("varstar_checkpoint");
  if (it == file.metadata.end()) throw DataError(path, 0, "", "is not a varstar training checkpoint (no description)");
  nlohmann::json d;
  try {
    d = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, 0, "", fmt::format("has a corrupt description ({})", e.what()));
  }
  if (d.value("format_version", 0) != kFormatVersion)
    throw DataError(path, 0, "", fmt::format("has checkpoint format {}, this varstar reads {}", d.value("format_version", 0),
                                             kFormatVersion));
  if (d.value("model", std::string()) != model.name())
    throw DataError(path, 0, "", fmt::format("holds a '{}' model, the run trains '{}'", d.value("model", std::string("?")),
                                             model.name()));
  if (d["optimizer"].value("name", std::string()) != optimizer.name())
    throw DataError(path, 0, "", fmt::format("holds {} state, the run uses {}", d["optimizer"].value("name", std::string("?")),
                                             optimizer.name()));
  load_state_into(model, file.tensors, "model.", path);
  optim::OptimizerState state;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind("optim.", 0) == 0) state.tensors.emplace_back(name.substr(6), t);
  state.scalars = d["optimizer"]["scalars"].get<std::map<std::string, double>>();
  try {
    optimizer.load_state(state);
  } catch (const Error& e) {
    throw DataError(path, 0, "", e.what());
  }
  return d;
}

void save_model_file(const std::string& path, const models::Model& model, const nlohmann::json& description) {
  nlohmann::json d = description;
  d["format_version"] = kFormatVersion;
  d["model"] = model.name();
  d["sample_shape"] = model.sample_shape();
  d["num_classes"] = model.num_classes();
  save_safetensors(path, model.state(), {{"varstar_model", d.dump()}});
}

LoadedModel load_model_file(const std::string& path) {
  const SafetensorsContents file = load_safetensors(path);
  auto it = file.metadata.find("varstar_model");
  if (it == file.metadata.end())
    throw DataError(path, 0, "", "is not a varstar model file (no varstar_model metadata); training checkpoints "
                                 "are 'last.safetensors', final models 'model.safetensors'");
  LoadedModel out;
  try {
    out.description = nlohmann::json::parse(it->second);
    const Shape shape = json_integers<int64_t>(out.description.at("sample_shape"));
    const int64_t num_classes = json_integer<int64_t>(out.description.at("num_classes"));
    // A final model names its classes (a training run's best-epoch file does
    // not): their count must be the class count.
    if (out.description.contains("classes")) {
      const auto classes = out.description.at("classes").get<std::vector<std::string>>();
      if (num_classes != static_cast<int64_t>(classes.size()))
        throw DataError(path, 0, "",
                        fmt::format("has a corrupt description: {} classes for {} class names", num_classes,
                                    classes.size()));
    }
    const std::string name = out.description.at("model").get<std::string>();
    const models::ModelConfig config = models::config_for_input(name, shape, num_classes, 0);
    // The description must match the stored values before the network is
    // allocated: a damaged one could otherwise ask for terabytes.
    double stored = 0;
    for (const auto& [tensor_name, t] : file.tensors) stored += static_cast<double>(t.numel());
    const double wanted = models::parameter_count(name, config);
    if (wanted != stored)
      throw DataError(path, 0, "",
                      fmt::format("has a corrupt description: it describes a {} network of {:.0f} parameters, the file "
                                  "stores {:.0f} values",
                                  name, wanted, stored));
    out.model = models::make_model(name, config);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, 0, "", fmt::format("has a corrupt description ({})", e.what()));
  } catch (const DataError&) {
    throw;
  } catch (const Error& e) {
    throw DataError(path, 0, "", fmt::format("describes a network that cannot be built: {}", e.what()));
  }
  load_state_into(*out.model, file.tensors, "", path);
  return out;
}

std::vector<LoadedModel> load_model_files(const std::vector<std::string>& paths) {
  VARSTAR_CHECK(!paths.empty(), "no model file given");
  std::vector<LoadedModel> out;
  for (const auto& path : paths) {
    out.push_back(load_model_file(path));
    for (const char* key : {"model", "classes", "sample_shape", "representation"})
      if (out.back().description.value(key, nlohmann::json()) != out.front().description.value(key, nlohmann::json()))
        throw DataError(path, 0, "", fmt::format("has another {} than {}, so the two cannot form one ensemble", key,
                                                 paths.front()));
  }
  return out;
}

Predictions predict_ensemble(std::vector<LoadedModel>& members, const Dataset& data, const std::vector<int64_t>& rows,
                             Device device, bool with_loss) {
  std::vector<Predictions> parts;
  for (auto& m : members) {
    m.model->to(device);
    parts.push_back(predict(*m.model, data, rows, device, with_loss));
  }
  return average_predictions(parts, data, with_loss);
}

}  // namespace varstar::train
