// `varstar evaluate`: score a trained model on a labelled catalog or light-curve set.
#include <cstdio>
#include <fstream>
#include <optional>

#include "apps/command.h"
#include "apps/option_checks.h"
#include "apps/device_choice.h"
#include "apps/data_args.h"
#include "apps/run_output.h"
#include "data/represent/represent.h"
#include "train/checkpoint.h"
#include "train/prepared.h"
#include "train/trainer.h"
#include "train/tree_models.h"

namespace {

struct EvaluateArgs {
  varstar::app::DataArgs data;
  std::vector<std::string> models;
  std::string trees;
  std::string out_json, device = "cpu";
  int threads = 0;
};

void run_evaluate(EvaluateArgs& a) {
  using namespace varstar;
  const Device device = app::choose_device(a.device, a.threads);
  std::vector<train::LoadedModel> members = train::load_model_files(a.models);
  const std::string model_text = fmt::format("{}", fmt::join(a.models, " + "));
  const nlohmann::json& description = members.front().description;
  const auto classes = description.at("classes").get<std::vector<std::string>>();
  std::optional<trees::BoostedTrees> forest;  // read before any work, so a bad file costs nothing
  if (!a.trees.empty()) forest = train::load_trees_file(a.trees, description);
  data::PrepareOptions o = a.data.resolve();
  o.representation = data::RepresentationSpec::from_json(description.at("representation")).to_text();
  if (o.out_dir == data::PrepareOptions{}.out_dir) o.out_dir = "varstar-data/evaluate";
  if (o.cache_dir.empty()) o.cache_dir = "varstar-data/cache";
  o.folds = 2;
  o.device = device;
  o.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  train::PreparedData data(data::prepare(o), description.at("representation"));
  const train::Dataset& d = data.for_fold(0);
  VARSTAR_CHECK(d.class_names == classes, "the model knows classes [{}], the labelled set has [{}]; use --classes",
                fmt::join(classes, ", "), fmt::join(d.class_names, ", "));
  std::vector<int64_t> rows(static_cast<size_t>(d.size()));
  for (int64_t i = 0; i < d.size(); ++i) rows[i] = i;
  train::Predictions p = train::predict_ensemble(members, d, rows, device, true);
  if (forest) p = train::networks_and_trees(p, train::predict_trees(*forest, d, rows), d, true);
  const train::ClassificationReport r = train::classification_report(d.labels, p.predicted, d.n_classes());
  if (!d.warning.empty()) std::printf("*** WARNING: %s ***\n", d.warning.c_str());
  const std::vector<std::string> notes = app::simulation_notes(data.prepared().simulated, members);
  for (const auto& n : notes) std::printf("*** %s ***\n", n.c_str());
  const std::string scored = a.trees.empty() ? model_text : model_text + " + trees " + a.trees;
  std::printf("%s on %lld stars: accuracy %.2f%%, weighted F1 %.4f, macro F1 %.4f, loss %.4f\n", scored.c_str(),
              static_cast<long long>(d.size()), 100 * r.accuracy, r.weighted_f1, r.macro_f1, p.loss);
  std::printf("%-8s %9s %9s %9s %8s\n", "class", "precision", "recall", "F1", "support");
  for (int32_t c = 0; c < r.n_classes; ++c)
    std::printf("%-8s %9.4f %9.4f %9.4f %8lld\n", classes[c].c_str(), r.precision[c], r.recall[c], r.f1[c],
                static_cast<long long>(r.support[c]));
  if (!a.out_json.empty()) {
    nlohmann::json j = r.to_json(classes);
    j["model"] = a.models.size() == 1 ? nlohmann::json(a.models.front()) : nlohmann::json(a.models);
    j["loss"] = p.loss;
    if (!a.trees.empty()) j["trees"] = a.trees;
    if (!d.warning.empty()) j["warning"] = d.warning;
    if (!notes.empty()) j["notices"] = notes;
    std::ofstream(a.out_json) << j.dump(2) << "\n";
  }
}

varstar::app::RegisterCommand register_evaluate{{"evaluate", "Score a trained model on a labelled catalog or light-curve set", 70,
                                   [](CLI::App& app) {
                                     auto a = std::make_shared<EvaluateArgs>();
                                     a->data.per_class = "all";
                                     app.add_option("--model", a->models,
                                                    "model.safetensors from `varstar train`; repeat it for an "
                                                    "ensemble (probabilities averaged)")
                                         ->required();
                                     app.add_option("--trees", a->trees,
                                                    "trees.json from `varstar train --trees`: average its class "
                                                    "probabilities with the networks'");
                                     a->data.add_to(app, false, false);
                                     app.add_option("--json", a->out_json, "Also write the metrics to this JSON file");
                                     app.add_option("--device", a->device, "cpu | cuda | cuda:N | auto: the network and the representation's GPU kernels")->capture_default_str();
                                     app.add_option("--threads", a->threads, "CPU threads (0: all cores)")
                                         ->capture_default_str()
                                         ->check(varstar::app::kNonNegative);
                                     app.callback([a] { run_evaluate(*a); });
                                   }}};

}  // namespace
