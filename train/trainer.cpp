// The training loop for one split (see trainer.h).
#include "train/trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>

#include "data/balance.h"
#include "engine/autograd.h"
#include "engine/batch_uploader.h"
#include "engine/cuda_backend.h"
#include "engine/cuda_graph.h"
#include "engine/json_int.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/profiler.h"
#include "engine/threads.h"
#include "kernels/philox_math.h"
#include "train/checkpoint.h"

namespace varstar::train {

namespace {

using Clock = std::chrono::steady_clock;

// Test hook: VARSTAR_TEST_KILL_AFTER_STEPS=n kills the process (SIGKILL)
// after n optimizer steps, so tests can interrupt a run at a known point.
void maybe_kill(int64_t steps_done) {
  static const int64_t limit = [] {
    const char* v = std::getenv("VARSTAR_TEST_KILL_AFTER_STEPS");
    return v ? std::atoll(v) : int64_t{-1};
  }();
  if (limit >= 0 && steps_done >= limit) std::raise(SIGKILL);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, const models::Model& model) {
  if (c.optimizer == "adam" || c.optimizer == "adamw") {
    optim::AdamOptions o;
    o.lr = c.lr;
    o.weight_decay = c.weight_decay;
    o.decoupled = c.optimizer == "adamw";
    return std::make_unique<optim::Adam>(model.named_parameters(), o);
  }
  if (c.optimizer == "sgd") {
    optim::SgdOptions o;
    o.lr = c.lr;
    o.momentum = 0.9;
    o.weight_decay = c.weight_decay;
    return std::make_unique<optim::SGD>(model.named_parameters(), o);
  }
  throw Error(fmt::format("unknown optimizer '{}': expected adam, adamw or sgd", c.optimizer));
}

// A finished step whose loss and logits are still on the device: on CUDA the
// host reads them a few steps later, so it never waits for the GPU per step.
struct PendingStep {
  Tensor loss, logits;  // () and (count, classes), detached copies
  Tensor labels;        // (count) int32 on the host
  int64_t batch_index = 0;
};

// Stratified hold-out of `fraction` of the training rows (at least one row of
// every class with two or more rows), seeded by (seed, fold).
void split_validation(const Dataset& data, const std::vector<int64_t>& rows, double fraction, uint64_t seed, int fold,
                      std::vector<int64_t>& fit, std::vector<int64_t>& val) {
  std::vector<std::vector<int64_t>> by_class(data.n_classes());
  for (int64_t r : rows) by_class[data.labels[r]].push_back(r);
  for (auto& members : by_class) {
    const auto shuffled = epoch_permutation(members, seed ^ 0x7a11dull, fold, 0);
    int64_t n_val = static_cast<int64_t>(std::llround(fraction * static_cast<double>(shuffled.size())));
    if (shuffled.size() >= 2) n_val = std::clamp<int64_t>(n_val, 1, static_cast<int64_t>(shuffled.size()) - 1);
    else n_val = 0;
    val.insert(val.end(), shuffled.begin(), shuffled.begin() + n_val);
    fit.insert(fit.end(), shuffled.begin() + n_val, shuffled.end());
  }
  std::sort(fit.begin(), fit.end());
  std::sort(val.begin(), val.end());
}

struct Batch {
  Tensor x, y;
};

Batch load_batch(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  const std::span<const int64_t> idx(order.data() + begin, static_cast<size_t>(end - begin));
  return {gather_samples(data, idx), gather_labels(data, idx)};
}

nlohmann::json history_json(const std::vector<EpochRecord>& history) {
  nlohmann::json h = nlohmann::json::array();
  for (const auto& r : history) h.push_back(r.to_json());
  return h;
}

}  // namespace

double scheduled_lr(const TrainConfig& c, int epoch, int64_t step, int64_t steps) {
  double lr = c.lr;
  if (c.lr_schedule == "cosine")
    lr *= 0.5 * (1.0 + std::cos(M_PI * (epoch - 1) / std::max(c.epochs, 1)));
  else if (c.lr_schedule != "constant")
    throw Error(fmt::format("unknown learning-rate schedule '{}': expected constant or cosine", c.lr_schedule));
  const int64_t warmup_steps = static_cast<int64_t>(c.lr_warmup) * steps;
  const int64_t global_step = static_cast<int64_t>(epoch - 1) * steps + step;
  if (global_step < warmup_steps) lr *= static_cast<double>(global_step + 1) / static_cast<double>(warmup_steps);
  return lr;
}

TrainConfig TrainConfig::member(int m) const {
  TrainConfig c = *this;
  c.seed += static_cast<uint64_t>(m);
  c.ensemble = 1;
  c.trees = false;
  return c;
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j = {{"model", model},
                      {"epochs", epochs},
                      {"batch", batch},
                      {"lr", lr},
                      {"optimizer", optimizer},
                      {"weight_decay", weight_decay},
                      {"lr_schedule", lr_schedule},
                      {"class_weights", class_weights},
                      {"validation_fraction", validation_fraction},
                      {"patience", patience},
                      {"seed", seed},
                      {"device", device},
                      {"threads", threads}};
  if (tf32) j["tf32"] = true;  // absent when off, so older checkpoints keep their identity
  if (reproducible) j["reproducible"] = true;  // likewise
  if (feature_bins > 0) j["feature_bins"] = feature_bins;  // likewise
  if (ensemble > 1) j["ensemble"] = ensemble;
  if (lr_warmup > 0) j["lr_warmup"] = lr_warmup;
  if (trees) j["trees"] = trees_options.to_json();
  return j;
}

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  c.model = j.value("model", c.model);
  c.epochs = j.value("epochs", c.epochs);
  c.batch = j.value("batch", c.batch);
  c.lr = j.value("lr", c.lr);
  c.optimizer = j.value("optimizer", c.optimizer);
  c.weight_decay = j.value("weight_decay", c.weight_decay);
  c.lr_schedule = j.value("lr_schedule", c.lr_schedule);
  c.lr_warmup = j.value("lr_warmup", c.lr_warmup);
  c.class_weights = j.value("class_weights", c.class_weights);
  c.validation_fraction = j.value("validation_fraction", c.validation_fraction);
  c.patience = j.value("patience", c.patience);
  c.seed = j.value("seed", c.seed);
  c.device = j.value("device", c.device);
  c.threads = j.value("threads", c.threads);
  c.tf32 = j.value("tf32", c.tf32);
  c.reproducible = j.value("reproducible", c.reproducible);
  c.feature_bins = j.value("feature_bins", c.feature_bins);
  c.ensemble = j.value("ensemble", c.ensemble);
  c.trees = j.contains("trees");
  if (c.trees) c.trees_options = trees::BoostingOptions::from_json(j.at("trees"));
  return c;
}

