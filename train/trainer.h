#pragma once
// Training one model on one train/test split: shuffled mini-batches (seeded,
// the permutation of epoch e depends only on (seed, fold, e)), the next batch
// gathered on a second thread while the current step runs, Adam/AdamW/SGD,
// optional class weights, learning-rate schedule and early stopping on a
// validation split taken from the training rows only. A checkpoint after
// every epoch lets a killed run resume and end with the same weights as one
// never interrupted (CPU, bit for bit).
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/device.h"
#include "models/models.h"
#include "train/dataset.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "trees/boosted_trees.h"

namespace varstar::train {

struct TrainConfig {
  std::string model = "cnn-lstm";
  int epochs = 100;            // the thesis: 100
  int64_t batch = 32;          // the thesis: 32
  double lr = 2e-4;            // the thesis: Adam, 2e-4
  std::string optimizer = "adam";  // adam | adamw | sgd (momentum 0.9)
  double weight_decay = 0.0;
  std::string lr_schedule = "constant";  // constant | cosine
  // > 0: the learning rate rises linearly, step by step, over the first this
  // many epochs: step s (0-based) of the warm-up's W steps gets (s + 1) / W
  // of the scheduled rate (train::scheduled_lr).
  int lr_warmup = 0;
  bool class_weights = false;  // weight the loss by balanced class weights of the training rows
  double validation_fraction = 0.0;  // > 0: hold out this share of the training rows (stratified)
  int patience = 0;            // > 0 (needs a validation split): stop after this many epochs without a better validation loss
  // Per-star features: also encode each piecewise-linearly in this many
  // quantile bins (train::append_feature_channels); 0: z-scores only.
  int feature_bins = 0;
  // Networks per fold: member m (0-based) trains with seed + m, and the
  // fold's predictions are their averaged class probabilities.
  int ensemble = 1;
  uint64_t seed = 42;
  std::string device = "cpu";  // cpu | cuda | cuda:N | auto
  int threads = 0;             // CPU threads, 0: all cores
  // When the profiler is running (engine/profiler.h), mark each training
  // step and stop profiling after this many steps (0: never). Not part of the
  // configuration's identity (to_json), so a profiled run resumes an unprofiled one.
  int profile_steps = 20;
  // CUDA: capture the training step of a full batch in a CUDA graph once per
  // run and replay it (Adam reads the learning rate from the device, dropout
  // its Philox shift); the last, smaller batch of an epoch runs eagerly.
  // Adam/AdamW only. Like
  // profile_steps, not part of the identity: the result is the same step.
  bool cuda_graph = false;
  // CUDA: TF32 tensor cores in cuBLAS GEMMs and cuDNN convolutions (10-bit
  // mantissa products, float32 sums). Part of the identity when on: it changes
  // the numbers.
  bool tf32 = false;
  // CUDA: convolution algorithms chosen by cuDNN's heuristics instead of by
  // timing candidates (cuda::set_conv_timing(false), for the rest of the
  // process), so that no timing decides the arithmetic. Part of the identity
  // when on: it changes which algorithms, hence which roundings, run.
  bool reproducible = false;
  // Cross-validation and `train`: also fit gradient-boosted trees on the raw
  // per-star features of the training rows (train/tree_models.h); a fold's
  // prediction is then the mean of the networks' and the trees' probabilities.
  bool trees = false;
  trees::BoostingOptions trees_options;

  // The configuration of ensemble member m: seed + m, one network (no trees).
  TrainConfig member(int m) const;
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
};

struct EpochRecord {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0, train_accuracy = 0;
  double val_loss = -1, val_accuracy = -1;  // -1: no validation split
  double test_loss = -1, test_accuracy = -1;  // -1: no test rows
  double seconds = 0, samples_per_s = 0;
  nlohmann::json to_json() const;
  static EpochRecord from_json(const nlohmann::json& j);
};

struct Predictions {
  std::vector<int64_t> rows;           // data set rows
  std::vector<int32_t> predicted;      // argmax class
  std::vector<float> probabilities;    // (rows, classes)
  double loss = 0;                     // mean cross-entropy (unweighted); 0 without labels
};

struct FoldOutcome {
  int fold = 0;                        // 0-based
  std::vector<EpochRecord> history;
  int best_epoch = 0;                  // the epoch whose weights were kept
  ClassificationReport test;           // on the test rows
  Predictions test_predictions;
  double seconds = 0;
  bool resumed = false;
  // An ensemble's fold: each member's own test accuracy (the history and
  // best_epoch above are member 1's); empty for a single network.
  std::vector<double> member_accuracy;
  // With trees (TrainConfig::trees): the networks' accuracy alone and the
  // trees' alone (the accuracy above is their average's); -1 without.
  double networks_accuracy = -1, trees_accuracy = -1;
  nlohmann::json to_json(const std::vector<std::string>& class_names) const;
};

// The classification report of predictions against the data set's labels.
ClassificationReport report_on(const Predictions& p, const Dataset& data);

// The predictions of an ensemble from its members' on the same rows: the
// mean class probabilities, their argmax, and (with_loss) the cross-entropy
// of the mean.
Predictions average_predictions(const std::vector<Predictions>& members, const Dataset& data, bool with_loss);

// One fold's outcome from its ensemble members': average_predictions and
// the report on them; history and best epoch from members[0], seconds summed.
FoldOutcome combine_members(const std::vector<FoldOutcome>& members, const Dataset& data);

struct FoldJob {
  int fold = 0, folds = 1;
  std::vector<int64_t> train_rows, test_rows;
  std::string checkpoint_dir;  // empty: no checkpoints
  bool resume = false;         // continue from checkpoint_dir/last.safetensors if present
  int threads = 0;             // > 0: CPU threads of this job instead of config.threads (cv --jobs)
};

// Trains a fresh model on job.train_rows, evaluates on job.test_rows each
// epoch, and returns the history and the final test report. The trained model
// is written to checkpoint_dir/model.safetensors when a directory is given.
FoldOutcome train_fold(const TrainConfig& config, const Dataset& data, const FoldJob& job, Progress& progress,
                       std::unique_ptr<models::Model>* trained = nullptr);

// Class probabilities of `rows` (eval mode, batches of 256).
Predictions predict(models::Model& model, const Dataset& data, const std::vector<int64_t>& rows, Device device,
                    bool with_loss);

// The learning rate of step `step` (0-based) of epoch `epoch` (1-based), with
// `steps` steps per epoch: the schedule's rate for the epoch, times the
// warm-up's share while it lasts.
double scheduled_lr(const TrainConfig& config, int epoch, int64_t step, int64_t steps);

// The seeded permutation used for (seed, fold, epoch).
std::vector<int64_t> epoch_permutation(const std::vector<int64_t>& rows, uint64_t seed, int fold, int epoch);

}  // namespace varstar::train
