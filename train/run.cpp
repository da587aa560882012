// Cross-validation runs and their output folder (see run.h).
#include "train/run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/cuda_backend.h"
#include "engine/device.h"
#include "engine/json_int.h"
#include "data/csv.h"
#include "engine/threads.h"
#include "train/report.h"
#include "train/tree_models.h"
#include "varstar_version.h"

namespace varstar::train {

namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) { data::write_text_file(path.string(), text); }

std::string warning_comment(const std::string& warning) {
  return warning.empty() ? "" : "# WARNING: " + warning + "\n";
}

nlohmann::json predictions_json(const Predictions& p) {
  return {{"rows", p.rows}, {"predicted", p.predicted}, {"probabilities", p.probabilities}, {"loss", p.loss}};
}

// A finished fold stored by an earlier (interrupted) invocation of the run.
bool load_finished_fold(const fs::path& path, const Dataset& data, FoldOutcome& out) {
  if (!fs::exists(path)) return false;
  try {
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
    out.fold = json_integer<int>(j.at("fold"));
    out.best_epoch = json_integer<int>(j.at("best_epoch"));
    out.seconds = j.at("seconds").get<double>();
    out.resumed = true;
    for (const auto& r : j.at("history")) out.history.push_back(EpochRecord::from_json(r));
    const auto& p = j.at("predictions");
    out.test_predictions.rows = json_integers<int64_t>(p.at("rows"));
    out.test_predictions.predicted = json_integers<int32_t>(p.at("predicted"));
    out.test_predictions.probabilities = p.at("probabilities").get<std::vector<float>>();
    out.test_predictions.loss = p.at("loss").get<double>();
    out.member_accuracy = j.value("member_accuracy", out.member_accuracy);
    out.networks_accuracy = j.value("networks_accuracy", -1.0);
    out.trees_accuracy = j.value("trees_accuracy", -1.0);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path.string(), 0, "", fmt::format("corrupt fold result ({}); delete it to rerun the fold", e.what()));
  }
  out.test = report_on(out.test_predictions, data);
  return true;
}

void write_fold_result(const fs::path& path, const FoldOutcome& outcome, const Dataset& data) {
  nlohmann::json j = outcome.to_json(data.class_names);
  j["predictions"] = predictions_json(outcome.test_predictions);
  write_text(path, j.dump() + "\n");
}

// The fold's trees: fitted on its training rows (saved as trees.json in
// `dir`), averaged with the networks on its test rows.
void add_trees(FoldOutcome& outcome, const Dataset& data, const std::vector<int64_t>& train_rows,
               const trees::BoostingOptions& options, const fs::path& dir) {
  const trees::BoostedTrees model = fit_trees(data, train_rows, options);
  fs::create_directories(dir);
  save_trees_file((dir / "trees.json").string(), model, data);
  const Predictions alone = predict_trees(model, data, outcome.test_predictions.rows);
  outcome.networks_accuracy = outcome.test.accuracy;
  outcome.trees_accuracy = report_on(alone, data).accuracy;
  outcome.test_predictions = networks_and_trees(outcome.test_predictions, alone, data, true);
  outcome.test = report_on(outcome.test_predictions, data);
}

// One network to train: fold k, ensemble member m.
struct Training {
  int fold = 0, member = 0;
};