nlohmann::json EpochRecord::to_json() const {
  return {{"epoch", epoch},         {"lr", lr},
          {"train_loss", train_loss}, {"train_accuracy", train_accuracy},
          {"val_loss", val_loss},   {"val_accuracy", val_accuracy},
          {"test_loss", test_loss}, {"test_accuracy", test_accuracy},
          {"seconds", seconds},     {"samples_per_s", samples_per_s}};
}

EpochRecord EpochRecord::from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = json_integer<int>(j.at("epoch"));
  r.lr = j.at("lr").get<double>();
  r.train_loss = j.at("train_loss").get<double>();
  r.train_accuracy = j.at("train_accuracy").get<double>();
  r.val_loss = j.at("val_loss").get<double>();
  r.val_accuracy = j.at("val_accuracy").get<double>();
  r.test_loss = j.at("test_loss").get<double>();
  r.test_accuracy = j.at("test_accuracy").get<double>();
  r.seconds = j.at("seconds").get<double>();
  r.samples_per_s = j.at("samples_per_s").get<double>();
  return r;
}

nlohmann::json FoldOutcome::to_json(const std::vector<std::string>& class_names) const {
  nlohmann::json j = {{"fold", fold},     {"best_epoch", best_epoch}, {"seconds", seconds}, {"resumed", resumed},
                      {"test", test.to_json(class_names)}, {"history", history_json(history)}};
  if (!member_accuracy.empty()) j["member_accuracy"] = member_accuracy;
  if (trees_accuracy >= 0) {
    j["networks_accuracy"] = networks_accuracy;
    j["trees_accuracy"] = trees_accuracy;
  }
  return j;
}

