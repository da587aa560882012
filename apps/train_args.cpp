// Shared training options (see train_args.h).
#include "apps/train_args.h"

#include <cstdio>
#include <ctime>

#include <fmt/ranges.h>

#include "apps/device_choice.h"
#include "apps/option_checks.h"
#include "bench/bench.h"
#include "engine/device.h"
#include "engine/profiler.h"
#include "engine/threads.h"
#include "models/models.h"
#include "train/presets.h"

namespace varstar::app {

std::string default_run_dir(const std::string& name) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return fmt::format("runs/{}-{}", name, stamp);
}

void TrainArgs::add_to(CLI::App& a, bool with_folds) {
  app = &a;
  std::string preset_help = "Experiment preset (options given explicitly override it; the run's title names them):";
  for (const auto& p : train::presets()) preset_help += "\n  " + p.name + ": " + p.description;
  a.add_option("--preset", preset, preset_help);
  data.add_to(a, with_folds, true);
  std::string model_help = "Network:";
  for (const auto& m : models::model_catalog()) model_help += "\n  " + m.name + ": " + m.description;
  a.add_option("--model", config.model, model_help)->capture_default_str();
  a.add_option("--epochs", config.epochs, "Epochs (the thesis: 100)")->capture_default_str()->check(kAtLeastOne);
  a.add_option("--batch", config.batch, "Batch size (the thesis: 32)")->capture_default_str()->check(kAtLeastOne);
  a.add_option("--lr", config.lr, "Learning rate (the thesis: 2e-4)")->capture_default_str()->check(kAboveZero);
  a.add_option("--optimizer", config.optimizer, "adam (L2 weight decay, as PyTorch) | adamw | sgd (momentum 0.9)")
      ->capture_default_str()
      ->check(CLI::IsMember({"adam", "adamw", "sgd"}));
  a.add_option("--weight-decay", config.weight_decay, "Weight decay")->capture_default_str()->check(kNonNegative);
  a.add_option("--lr-schedule", config.lr_schedule, "constant | cosine")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "cosine"}));
  a.add_option("--lr-warmup", config.lr_warmup,
               "Epochs over which the learning rate rises linearly, step by step, to the scheduled rate (0: none)")
      ->capture_default_str()
      ->check(kNonNegative);
  a.add_flag("--class-weights", config.class_weights, "Weight the loss by balanced class weights of the training rows");
  a.add_option("--validation-fraction", config.validation_fraction,
               "Hold out this share of the training rows (stratified) for validation / early stopping")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  a.add_option("--patience", config.patience, "Early stopping: epochs without a better validation loss (0: off)")
      ->capture_default_str()
      ->check(kNonNegative);
  a.add_option("--feature-bins", config.feature_bins,
               "Representations with per-star features: also encode each feature piecewise-linearly in this many "
               "quantile bins of the set (up to that many more input channels per feature; the edges are saved with "
               "the model); 0: z-scored features only")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  if (with_folds)
    a.add_option("--feature-statistics", feature_statistics,
                 "Per-star features are z-scored and binned with the statistics of each fold's training rows "
                 "('training': nothing of the test stars reaches the inputs) or of all stars ('all': test folds "
                 "included, no labels; transductive)")
        ->capture_default_str()
        ->check(CLI::IsMember({"training", "all"}));
  a.add_option("--ensemble", config.ensemble,
               "Networks per fold, member m trained with --seed + m; predictions average their class probabilities")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  a.add_flag("--trees", config.trees,
             std::string("Also fit gradient-boosted trees (scikit-learn's histogram algorithm and defaults: 100 "
                         "rounds, learning rate 0.1, 31 leaves, 20 stars per leaf, 255 bins) on the raw per-star "
                         "features of the training stars; needs a representation with features. ") +
                 (with_folds ? "Each test star's prediction is the mean of the networks' and the trees' class "
                               "probabilities; the summary also gives each alone"
                             : "Writes trees.json beside the model: `predict --trees` / `evaluate --trees` average "
                               "its class probabilities with the networks'"));
  a.add_option("--seed", config.seed, "Seed of the initialisation, shuffling and dropout")->capture_default_str();
  a.add_option("--device", config.device,
               "cpu | cuda | cuda:N | auto: training, and the representation's kernels where it has GPU ones (see "
               "`varstar prepare --help`)")
      ->capture_default_str();
  a.add_option("--threads", config.threads,
               with_folds ? "CPU threads per network (0: all cores, shared among the --jobs networks)"
                          : "CPU threads (0: all cores)")
      ->capture_default_str()
      ->check(kNonNegative);
  if (with_folds)
    a.add_option("--jobs", jobs,
                 "Networks (folds x ensemble members) to train at once, each in its own thread with --threads CPU "
                 "threads, or on CUDA its own stream; results as with --jobs 1 and the same --threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
  a.add_flag("--cuda-graph", config.cuda_graph,
             "CUDA: capture the full-batch training step in a CUDA graph once and replay it (Adam/AdamW; each "
             "epoch's last, smaller batch runs eagerly)");
  a.add_flag("--tf32", config.tf32,
             "CUDA: TF32 tensor cores in the GEMMs and cuDNN convolutions (faster; products rounded to a 10-bit "
             "mantissa, sums in float32); off by default");
  a.add_flag("--reproducible", config.reproducible,
             "CUDA: choose each convolution's algorithm by cuDNN's heuristics instead of timing the candidates: the "
             "same choice on every run with the same GPU, driver and cuDNN, so no timing decides the arithmetic (may "
             "be slower; VARSTAR_CUDNN_FIND=0 does the same for every command). CPU runs always repeat for a seed");
  a.add_option("--out", out, "Run folder (default: runs/<preset or model>-<date>-<time>)");
  a.add_flag("--resume", resume,
             "Continue an interrupted run in --out from its checkpoints (same configuration, folds and data; else an "
             "error)");
  a.add_flag("--quiet", quiet, "Only warnings and the final summary");
  a.add_flag("--json", json, "One JSON object per epoch and a JSON summary on stdout");
  a.add_option("--profile", profile, "Profile the first training steps; write a Chrome trace (Perfetto) to this file");
  a.add_option("--profile-steps", config.profile_steps, "Steps to profile with --profile")->capture_default_str();
}

