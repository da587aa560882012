// Terminal summary of a cross-validation run (see run_output.h).
#include "apps/run_output.h"

#include <cstdio>

#include "engine/json_int.h"

namespace varstar::app {

void print_cv_summary(const std::string& title, const train::RunResult& r, const std::string& thesis_result,
                      const std::string& warning, const nlohmann::json& data_report) {
  const auto& s = r.metrics.at("summary");
  const auto ms = [](const nlohmann::json& j, double scale) {
    return fmt::format("{:.2f} +/- {:.2f}", scale * j.at("mean").get<double>(), scale * j.at("std").get<double>());
  };
  std::printf("\n%s: %zu fold(s)\n", title.c_str(), r.folds.size());
  for (const auto& f : r.folds)
    std::printf("  fold %d  accuracy %6.2f%%  weighted F1 %.4f  (%zu epochs, %.0f s)\n", f.fold + 1,
                100 * f.test.accuracy, f.test.weighted_f1, f.history.size(), f.seconds);
  std::printf("  accuracy           %s %%%s\n", ms(s.at("accuracy"), 100).c_str(),
              s.contains("trees") ? " (networks and trees averaged)" : "");
  if (s.contains("ensemble"))
    std::printf("  each member alone  %s %% (ensembles of %d networks)\n",
                ms(s.at("ensemble").at("member_accuracy"), 100).c_str(),
                json_integer<int>(s.at("ensemble").at("members")));
  if (s.contains("trees")) {
    std::printf("  networks alone     %s %%\n", ms(s.at("trees").at("networks_alone"), 100).c_str());
    std::printf("  trees alone        %s %% (boosted trees on the per-star features)\n",
                ms(s.at("trees").at("trees_alone"), 100).c_str());
  }
  for (const std::string& w : train::chance_fold_warnings(s)) std::printf("  warning: %s\n", w.c_str());
  for (const std::string& w : train::weak_member_warnings(s)) std::printf("  warning: %s\n", w.c_str());
  std::printf("  weighted precision %s\n", ms(s.at("weighted").at("precision"), 1).c_str());
  std::printf("  weighted recall    %s\n", ms(s.at("weighted").at("recall"), 1).c_str());
  std::printf("  weighted F1        %s\n", ms(s.at("weighted").at("f1"), 1).c_str());
  std::printf("  macro F1           %s\n", ms(s.at("macro").at("f1"), 1).c_str());
  if (data_report.is_object() && data_report.contains("baseline"))
    std::printf("  simple baseline    %.2f +/- %.2f %% (%s)\n",
                100 * data_report["baseline"]["accuracy_mean"].get<double>(),
                100 * data_report["baseline"]["accuracy_std"].get<double>(),
                data_report["baseline"]["method"].get<std::string>().c_str());
  if (!thesis_result.empty()) std::printf("  the thesis reports: %s\n", thesis_result.c_str());
  std::printf("  report: %s/report.html\n", r.out_dir.c_str());
  if (!warning.empty()) std::printf("\n*** WARNING: %s ***\n", warning.c_str());
}

std::vector<std::string> simulation_notes(bool stars_simulated, const std::vector<train::LoadedModel>& models) {
  std::vector<std::string> notes;
  if (stars_simulated)
    notes.emplace_back(
        "SIMULATED STARS: the stars scored here come from varstar's built-in simulator, not from a survey");
  for (const auto& m : models) {
    const nlohmann::json& r = m.description.value("representation", nlohmann::json::object());
    if (r.is_object() && r.contains("notice")) {
      notes.emplace_back("SIMULATED TRAINING DATA: the model was trained on varstar's built-in simulated set; its "
                         "labels for real stars are not to be trusted");
      break;
    }
  }
  return notes;
}

}  // namespace varstar::app
