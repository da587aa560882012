#pragma once
// Options shared by `varstar train` and `varstar cv`: the preset, the data
// (apps/data_args.h), the training configuration, output and progress.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "apps/data_args.h"
#include "train/progress.h"
#include "train/trainer.h"

namespace varstar::app {

struct TrainArgs {
  DataArgs data;
  train::TrainConfig config;
  std::string preset;
  std::string feature_statistics = "training";  // cv: training | all (train::parse_feature_statistics)
  std::string out;  // run folder; default runs/<name>-<time>
  int jobs = 1;     // cv: networks trained at once
  bool resume = false;
  bool quiet = false;
  bool json = false;
  std::string profile;  // Chrome trace file; profiling on when non-empty
  // Options the preset sets that the user gave instead ("--epochs 25"), filled by finalise().
  std::vector<std::string> preset_changes;
  CLI::App* app = nullptr;

  void add_to(CLI::App& app, bool with_folds);
  // Applies the preset to every option the user did not give; fills defaults.
  void finalise();
  train::ProgressMode progress_mode() const;
  // The data options with the CPU thread count applied and the representations
  // on the training device (the trainer prints the fallback note once if a GPU
  // was asked for and is not usable); log lines go to `progress`.
  data::PrepareOptions prepare_options(train::Progress& progress) const;
  // A name for the run: the preset, or model + representation.
  std::string run_name() const;
  // run_name() and the preset's options this run changes ("thesis-5class-cnnlstm, changed: --epochs 25"):
  // the title of the summary, the report and config.json.
  std::string run_title() const;
  // The thesis's figure for the preset, saying which of the preset's options this run changed; "" without one.
  std::string thesis_result() const;
  // With --profile: starts the profiler; finish_profile() prints the op table
  // and writes the trace.
  void start_profile() const;
  void finish_profile() const;
};

// "runs/<name>-YYYYmmdd-HHMMSS".
std::string default_run_dir(const std::string& name);

}  // namespace varstar::app
