#pragma once
// What the commands print about a run: the cross-validation summary (cv and
// demo) and the notes on simulated data (predict and evaluate).
#include <string>
#include <vector>

#include "train/checkpoint.h"
#include "train/run.h"

namespace varstar::app {

// Per-fold accuracy, mean +/- std of the metrics, the thesis's figure when a
// preset has one, warnings, and where the report is.
void print_cv_summary(const std::string& title, const train::RunResult& r, const std::string& thesis_result,
                      const std::string& warning, const nlohmann::json& data_report = nullptr);

// What predict and evaluate must say about simulated data: the stars scored
// are simulated, and/or a model was trained on simulated data. Empty when neither.
std::vector<std::string> simulation_notes(bool stars_simulated, const std::vector<train::LoadedModel>& models);

}  // namespace varstar::app