// Trains every fold (and ensemble member) that --resume does not find
// finished, options.jobs at a time, and returns the folds' outcomes in fold
// order. A fold is finished (its result.json written, its line printed) as
// soon as its last member is. With one job everything runs in the calling
// thread, in order; with more, each network trains in a worker thread with
// its own CPU threads and CUDA stream. Each network's training is the same
// either way (its seed, rows and order do not depend on the others).
std::vector<FoldOutcome> train_folds(const RunOptions& options, const std::vector<data::Fold>& folds, int n_folds,
                                     const DatasetForFold& data_for_fold, Progress& progress) {
  const fs::path out(options.out_dir);
  const int n_members = options.train.ensemble;
  const auto fold_dir = [&](int k) { return out / "checkpoints" / fmt::format("fold{}", k + 1); };
  const auto member_dir = [&](int k, int m) {
    return n_members == 1 ? fold_dir(k) : fold_dir(k) / fmt::format("member{}", m + 1);
  };
  std::vector<FoldOutcome> outcomes(n_folds);
  std::vector<std::vector<FoldOutcome>> members(n_folds, std::vector<FoldOutcome>(n_members));
  std::vector<int> members_left(n_folds, 0);
  std::vector<char> fold_loaded(n_folds, 0);
  std::vector<Training> queue;
  for (int k = 0; k < n_folds; ++k) {
    const Dataset& data = data_for_fold(k);
    if (options.resume && load_finished_fold(fold_dir(k) / "result.json", data, outcomes[k])) {
      progress.message(fmt::format("fold {}/{}: already finished, accuracy {:.2f}% (from {})", k + 1, n_folds,
                                   100 * outcomes[k].test.accuracy, (fold_dir(k) / "result.json").string()));
      if (options.train.trees && outcomes[k].trees_accuracy < 0) {  // its networks finished before trees were asked for
        add_trees(outcomes[k], data, folds[k].train, options.train.trees_options, fold_dir(k));
        write_fold_result(fold_dir(k) / "result.json", outcomes[k], data);
        progress.message(fmt::format("fold {}/{}: with boosted trees {:.2f}% (networks alone {:.2f}%, trees alone "
                                     "{:.2f}%)", k + 1, n_folds, 100 * outcomes[k].test.accuracy,
                                     100 * outcomes[k].networks_accuracy, 100 * outcomes[k].trees_accuracy));
      }
      fold_loaded[k] = 1;
      continue;
    }
    for (int m = 0; m < n_members; ++m) {
      if (n_members > 1 && options.resume &&
          load_finished_fold(member_dir(k, m) / "result.json", data, members[k][m])) {
        progress.message(fmt::format("fold {}/{}: member {}/{} already finished", k + 1, n_folds, m + 1, n_members));
        continue;
      }
      queue.push_back({k, m});
      ++members_left[k];
    }
  }

  std::mutex mutex;  // members_left, and finishing a fold
  const auto finish_fold = [&](int k) {
    const Dataset& data = data_for_fold(k);
    FoldOutcome& outcome = outcomes[k];
    outcome = n_members == 1 ? std::move(members[k][0]) : combine_members(members[k], data);
    if (options.train.trees) add_trees(outcome, data, folds[k].train, options.train.trees_options, fold_dir(k));
    write_fold_result(fold_dir(k) / "result.json", outcome, data);
    progress.message(fmt::format("fold {}/{}: test accuracy {:.2f}%, weighted F1 {:.4f} ({}){}{}", k + 1, n_folds,
                                 100 * outcome.test.accuracy, outcome.test.weighted_f1, format_duration(outcome.seconds),
                                 n_members == 1 ? "" : fmt::format(", an ensemble of {}", n_members),
                                 outcome.trees_accuracy < 0
                                     ? ""
                                     : fmt::format("; networks alone {:.2f}%, trees alone {:.2f}%",
                                                   100 * outcome.networks_accuracy, 100 * outcome.trees_accuracy)));
  };
  for (int k = 0; k < n_folds; ++k)  // every member was finished already
    if (!fold_loaded[k] && members_left[k] == 0) finish_fold(k);

  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(queue.size())));
  const Device device = resolve_device(options.train.device);
  const auto train_one = [&](const Training& t, int worker) {
    const Dataset& data = data_for_fold(t.fold);
    TrainConfig config = options.train.member(t.member);
    if (n_members > 1)
      progress.message(fmt::format("fold {}/{}: ensemble member {}/{} (seed {})", t.fold + 1, n_folds, t.member + 1,
                                   n_members, config.seed));
    FoldJob job;
    job.fold = t.fold;
    job.folds = n_folds;
    job.train_rows = folds[t.fold].train;
    job.test_rows = folds[t.fold].test;
    job.checkpoint_dir = member_dir(t.fold, t.member).string();
    job.resume = options.resume;
    job.threads = options.threads_per_job;
    std::optional<cuda::WorkerStream> stream;
    if (device.is_cuda()) stream.emplace(device.index, worker);
    FoldOutcome member = train_fold(config, data, job, progress);
    if (n_members > 1) write_fold_result(member_dir(t.fold, t.member) / "result.json", member, data);
    std::lock_guard<std::mutex> lock(mutex);
    members[t.fold][t.member] = std::move(member);
    if (--members_left[t.fold] == 0) finish_fold(t.fold);
  };
  if (jobs == 1) {
    for (const Training& t : queue) train_one(t, 0);
    return outcomes;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::vector<std::thread> workers;
  for (int w = 0; w < jobs; ++w)
    workers.emplace_back([&, w] {
      for (size_t i = next++; i < queue.size() && !failed; i = next++) {
        try {
          train_one(queue[i], w);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
    });
  for (std::thread& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  return outcomes;
}

}  // namespace

std::vector<std::string> weak_member_warnings(const nlohmann::json& summary) {
  std::vector<std::string> out;
  if (!summary.contains("ensemble")) return out;
  for (const auto& w : summary.at("ensemble").value("weak_members", nlohmann::json::array())) {
    const int fold = json_integer<int>(w.at("fold")), member = json_integer<int>(w.at("member"));
    out.push_back(fmt::format("fold {} member {} reached {:.2f}%, its best sibling {:.2f}%: it may not have learned "
                              "(its epochs: checkpoints/fold{}/member{}/result.json)",
                              fold, member, 100 * w.at("accuracy").get<double>(),
                              100 * w.at("best_other").get<double>(), fold, member));
  }
  return out;
}

std::vector<std::string> chance_fold_warnings(const nlohmann::json& summary) {
  std::vector<std::string> out;
  for (const auto& c : summary.value("chance_folds", nlohmann::json::array()))
    out.push_back(fmt::format("fold {} reached {:.2f}%, no better than always answering its test fold's most common "
                              "class ({:.2f}%): it did not learn, and the mean over folds includes it (its epochs: "
                              "history.csv)",
                              json_integer<int>(c.at("fold")), 100 * c.at("accuracy").get<double>(),
                              100 * c.at("majority_share").get<double>()));
  return out;
}

std::vector<ChanceFold> chance_folds(const std::vector<FoldOutcome>& folds) {
  std::vector<ChanceFold> out;
  for (const auto& f : folds) {
    if (f.test.n_samples == 0 || f.test.support.empty()) continue;
    const int64_t largest = *std::max_element(f.test.support.begin(), f.test.support.end());
    const double share = static_cast<double>(largest) / static_cast<double>(f.test.n_samples);
    if (f.test.accuracy <= share + kChanceMargin) out.push_back({f.fold, f.test.accuracy, share});
  }
  return out;
}

std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return fmt::format("{}, {} hardware threads, varstar using {} thread(s)", cpu, std::thread::hardware_concurrency(),
                     num_threads());
}

std::vector<WeakMember> weak_members(const std::vector<FoldOutcome>& folds) {
  std::vector<WeakMember> weak;
  for (const auto& f : folds)
    for (size_t m = 0; m < f.member_accuracy.size(); ++m) {
      double best_other = -1;
      for (size_t o = 0; o < f.member_accuracy.size(); ++o)
        if (o != m) best_other = std::max(best_other, f.member_accuracy[o]);
      if (best_other >= 0 && f.member_accuracy[m] < best_other - kWeakMemberMargin)
        weak.push_back({f.fold, static_cast<int>(m), f.member_accuracy[m], best_other});
    }
  return weak;
}

nlohmann::json summarise_folds(const std::vector<FoldOutcome>& folds, const std::vector<std::string>& class_names) {
  std::vector<double> acc, wp, wr, wf, mp, mr, mf;
  for (const auto& f : folds) {
    acc.push_back(f.test.accuracy);
    wp.push_back(f.test.weighted_precision);
    wr.push_back(f.test.weighted_recall);
    wf.push_back(f.test.weighted_f1);
    mp.push_back(f.test.macro_precision);
    mr.push_back(f.test.macro_recall);
    mf.push_back(f.test.macro_f1);
  }
  const auto ms = [](const std::vector<double>& v) {
    const MeanStd m = mean_std(v);
    return nlohmann::json{{"mean", m.mean}, {"std", m.std}};
  };
  // Confusion matrix summed over folds (every star is tested exactly once).
  const int32_t c = static_cast<int32_t>(class_names.size());
  std::vector<int32_t> truth, predicted;
  for (const auto& f : folds)
    for (int32_t k = 0; k < c; ++k)
      for (int32_t j = 0; j < c; ++j)
        for (int64_t n = 0; n < f.test.confusion_at(k, j); ++n) {
          truth.push_back(k);
          predicted.push_back(j);
        }
  const ClassificationReport pooled = classification_report(truth, predicted, std::max(c, 1));
  nlohmann::json j = {{"folds", folds.size()},
                      {"accuracy", ms(acc)},
                      {"weighted", {{"precision", ms(wp)}, {"recall", ms(wr)}, {"f1", ms(wf)}}},
                      {"macro", {{"precision", ms(mp)}, {"recall", ms(mr)}, {"f1", ms(mf)}}},
                      {"pooled", pooled.to_json(class_names)}};
  nlohmann::json chance = nlohmann::json::array();
  for (const ChanceFold& f : chance_folds(folds))
    chance.push_back({{"fold", f.fold + 1}, {"accuracy", f.accuracy}, {"majority_share", f.majority_share}});
  j["chance_folds"] = chance;
  std::vector<double> member_acc;  // every ensemble member alone, over all folds
  for (const auto& f : folds) member_acc.insert(member_acc.end(), f.member_accuracy.begin(), f.member_accuracy.end());
  std::vector<double> networks_acc, trees_acc;
  for (const auto& f : folds)
    if (f.trees_accuracy >= 0) {
      networks_acc.push_back(f.networks_accuracy);
      trees_acc.push_back(f.trees_accuracy);
    }
  if (!trees_acc.empty())
    j["trees"] = {{"networks_alone", ms(networks_acc)},
                  {"trees_alone", ms(trees_acc)},
                  {"rule", "mean of the networks' and the trees' class probabilities"}};
  if (!member_acc.empty()) {
    nlohmann::json weak = nlohmann::json::array();
    for (const WeakMember& w : weak_members(folds))
      weak.push_back(
          {{"fold", w.fold + 1}, {"member", w.member + 1}, {"accuracy", w.accuracy}, {"best_other", w.best_other}});
    j["ensemble"] = {{"members", folds.front().member_accuracy.size()},
                     {"member_accuracy", ms(member_acc)},
                     {"weak_members", weak}};
  }
  return j;
}

std::string resume_mismatch(const RunOptions& options, const Dataset& first) {
  const fs::path path = fs::path(options.out_dir) / "config.json";
  if (!fs::exists(path)) return "";
  const auto old = nlohmann::json::parse(std::ifstream(path));
  const std::pair<std::string, nlohmann::json> now[] = {{"train", options.train.to_json()},
                                                        {"folds", options.folds_spec},
                                                        {"data", first.description},
                                                        {"sample_shape", first.sample_shape}};
  for (const auto& [key, value] : now) {
    const nlohmann::json then = old.value(key, nlohmann::json());
    if (then != value)
      return fmt::format("was started with another {}:\n  then {}\n  now  {}", key == "train" ? "configuration" : key,
                         then.dump(), value.dump());
  }
  return "";
}

RunResult cross_validate(const RunOptions& options, const std::vector<data::Fold>& folds,
                         const DatasetForFold& data_for_fold, Progress& progress) {
  VARSTAR_CHECK(!folds.empty(), "cross-validation needs at least one fold");
  VARSTAR_CHECK(!options.out_dir.empty(), "cross-validation needs an output folder");
  const fs::path out(options.out_dir);
  if (!options.resume && fs::exists(out / "metrics.json"))
    throw Error(fmt::format("{} already holds a finished run; choose another --out or pass --resume", out.string()));
  fs::create_directories(out / "checkpoints");
  const int n_folds = options.max_folds > 0 ? std::min<int>(options.max_folds, static_cast<int>(folds.size()))
                                            : static_cast<int>(folds.size());
  const Dataset& first = data_for_fold(0);
  const std::string warning = first.warning;
  if (!warning.empty()) progress.message("WARNING: " + warning, true);
  if (options.train.trees) require_features(first);

  const auto started = std::chrono::system_clock::now();
  const std::time_t started_t = std::chrono::system_clock::to_time_t(started);
  char started_text[64];
  std::strftime(started_text, sizeof started_text, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&started_t));
  nlohmann::json config = {{"title", options.title},
                           {"train", options.train.to_json()},
                           {"folds", options.folds_spec},
                           {"folds_run", n_folds},
                           {"data", first.description},
                           {"data_name", first.name},
                           {"classes", first.class_names},
                           {"samples", first.size()},
                           {"sample_shape", first.sample_shape},
                           {"uses_labels", first.uses_labels},
                           {"warning", warning},
                           {"machine", machine_description()},
                           {"varstar", fmt::format("{} ({})", VARSTAR_VERSION, VARSTAR_GIT_DESCRIBE)},
                           {"started", started_text}};
  if (options.resume) {
    const std::string mismatch = resume_mismatch(options, first);
    if (!mismatch.empty()) throw Error(fmt::format("--resume: {} {}", out.string(), mismatch));
  }
  write_text(out / "config.json", config.dump(2) + "\n");
  nlohmann::json folds_json = nlohmann::json::array();
  for (const auto& f : folds) folds_json.push_back({{"train", f.train}, {"test", f.test}});
  write_text(out / "folds.json", folds_json.dump() + "\n");

  RunResult result;
  result.out_dir = out.string();
  result.folds = train_folds(options, folds, n_folds, data_for_fold, progress);

  // history.csv and predictions.csv
  std::string history = warning_comment(warning) +
                        "fold,epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds,samples_per_s\n";
  std::string predictions = warning_comment(warning) + "fold,id,true,predicted";
  for (const auto& name : first.class_names) predictions += ",p_" + name;
  predictions += "\n";
  for (const auto& f : result.folds) {
    for (const auto& r : f.history)
      history += fmt::format("{},{},{},{},{},{},{},{},{},{:.3f},{:.1f}\n", f.fold + 1, r.epoch, r.lr, r.train_loss,
                             r.train_accuracy, r.val_loss, r.val_accuracy, r.test_loss, r.test_accuracy, r.seconds,
                             r.samples_per_s);
    const Dataset& data = data_for_fold(f.fold);
    const auto& p = f.test_predictions;
    const int64_t c = data.n_classes();
    for (size_t i = 0; i < p.rows.size(); ++i) {
      const int64_t row = p.rows[i];
      predictions += fmt::format("{},{},{},{}", f.fold + 1, data.ids.empty() ? std::to_string(row) : data.ids[row],
                                 data.class_names[data.labels[row]], data.class_names[p.predicted[i]]);
      for (int64_t k = 0; k < c; ++k) predictions += fmt::format(",{:.6f}", p.probabilities[i * c + k]);
      predictions += "\n";
    }
  }
  write_text(out / "history.csv", history);
  write_text(out / "predictions.csv", predictions);

  nlohmann::json per_fold = nlohmann::json::array();
  for (const auto& f : result.folds) per_fold.push_back(f.to_json(first.class_names));
  result.metrics = {{"summary", summarise_folds(result.folds, first.class_names)},
                    {"per_fold", per_fold},
                    {"classes", first.class_names},
                    {"uses_labels", first.uses_labels},
                    {"warning", warning}};
  write_text(out / "metrics.json", result.metrics.dump(2) + "\n");
  if (options.write_report) {
    ReportInput in;
    in.title = options.title;
    in.config = config;
    in.metrics = result.metrics;
    in.folds = &result.folds;
    in.data = &first;
    in.data_report = options.data_report;
    write_text(out / "report.html", render_report(in));
  }
  return result;
}

}  // namespace varstar::train