void TrainArgs::finalise() {
  if (!preset.empty()) {
    const train::Preset& p = train::find_preset(preset);
    preset_changes.clear();
    // Whether the user gave `name`; named in preset_changes when its value differs from the preset's.
    const auto given = [&](const char* name, const auto& value, const auto& preset_value) {
      const CLI::Option* o = app->get_option(name);
      if (o->count() == 0) return false;
      if (!(value == preset_value)) preset_changes.push_back(fmt::format("{} {}", name, fmt::join(o->results(), " ")));
      return true;
    };
    // The user's value where given, else the preset's.
    const auto take = [&](const char* name, auto& value, const auto& preset_value) {
      if (!given(name, value, preset_value)) value = preset_value;
    };
    take("--classes", data.o.classes, p.classes);
    take("--per-class", data.per_class, p.per_class);
    take("--zero-columns", data.o.zero_columns, p.zero_columns);
    take("--representation", data.o.representation, p.representation);
    const train::TrainConfig& t = p.train;
    take("--model", config.model, t.model);
    take("--epochs", config.epochs, t.epochs);
    take("--batch", config.batch, t.batch);
    take("--lr", config.lr, t.lr);
    take("--optimizer", config.optimizer, t.optimizer);
    take("--weight-decay", config.weight_decay, t.weight_decay);
    take("--lr-schedule", config.lr_schedule, t.lr_schedule);
    take("--seed", config.seed, t.seed);
    if (app->get_option_no_throw("--fold-method") != nullptr) {  // cv
      take("--fold-method", data.fold_method, p.fold_method);
      given("--folds", data.o.folds, data::PrepareOptions{}.folds);  // every preset: the default 5 folds
    }
  }
  if (data.o.representation.empty())
    data.o.representation = config.model == "cnn-lstm"        ? "harmonic-thesis"
                            : config.model == "cnn2d-scripts" ? "dmdt-thesis-classpair"
                                                              : "dmdt-catalog:image_height=24,image_width=24";
  if (out.empty()) out = default_run_dir(run_name());
  if (data.o.out_dir == data::PrepareOptions{}.out_dir) data.o.out_dir = out + "/data";
  if (data.o.cache_dir.empty()) data.o.cache_dir = "varstar-data/cache";
}

train::ProgressMode TrainArgs::progress_mode() const {
  if (json) return train::ProgressMode::json;
  if (quiet) return train::ProgressMode::quiet;
  return train::ProgressMode::automatic;
}

data::PrepareOptions TrainArgs::prepare_options(train::Progress& progress) const {
  data::PrepareOptions o = data.resolve();
  o.device = choose_device(config.device, config.threads, progress);  // before the data work, which runs there too
  o.log = [&progress](const std::string& line) { progress.message(line); };
  return o;
}

void TrainArgs::start_profile() const {
  if (profile.empty()) return;
  profiler::start();
}

void TrainArgs::finish_profile() const {
  if (profile.empty()) return;
  profiler::stop();
  profiler::Peaks peaks;
  peaks.gflops = bench::measure_sgemm_gflops();
  peaks.gbps = profiler::measure_host_memcpy_gbps();
  std::fprintf(stderr, "%s", profiler::report(peaks).c_str());
  profiler::write_trace(profile);
  std::fprintf(stderr, "profile trace (open in Perfetto or chrome://tracing): %s\n", profile.c_str());
}

std::string TrainArgs::run_name() const {
  if (!preset.empty()) return preset;
  const std::string mode = data.o.representation.substr(0, data.o.representation.find(':'));
  return config.model + "-" + (mode.empty() ? "default" : mode);
}

std::string TrainArgs::run_title() const {
  if (preset_changes.empty()) return run_name();
  return fmt::format("{}, changed: {}", run_name(), fmt::join(preset_changes, ", "));
}

std::string TrainArgs::thesis_result() const {
  if (preset.empty()) return "";
  const std::string& figure = train::find_preset(preset).thesis_result;
  if (figure.empty() || preset_changes.empty()) return figure;
  return fmt::format("{} (with the preset's settings; this run changed {})", figure, fmt::join(preset_changes, ", "));
}

}  // namespace varstar::app
