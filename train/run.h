#pragma once
// Cross-validation runs: every fold trained and evaluated, per-fold and mean
// +/- std metrics, and a run folder a person can look at:
//   config.json      configuration, data description, machine, versions
//   folds.json       the train/test rows of every fold
//   history.csv      loss and accuracy per fold and epoch (train, validation, test)
//   predictions.csv  class probabilities of every test star
//   metrics.json     per-fold and mean +/- std metrics, confusion matrices
//   checkpoints/fold<k>/  last.safetensors (resume), model.safetensors (final), result.json
//                         (with an ensemble: per member in fold<k>/member<m>/, and
//                         the fold's combined result.json; with --trees also
//                         trees.json, the fold's boosted trees)
//   report.html      one self-contained page with curves, confusion matrix, examples
// A run whose inputs used the labels of the test stars says so in every file.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/folds.h"
#include "train/trainer.h"

namespace varstar::train {

struct RunOptions {
  TrainConfig train;
  std::string out_dir;
  bool resume = false;        // continue an interrupted run in out_dir
  std::string title;          // e.g. the preset name
  nlohmann::json data_report; // cleaning report, balancing, sources (shown in the report)
  nlohmann::json folds_spec;  // method, k, seed
  int max_folds = 0;          // > 0: run only the first max_folds folds
  bool write_report = true;
  // Networks (folds x ensemble members) trained at once, each in its own
  // thread (and CUDA stream); the results are those of jobs = 1 with the same
  // threads per network.
  int jobs = 1;
  int threads_per_job = 0;    // > 0: CPU threads of each network instead of train.threads
};

struct RunResult {
  std::vector<FoldOutcome> folds;
  nlohmann::json metrics;     // what metrics.json holds
  std::string out_dir;
};

// The data of fold k (most representations are the same for every fold; the
// thesis's class-pair dm-dt images depend on the split).
using DatasetForFold = std::function<const Dataset&(int fold)>;

RunResult cross_validate(const RunOptions& options, const std::vector<data::Fold>& folds,
                         const DatasetForFold& data_for_fold, Progress& progress);

// Why the run in options.out_dir cannot be resumed by this one (another
// training configuration, other folds, other data or sample shape), or "" when
// it can (or there is no run there yet). cross_validate's --resume throws with it.
std::string resume_mismatch(const RunOptions& options, const Dataset& first);

// Ensemble members whose test accuracy is more than kWeakMemberMargin below
// the best of their fold's other members: most likely networks that never
// learned, which the fold's average hides.
inline constexpr double kWeakMemberMargin = 0.10;
struct WeakMember {
  int fold = 0, member = 0;  // 0-based
  double accuracy = 0, best_other = 0;
};
std::vector<WeakMember> weak_members(const std::vector<FoldOutcome>& folds);

// Folds whose test accuracy is at most kChanceMargin above the share of their
// test fold's most common class: no better than always answering that class,
// a network that never left the starting plateau (the thesis presets' raw
// magnitudes and constant learning rate can keep a fold there for all its
// epochs). The mean over folds hides it; the summary names it.
inline constexpr double kChanceMargin = 0.02;
struct ChanceFold {
  int fold = 0;  // 0-based
  double accuracy = 0, majority_share = 0;
};
std::vector<ChanceFold> chance_folds(const std::vector<FoldOutcome>& folds);

// Mean +/- std over folds of accuracy and weighted/macro precision, recall,
// F1; the chance-level folds (1-based); for ensembles also the members alone
// and the weak ones (1-based).
nlohmann::json summarise_folds(const std::vector<FoldOutcome>& folds, const std::vector<std::string>& class_names);

// One sentence per weak member in a summarise_folds summary.
std::vector<std::string> weak_member_warnings(const nlohmann::json& summary);
// One sentence per chance-level fold in a summarise_folds summary.
std::vector<std::string> chance_fold_warnings(const nlohmann::json& summary);

// A one-line description of this machine (CPU model, cores) for reports.
std::string machine_description();

}  // namespace varstar::train