ClassificationReport report_on(const Predictions& p, const Dataset& data) {
  std::vector<int32_t> truth;
  for (int64_t r : p.rows) truth.push_back(data.labels.at(r));
  return classification_report(truth, p.predicted, data.n_classes());
}

Predictions average_predictions(const std::vector<Predictions>& members, const Dataset& data, bool with_loss) {
  VARSTAR_CHECK(!members.empty(), "an ensemble needs at least one member");
  Predictions p;
  p.rows = members[0].rows;
  const int64_t n = static_cast<int64_t>(p.rows.size()), c = data.n_classes();
  p.probabilities.assign(static_cast<size_t>(n * c), 0.0f);
  for (const auto& m : members) {
    VARSTAR_CHECK(m.rows == p.rows && m.probabilities.size() == p.probabilities.size(),
                  "ensemble members predicted different rows");
    for (size_t i = 0; i < p.probabilities.size(); ++i)
      p.probabilities[i] += m.probabilities[i] / static_cast<float>(members.size());
  }
  double loss_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* pi = p.probabilities.data() + i * c;
    p.predicted.push_back(static_cast<int32_t>(std::max_element(pi, pi + c) - pi));
    if (with_loss) loss_sum -= std::log(std::max(static_cast<double>(pi[data.labels.at(p.rows[i])]), 1e-30));
  }
  p.loss = with_loss && n > 0 ? loss_sum / static_cast<double>(n) : 0.0;
  return p;
}

FoldOutcome combine_members(const std::vector<FoldOutcome>& members, const Dataset& data) {
  VARSTAR_CHECK(!members.empty(), "an ensemble needs at least one member");
  FoldOutcome out;
  out.fold = members[0].fold;
  out.history = members[0].history;
  out.best_epoch = members[0].best_epoch;
  std::vector<Predictions> parts;
  for (const auto& m : members) {
    parts.push_back(m.test_predictions);
    out.seconds += m.seconds;
    out.resumed = out.resumed || m.resumed;
    out.member_accuracy.push_back(m.test.accuracy);
  }
  out.test_predictions = average_predictions(parts, data, true);
  out.test = report_on(out.test_predictions, data);
  return out;
}

std::vector<int64_t> epoch_permutation(const std::vector<int64_t>& rows, uint64_t seed, int fold, int epoch) {
  std::vector<int64_t> p = rows;
  // Fisher-Yates on the Philox stream of (seed, fold, epoch).
  const uint64_t stream = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(fold) * 0x100000001B3ull +
                          static_cast<uint64_t>(epoch);
  for (int64_t i = static_cast<int64_t>(p.size()) - 1; i > 0; --i) {
    const uint64_t r = (static_cast<uint64_t>(philox_u32(stream, 2 * i)) << 32) | philox_u32(stream, 2 * i + 1);
    std::swap(p[i], p[r % static_cast<uint64_t>(i + 1)]);
  }
  return p;
}

Predictions predict(models::Model& model, const Dataset& data, const std::vector<int64_t>& rows, Device device,
                    bool with_loss) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Predictions out;
  out.rows = rows;
  const int64_t n = static_cast<int64_t>(rows.size()), c = data.n_classes();
  out.probabilities.resize(static_cast<size_t>(n * c));
  out.predicted.resize(n);
  double loss_sum = 0;
  constexpr int64_t kEvalBatch = 256;
  for (int64_t b = 0; b < n; b += kEvalBatch) {
    const int64_t e = std::min(n, b + kEvalBatch);
    Batch batch = load_batch(data, rows, b, e);
    const Tensor logits = model.forward(batch.x.to(device));
    const std::vector<float> logp = log_softmax(logits).to_vector<float>();
    if (with_loss) loss_sum += cross_entropy(logits, batch.y.to(device)).item() * static_cast<double>(e - b);
    for (int64_t i = b; i < e; ++i) {
      int32_t best = 0;
      for (int64_t k = 0; k < c; ++k) {
        const float lp = logp[(i - b) * c + k];
        out.probabilities[i * c + k] = std::exp(lp);
        if (lp > logp[(i - b) * c + best]) best = static_cast<int32_t>(k);
      }
      out.predicted[i] = best;
    }
  }
  out.loss = n > 0 ? loss_sum / static_cast<double>(n) : 0.0;
  model.train(was_training);
  return out;
}

