// `varstar predict`: class probabilities for stars from a catalog or light
// curves, with a model written by `varstar train` (or a fold of `varstar cv`).
#include <cstdio>
#include <fstream>
#include <optional>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "apps/device_choice.h"
#include "apps/run_output.h"
#include "data/represent/represent.h"
#include "data/stars.h"
#include "train/checkpoint.h"
#include "train/prepared.h"
#include "train/trainer.h"
#include "train/tree_models.h"

namespace {

struct PredictArgs {
  std::vector<std::string> models;
  std::string trees;
  std::string catalog, lightcurves, periods, catalog_format = "auto", on_bad_row = "error", out = "-";
  std::string device = "cpu";
  int threads = 0;
};

void run_predict(const PredictArgs& a) {
  using namespace varstar;
  const Device device = app::choose_device(a.device, a.threads);
  std::vector<train::LoadedModel> members = train::load_model_files(a.models);
  const std::string model_text = fmt::format("{}", fmt::join(a.models, " + "));
  const auto& desc = members.front().description;
  const auto classes = desc.at("classes").get<std::vector<std::string>>();
  const data::RepresentationSpec spec = data::RepresentationSpec::from_json(desc.at("representation"));
  std::optional<trees::BoostedTrees> forest;  // read before any work, so a bad file costs nothing
  if (!a.trees.empty()) forest = train::load_trees_file(a.trees, desc);
  for (const auto& info : data::representation_names())
    if (info.name == spec.mode && info.uses_labels)
      throw Error(fmt::format("{} was trained on '{}', which is built from the labels of the stars it classifies: it "
                              "cannot label new stars", model_text, spec.mode));
  data::PrepareOptions o;
  o.catalog = a.catalog;
  o.lightcurves = a.lightcurves;
  o.periods = a.periods;
  o.catalog_format = data::parse_catalog_format(a.catalog_format);
  o.on_bad_row = data::parse_on_bad_row(a.on_bad_row);
  const data::StarsInput stars = data::read_stars(o);
  for (const auto& r : stars.reports) std::fprintf(stderr, "%s\n", r.c_str());
  const std::vector<std::string> notes = app::simulation_notes(stars.simulated, members);
  for (const auto& n : notes) std::fprintf(stderr, "*** %s ***\n", n.c_str());
  const data::RepresentationBatch batch = data::build_representation(
      spec, stars.rows, stars.curves ? &*stars.curves : nullptr, {}, {}, {}, device);
  std::vector<std::string> ids;
  for (const auto& row : stars.rows) ids.push_back(row.id);
  const Shape shape(batch.sample_shape.begin(), batch.sample_shape.end());
  train::Dataset d = train::make_dataset("prediction input", ids, std::vector<int32_t>(ids.size(), 0), classes, shape,
                                         batch.values);
  if (desc.at("representation").contains("feature_channels")) {
    d.description = desc.at("representation");  // the training set's feature statistics
    train::append_feature_channels(d, batch.features, static_cast<int64_t>(batch.feature_names.size()));
  }
  VARSTAR_CHECK(d.sample_shape == members.front().model->sample_shape(),
                "{}: the model takes samples of shape {}, the representation gives {}", model_text,
                shape_str(members.front().model->sample_shape()), shape_str(d.sample_shape));
  std::vector<int64_t> rows(ids.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  train::Predictions p = train::predict_ensemble(members, d, rows, device, false);
  if (forest) {
    const auto features = std::make_shared<const std::vector<float>>(batch.features);
    d.features = std::shared_ptr<const float>(features, features->data());
    d.n_features = static_cast<int64_t>(batch.feature_names.size());
    p = train::networks_and_trees(p, train::predict_trees(*forest, d, rows), d, false);
  }
  std::string csv = fmt::format("# varstar predict: model {} ({}){}, representation {}\n", model_text,
                                desc.at("model").get<std::string>(),
                                a.trees.empty() ? "" : " averaged with boosted trees " + a.trees, spec.mode);
  for (const auto& n : notes) csv += "# " + n + "\n";
  csv += "id,predicted";
  for (const auto& c : classes) csv += ",p_" + c;
  csv += "\n";
  const size_t c = classes.size();
  for (size_t i = 0; i < ids.size(); ++i) {
    csv += ids[i] + "," + classes[p.predicted[i]];
    for (size_t k = 0; k < c; ++k) csv += fmt::format(",{:.6f}", p.probabilities[i * c + k]);
    csv += "\n";
  }
  if (a.out == "-") {
    std::fputs(csv.c_str(), stdout);
  } else {
    std::ofstream(a.out) << csv;
    std::fprintf(stderr, "wrote %zu predictions to %s\n", ids.size(), a.out.c_str());
  }
}

varstar::app::RegisterCommand register_predict{{"predict", "Label stars from a catalog or light-curve CSV with a trained model", 60,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<PredictArgs>();
                                     app.add_option("--model", a->models,
                                                    "model.safetensors from `varstar train` or a cv fold; repeat it "
                                                    "for an ensemble (probabilities averaged)")
                                         ->required();
                                     app.add_option("--trees", a->trees,
                                                    "trees.json from `varstar train --trees` or a cv fold: average "
                                                    "its class probabilities with the networks'");
                                     app.add_option("--catalog", a->catalog, "Catalog (CDS Table2 or CSV) of the stars to classify");
                                     app.add_option("--catalog-format", a->catalog_format, "auto | cds | csv")->capture_default_str();
                                     app.add_option("--lightcurves", a->lightcurves, "Observations CSV id,time,mag,mag_err,band");
                                     app.add_option("--periods", a->periods, "Periods CSV id,Per[,Table2 columns] (with --lightcurves)");
                                     app.add_option("--on-bad-row", a->on_bad_row, "error | skip")->capture_default_str();
                                     app.add_option("--out", a->out, "Output CSV ('-': standard output)")->capture_default_str();
                                     app.add_option("--device", a->device, "cpu | cuda | cuda:N | auto: the network and the representation's GPU kernels")->capture_default_str();
                                     app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
                                         ->capture_default_str()
                                         ->check(varstar::app::kNonNegative);
                                     app.callback([a] { run_predict(*a); });
                                   }}};

}  // namespace
