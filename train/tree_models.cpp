// Boosted trees beside the networks (see tree_models.h).
#include "train/tree_models.h"

#include <fstream>

#include "data/csv.h"
#include "data/represent/represent.h"

namespace varstar::train {

void require_features(const Dataset& data) {
  const std::string mode = data.description.is_object() ? data.description.value("mode", std::string("?")) : "?";
  VARSTAR_CHECK(data.n_features > 0 && data.features,
                "--trees reads per-star features, and representation '{}' has none (use harmonic-shape, folded, or a "
                "dm-dt mode with features=true)", mode);
}

std::vector<float> gather_features(const Dataset& data, std::span<const int64_t> rows) {
  require_features(data);
  std::vector<float> x;
  x.reserve(rows.size() * static_cast<size_t>(data.n_features));
  for (int64_t r : rows) {
    const float* f = data.features.get() + r * data.n_features;
    x.insert(x.end(), f, f + data.n_features);
  }
  return x;
}

trees::BoostedTrees fit_trees(const Dataset& data, std::span<const int64_t> rows, const trees::BoostingOptions& options) {
  std::vector<int32_t> labels;
  labels.reserve(rows.size());
  for (int64_t r : rows) labels.push_back(data.labels.at(r));
  return trees::BoostedTrees::fit(gather_features(data, rows), data.n_features, labels, data.n_classes(), options);
}

Predictions predict_trees(const trees::BoostedTrees& model, const Dataset& data, const std::vector<int64_t>& rows) {
  VARSTAR_CHECK(model.n_features() == data.n_features, "the trees take {} features per star, the data set has {}",
                model.n_features(), data.n_features);
  const std::vector<double> p = model.predict_proba(gather_features(data, rows));
  Predictions out;
  out.rows = rows;
  out.probabilities.assign(p.begin(), p.end());
  const int64_t c = model.n_classes();
  for (size_t i = 0; i < rows.size(); ++i) {
    const double* row = p.data() + i * c;
    out.predicted.push_back(static_cast<int32_t>(std::max_element(row, row + c) - row));
  }
  return out;
}

Predictions networks_and_trees(const Predictions& networks, const Predictions& trees, const Dataset& data,
                               bool with_loss) {
  return average_predictions({networks, trees}, data, with_loss);
}

void save_trees_file(const std::string& path, const trees::BoostedTrees& model, const Dataset& data) {
  const nlohmann::json j = {{"varstar_trees", {{"classes", data.class_names}, {"representation", data.description}}},
                            {"model", model.to_json()}};
  data::write_text_file(path, j.dump() + "\n");
}

trees::BoostedTrees load_trees_file(const std::string& path, const nlohmann::json& network_description) {
  std::ifstream in(path);
  if (!in) throw DataError(path, 0, "", "cannot open the trees file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, 0, "", fmt::format("not a JSON trees file ({})", e.what()));
  }
  if (!j.contains("varstar_trees") || !j.contains("model"))
    throw DataError(path, 0, "", "not a varstar trees file (no \"varstar_trees\" and \"model\")");
  trees::BoostedTrees model;
  try {
    model = trees::BoostedTrees::from_json(j.at("model"));
  } catch (const Error& e) {
    throw DataError(path, 0, "", e.what());
  }
  const auto& about = j.at("varstar_trees");
  const auto classes = about.value("classes", nlohmann::json());
  if (classes != network_description.value("classes", nlohmann::json()))
    throw DataError(path, 0, "", fmt::format("the trees know classes {}, the networks {}", classes.dump(),
                                             network_description.value("classes", nlohmann::json()).dump()));
  const auto spec_text = [](const nlohmann::json& representation) {
    return data::RepresentationSpec::from_json(representation).to_text();
  };
  const std::string trees_spec = spec_text(about.at("representation"));
  const std::string networks_spec = spec_text(network_description.at("representation"));
  if (trees_spec != networks_spec)
    throw DataError(path, 0, "",
                    fmt::format("the trees were fitted on representation {}, the networks on {}", trees_spec, networks_spec));
  return model;
}

}  // namespace varstar::train