FoldOutcome train_fold(const TrainConfig& config, const Dataset& data, const FoldJob& job, Progress& progress,
                       std::unique_ptr<models::Model>* trained) {
  data.validate();
  // validate() has checked every label: on CUDA, no host read of the targets per step.
  const CrossEntropyTargetCheckScope unchecked_targets(false);
  VARSTAR_CHECK(config.epochs >= 1 && config.batch >= 1, "training needs epochs >= 1 and batch >= 1");
  VARSTAR_CHECK(config.lr > 0 && config.weight_decay >= 0, "training needs lr > 0 and weight_decay >= 0, got {} and {}",
                config.lr, config.weight_decay);
  VARSTAR_CHECK(!job.train_rows.empty(), "fold {}: no training rows", job.fold + 1);
  VARSTAR_CHECK(config.patience == 0 || config.validation_fraction > 0,
                "early stopping (--patience) needs a validation split (--validation-fraction)");
  std::string note;
  const Device device = resolve_device(config.device, &note);
  if (!note.empty()) progress.message_once("varstar: " + note);
  set_num_threads(job.threads > 0 ? job.threads : config.threads);
  if (device.is_cuda()) cuda::set_allow_tf32(config.tf32);
  if (device.is_cuda() && config.reproducible) cuda::set_conv_timing(false);

  FoldOutcome outcome;
  outcome.fold = job.fold;
  const auto t_start = Clock::now();

  std::vector<int64_t> fit, val;
  if (config.validation_fraction > 0) {
    split_validation(data, job.train_rows, config.validation_fraction, config.seed, job.fold, fit, val);
  } else {
    fit = job.train_rows;
  }
  Tensor class_weights;
  if (config.class_weights) {
    std::vector<int32_t> fit_labels;
    for (int64_t r : fit) fit_labels.push_back(data.labels[r]);
    const auto w = data::balanced_class_weights(data::class_counts(fit_labels, data.n_classes()));
    class_weights = Tensor::from_vector(std::vector<float>(w.begin(), w.end()), {data.n_classes()}).to(device);
  }

  auto model = models::make_model(
      config.model, models::config_for_input(config.model, data.sample_shape, data.n_classes(), config.seed + job.fold));
  model->to(device);
  model->train();
  auto optimizer = make_optimizer(config, *model);

  int start_epoch = 1;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int best_epoch = 0, bad_epochs = 0;
  const std::string ckpt = job.checkpoint_dir.empty() ? "" : job.checkpoint_dir + "/last.safetensors";
  const std::string best_path = job.checkpoint_dir.empty() ? "" : job.checkpoint_dir + "/best.safetensors";
  std::vector<std::pair<std::string, Tensor>> best_state;  // early stopping: weights of the best epoch
  if (!ckpt.empty()) std::filesystem::create_directories(job.checkpoint_dir);
  if (job.resume && !ckpt.empty() && std::filesystem::exists(ckpt)) {
    const nlohmann::json d = load_training_checkpoint(ckpt, *model, *optimizer);
    try {
      if (d.at("config") != config.to_json())
        throw DataError(ckpt, 0, "",
                        fmt::format("was written with another configuration:\n  checkpoint {}\n  this run   {}",
                                    d.at("config").dump(), config.to_json().dump()));
      const int saved_fold = json_integer<int>(d.at("fold"));
      VARSTAR_CHECK(saved_fold == job.fold, "{}: checkpoint of fold {}, expected fold {}", ckpt, saved_fold + 1,
                    job.fold + 1);
      for (const auto& r : d.at("history")) outcome.history.push_back(EpochRecord::from_json(r));
      start_epoch = json_integer<int>(d.at("epochs_done")) + 1;
      best_val_loss = d.at("best_val_loss").is_null() ? std::numeric_limits<double>::infinity()
                                                      : d.at("best_val_loss").get<double>();
      best_epoch = json_integer<int>(d.at("best_epoch"));
      bad_epochs = json_integer<int>(d.at("bad_epochs"));
      if (Generator* g = model->dropout_generator())
        g->set_state(json_integer<uint64_t>(d.at("dropout_seed")), json_integer<uint64_t>(d.at("dropout_offset")));
    } catch (const nlohmann::json::exception& e) {
      throw DataError(ckpt, 0, "",
                      fmt::format("has a corrupt description ({}); delete it to restart the fold", e.what()));
    }
    if (best_epoch > 0 && config.patience > 0 && std::filesystem::exists(best_path)) {
      LoadedModel best = load_model_file(best_path);
      best_state = best.model->state();
    }
    outcome.resumed = true;
    progress.message(fmt::format("fold {}: resuming after epoch {} from {}", job.fold + 1, start_epoch - 1, ckpt));
  }

  const int64_t n_fit = static_cast<int64_t>(fit.size());
  const int64_t batches = (n_fit + config.batch - 1) / config.batch;
  static std::atomic<int64_t> steps_done{0};  // every fold's steps in this process (maybe_kill)
  int64_t profiled_steps = 0;
  const bool use_graph =
      config.cuda_graph && device.is_cuda() && config.optimizer != "sgd" && !profiler::enabled();
  // One capture for the run: the graphed step reads its batch from these
  // tensors, and Adam reads the learning rate of the moment from the device.
  std::unique_ptr<GraphedStep> graphed;
  Tensor x_static, y_static, logits_static;
  // Full batches reach the device through the uploader: batch b+1 copies on
  // a second stream while step b computes. A smaller last batch is copied directly.
  std::unique_ptr<BatchUploader> uploader;
  const auto uploaded = [&](const Batch& h) { return h.y.numel() == config.batch; };
  const auto submit = [&](const Batch& h) {
    if (!uploaded(h)) return;
    if (!uploader)
      uploader = std::make_unique<BatchUploader>(
          BatchUploader::Layout{{h.x.shape(), h.x.dtype()}, {h.y.shape(), h.y.dtype()}}, device);
    uploader->submit({h.x, h.y});
  };
  if (use_graph) {
    graphed = std::make_unique<GraphedStep>(device, [&] {
      optimizer->zero_grad();
      logits_static = model->forward(x_static);
      Tensor loss = cross_entropy(logits_static, y_static, class_weights);
      loss.backward();
      optimizer->step();
      return loss;
    });
  }
  bool stop = false;
  for (int epoch = start_epoch; epoch <= config.epochs && !stop; ++epoch) {
    const auto t_epoch = Clock::now();
    const double lr = scheduled_lr(config, epoch, batches - 1, batches);  // its last step's
    const bool warming_up = epoch <= config.lr_warmup;
    optimizer->set_lr(lr);
    model->train();
    const std::vector<int64_t> order = epoch_permutation(fit, config.seed, job.fold, epoch);
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    std::vector<PendingStep> pending;
    const size_t read_every = device.is_cuda() ? 8 : 1;
    auto read_pending = [&] {
      for (const PendingStep& p : pending) {
        const int64_t count = p.labels.numel();
        loss_sum += p.loss.item() * static_cast<double>(count);
        const std::vector<float> l = p.logits.to_vector<float>();
        const std::vector<int32_t> t = p.labels.to_vector<int32_t>();
        const int64_t c = data.n_classes();
        for (int64_t i = 0; i < count; ++i)
          correct += std::max_element(l.begin() + i * c, l.begin() + (i + 1) * c) - (l.begin() + i * c) == t[i];
        seen += count;
        const double elapsed = std::chrono::duration<double>(Clock::now() - t_epoch).count();
        ProgressState st;
        st.fold = job.fold + 1;
        st.folds = job.folds;
        st.epoch = epoch;
        st.epochs = config.epochs;
        st.batch = p.batch_index + 1;
        st.batches = batches;
        st.loss = loss_sum / static_cast<double>(seen);
        st.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
        st.samples_per_s = static_cast<double>(seen) / std::max(elapsed, 1e-9);
        st.eta_seconds = elapsed / static_cast<double>(seen) *
                         (static_cast<double>(n_fit) * (config.epochs - epoch + 1) - static_cast<double>(seen));
        progress.update(st);
      }
      pending.clear();
    };
    // While step b runs, the loader thread gathers batch b+1; then b+1 is
    // submitted (on CUDA it uploads while the GPU still runs step b).
    const auto load = [&](int64_t b) {
      const int64_t begin = b * config.batch;
      return std::async(std::launch::async, load_batch, std::cref(data), std::cref(order), begin,
                        std::min(n_fit, begin + config.batch));
    };
    Batch upcoming = load(0).get();
    std::future<Batch> next;
    if (batches > 1) next = load(1);
    submit(upcoming);
    for (int64_t b = 0; b < batches; ++b) {
      const Batch batch = std::move(upcoming);
      Tensor x, y;
      if (uploaded(batch)) {
        const std::vector<Tensor> on_device = uploader->next();
        x = on_device[0];
        y = on_device[1];
      } else {
        x = batch.x.to(device);
        y = batch.y.to(device);
      }
      Tensor logits, loss;
      if (warming_up) optimizer->set_lr(scheduled_lr(config, epoch, b, batches));
      if (graphed && uploaded(batch)) {
        {
          NoGradGuard no_grad;
          if (!x_static.defined()) {
            x_static = x.clone();  // the uploader's tensors are reused
            y_static = y.clone();
          } else {
            x_static.copy_(x);
            y_static.copy_(y);
          }
        }
        const bool capturing = graphed->captures_next();
        try {
          loss = graphed->run();
          logits = logits_static;
        } catch (const Error& e) {
          if (!capturing) throw;  // an eager warm-up step or a replay ran work: not retried
          // A failed capture ran nothing: this batch trains eagerly below, and so do the rest.
          progress.message(fmt::format("varstar: CUDA graph capture failed ({}); training eagerly", e.what()), true);
          graphed.reset();
        }
      }
      if (!loss.defined()) {
        std::optional<profiler::StepGuard> profiled;
        if (profiler::enabled()) profiled.emplace(fmt::format("fold {} epoch {} step {}", job.fold + 1, epoch, b + 1));
        optimizer->zero_grad();
        logits = model->forward(x);
        loss = cross_entropy(logits, y, class_weights);
        loss.backward();
        optimizer->step();
      }
      if (profiler::enabled() && config.profile_steps > 0 && ++profiled_steps >= config.profile_steps) {
        if (next.valid()) next.wait();  // the loader thread records nothing while the profile is read
        profiler::stop();
      }
      maybe_kill(++steps_done);
      {
        NoGradGuard no_grad;
        // Copies: a replay rewrites the graph's own loss and logits.
        pending.push_back({loss.detach().clone(), logits.detach().clone(), batch.y, b});
      }
      if (b + 1 < batches) {
        upcoming = next.get();
        if (b + 2 < batches) next = load(b + 2);
        submit(upcoming);  // copies while step b computes
      }
      if (pending.size() >= read_every || b + 1 == batches) read_pending();
    }
    EpochRecord rec;
    rec.epoch = epoch;
    rec.lr = lr;
    rec.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(seen, 1));
    rec.train_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1));
    const double train_seconds = std::chrono::duration<double>(Clock::now() - t_epoch).count();
    rec.samples_per_s = static_cast<double>(seen) / std::max(train_seconds, 1e-9);
    if (!val.empty()) {
      const Predictions p = predict(*model, data, val, device, true);
      rec.val_loss = p.loss;
      int64_t ok = 0;
      for (size_t i = 0; i < val.size(); ++i) ok += p.predicted[i] == data.labels[val[i]];
      rec.val_accuracy = static_cast<double>(ok) / static_cast<double>(val.size());
    }
    if (!job.test_rows.empty()) {
      const Predictions p = predict(*model, data, job.test_rows, device, true);
      rec.test_loss = p.loss;
      int64_t ok = 0;
      for (size_t i = 0; i < job.test_rows.size(); ++i) ok += p.predicted[i] == data.labels[job.test_rows[i]];
      rec.test_accuracy = static_cast<double>(ok) / static_cast<double>(job.test_rows.size());
    }
    rec.seconds = std::chrono::duration<double>(Clock::now() - t_epoch).count();
    outcome.history.push_back(rec);

    if (config.patience > 0) {
      if (rec.val_loss < best_val_loss) {
        best_val_loss = rec.val_loss;
        best_epoch = epoch;
        bad_epochs = 0;
        best_state.clear();
        for (const auto& [name, t] : model->state()) best_state.emplace_back(name, t.detach().clone());
        if (!best_path.empty()) save_model_file(best_path, *model, {{"epoch", epoch}});
      } else if (++bad_epochs >= config.patience) {
        stop = true;
        progress.message(fmt::format("fold {}: early stop after epoch {} (best validation loss {:.4f} at epoch {})",
                                     job.fold + 1, epoch, best_val_loss, best_epoch));
      }
    } else {
      best_epoch = epoch;
    }
    if (!ckpt.empty()) {
      const Generator* g = model->dropout_generator();
      save_training_checkpoint(ckpt, *model, *optimizer,
                               {{"fold", job.fold},
                                {"epochs_done", epoch},
                                {"config", config.to_json()},
                                {"history", history_json(outcome.history)},
                                {"best_val_loss", std::isfinite(best_val_loss) ? nlohmann::json(best_val_loss)
                                                                               : nlohmann::json(nullptr)},
                                {"best_epoch", best_epoch},
                                {"bad_epochs", bad_epochs},
                                {"dropout_seed", g ? g->seed() : 0},
                                {"dropout_offset", g ? g->offset() : 0}});
    }
    ProgressState s;
    s.fold = job.fold + 1;
    s.folds = job.folds;
    s.epoch = epoch;
    s.epochs = config.epochs;
    s.loss = rec.train_loss;
    s.accuracy = rec.train_accuracy;
    s.samples_per_s = rec.samples_per_s;
    nlohmann::json j = rec.to_json();
    j["fold"] = job.fold + 1;
    progress.epoch_done(s, j);
    if (rec.test_accuracy >= 0 && progress.mode() != ProgressMode::json)
      progress.message(fmt::format("  test loss {:.4f}  test acc {:.1f}%{}", rec.test_loss, 100 * rec.test_accuracy,
                                   rec.val_loss >= 0 ? fmt::format("  val loss {:.4f}", rec.val_loss) : ""));
  }

  graphed.reset();  // its memory pool, before the final predictions
  uploader.reset();
  if (config.patience > 0 && !best_state.empty()) {
    NoGradGuard no_grad;
    auto current = model->state();
    for (size_t i = 0; i < current.size(); ++i) current[i].second.copy_(best_state[i].second.to(device));
  }
  outcome.best_epoch = best_epoch;
  if (!job.test_rows.empty()) {
    outcome.test_predictions = predict(*model, data, job.test_rows, device, true);
    outcome.test = report_on(outcome.test_predictions, data);
  }
  if (!job.checkpoint_dir.empty())
    save_model_file(job.checkpoint_dir + "/model.safetensors", *model,
                    {{"classes", data.class_names}, {"representation", data.description},
                     {"config", config.to_json()}, {"fold", job.fold}, {"epochs", outcome.history.size()}});
  outcome.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  if (trained) *trained = std::move(model);
  return outcome;
}

}  // namespace varstar::train
