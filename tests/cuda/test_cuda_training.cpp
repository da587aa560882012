// The training loop on CUDA: a fold trained with --cuda-graph (the full
// batches replayed from one captured step, the smaller last batch eager)
// ends with the same weights and per-epoch losses as the same fold trained
// eagerly on the GPU, and really replayed graphs; also for a network with
// dropout. Each step trains on its own batch from the uploader, as a loop
// written out by hand. Label cuda: skipped without a GPU.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/cuda_backend.h"
#include "engine/random.h"
#include "data/folds.h"
#include "tests/train/hand_loop.h"
#include "train/progress.h"
#include "train/run.h"
#include "train/trainer.h"

namespace {

// The same kernels on the same data in both runs: only the order of a few
// floating-point sums may differ between a replay and an eager launch.
constexpr double kWeightRelTolerance = 1e-4;
constexpr double kWeightAbsTolerance = 1e-6;
constexpr double kLossRelTolerance = 1e-4;

// 80 stars of two alternating classes, 4 of every 5 train: 64 rows = 4
// batches of 16 (graphed). Value k of a sample: shape(label, k) + noise.
varstar::train::Dataset two_classes(const std::string& name, const std::vector<std::string>& classes,
                                    const varstar::Shape& sample, double noise,
                                    const std::function<double(int32_t, int64_t)>& shape) {
  varstar::Generator gen(3);
  std::vector<std::string> ids;
  std::vector<int32_t> labels;
  std::vector<float> values;
  const int64_t size = varstar::shape_numel(sample);
  for (int i = 0; i < 80; ++i) {
    const int32_t label = i % 2;
    for (int64_t k = 0; k < size; ++k)
      values.push_back(static_cast<float>(shape(label, k) + noise * gen.next_uniform()));
    ids.push_back(fmt::format("s{}", i));
    labels.push_back(label);
  }
  return varstar::train::make_dataset(name, ids, labels, classes, sample, values);
}

// 40-point sequences: rising and falling ramps.
varstar::train::Dataset ramps() {
  return two_classes("ramps", {"up", "down"}, {1, 40}, 0.4, [](int32_t label, int64_t t) {
    const double ramp = static_cast<double>(t) / 40;
    return label == 0 ? ramp : 1 - ramp;
  });
}

// 20 x 20 images, bright top or bottom half: for a network with dropout (cnn2d-scripts).
varstar::train::Dataset halves() {
  return two_classes("halves", {"top", "bottom"}, {1, 20, 20}, 0.5,
                     [](int32_t label, int64_t k) { return (k / 20 < 10) == (label == 0) ? 1.0 : 0.0; });
}

varstar::train::TrainConfig config(bool graph, int64_t batch, const std::string& network) {
  varstar::train::TrainConfig c;
  c.model = network;
  c.epochs = 3;
  c.batch = batch;
  c.lr = 1e-3;
  c.lr_schedule = "cosine";  // a new rate each epoch, and
  c.lr_warmup = 1;           // each step of the first: set between replays
  c.class_weights = true;
  c.device = "cuda";
  c.cuda_graph = graph;
  return c;
}

// 4 of every 5 stars train.
varstar::train::FoldJob fold_job() {
  varstar::train::FoldJob job;
  for (int64_t i = 0; i < 80; ++i) (i % 5 == 0 ? job.test_rows : job.train_rows).push_back(i);
  return job;
}

varstar::train::FoldOutcome train(bool graph, std::unique_ptr<varstar::models::Model>* model, int64_t batch = 16,
                                  const std::string& network = "cnn-lstm") {
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  return varstar::train::train_fold(config(graph, batch, network), network == "cnn-lstm" ? ramps() : halves(),
                                    fold_job(), quiet, model);
}

void check_same(const varstar::models::Model& a, const varstar::models::Model& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    const std::vector<float> x = pa[i].second.to_vector<float>(), y = pb[i].second.to_vector<float>();
    REQUIRE(x.size() == y.size());
    double worst = 0;
    for (size_t k = 0; k < x.size(); ++k)
      worst = std::max(worst, std::abs(x[k] - y[k]) - kWeightRelTolerance * std::abs(y[k]) - kWeightAbsTolerance);
    INFO(pa[i].first);
    CHECK(worst <= 0);
  }
}

}  // namespace

std::string varstar_test_skip_reason() {
  if (!varstar::cuda_available()) return varstar::cuda::unavailable_reason();
  return "";
}

TEST_CASE("a fold trained from CUDA graphs equals the same fold trained eagerly") {
  std::unique_ptr<varstar::models::Model> eager, graphed;
  const auto e = train(false, &eager);
  const uint64_t before = varstar::cuda::graph_epoch();
  const auto g = train(true, &graphed);
  // 3 epochs x 4 full batches, the first epoch's 2 eager warm-up steps
  // excepted: at least 10 captures or replays.
  CHECK(varstar::cuda::graph_epoch() - before >= 10);
  REQUIRE(e.history.size() == g.history.size());
  for (size_t i = 0; i < e.history.size(); ++i)
    CHECK(g.history[i].train_loss == doctest::Approx(e.history[i].train_loss).epsilon(kLossRelTolerance));
  check_same(*eager, *graphed);
}

TEST_CASE("on CUDA each step trains on its own uploaded batch, eagerly and from graphs, as a hand-written loop") {
  // 64 training rows in batches of 12: five full batches through the uploader (each slot
  // reused within an epoch), one of 4 copied directly.
  const auto by_hand = varstar::test::hand_trained(config(false, 12, "cnn-lstm"), ramps(), fold_job(),
                                                   varstar::Device::cuda(0));
  for (const bool graph : {false, true}) {
    CAPTURE(graph);
    std::unique_ptr<varstar::models::Model> trained;
    train(graph, &trained, 12);
    check_same(*trained, *by_hand);
  }
}

TEST_CASE("a network with dropout (cnn2d-scripts) trained from CUDA graphs equals the same fold trained eagerly") {
  std::unique_ptr<varstar::models::Model> eager, graphed;
  const auto e = train(false, &eager, 16, "cnn2d-scripts");
  const uint64_t before = varstar::cuda::graph_epoch();
  const auto g = train(true, &graphed, 16, "cnn2d-scripts");
  CHECK(varstar::cuda::graph_epoch() - before >= 10);  // captured, not refused
  REQUIRE(e.history.size() == g.history.size());
  for (size_t i = 0; i < e.history.size(); ++i)
    CHECK(g.history[i].train_loss == doctest::Approx(e.history[i].train_loss).epsilon(kLossRelTolerance));
  check_same(*eager, *graphed);
  REQUIRE(eager->dropout_generator() != nullptr);
  CHECK(graphed->dropout_generator()->offset() == eager->dropout_generator()->offset());
}

TEST_CASE("with --cuda-graph, a batch size that leaves no full batch trains eagerly") {
  std::unique_ptr<varstar::models::Model> eager, graphed;
  train(false, &eager, 128);
  const uint64_t before = varstar::cuda::graph_epoch();
  train(true, &graphed, 128);
  CHECK(varstar::cuda::graph_epoch() == before);
  check_same(*eager, *graphed);
}

TEST_CASE("cross-validation with three networks at once on CUDA (graphs captured concurrently) equals one at a time") {
  const varstar::train::Dataset data = ramps();
  const auto folds = varstar::data::kfold(data.size(), 3, true, 42);
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const std::string root = fmt::format("{}/varstar_cuda_jobs_{}", std::filesystem::temp_directory_path().string(), getpid());
  std::filesystem::remove_all(root);
  const auto run = [&](int jobs) {
    varstar::train::RunOptions o;
    o.train.model = "cnn-lstm";
    o.train.epochs = 3;
    o.train.batch = 16;
    o.train.lr = 1e-3;
    o.train.lr_schedule = "cosine";
    o.train.device = "cuda";
    o.train.cuda_graph = true;
    o.train.ensemble = 2;
    o.jobs = jobs;
    o.out_dir = fmt::format("{}/jobs{}", root, jobs);
    o.write_report = false;
    return varstar::train::cross_validate(o, folds, [&](int) -> const varstar::train::Dataset& { return data; }, quiet);
  };
  const auto one = run(1), three = run(3);
  REQUIRE(three.folds.size() == 3);
  for (size_t k = 0; k < 3; ++k) {
    CAPTURE(k);
    REQUIRE(three.folds[k].history.size() == one.folds[k].history.size());
    for (size_t e = 0; e < one.folds[k].history.size(); ++e)
      CHECK(three.folds[k].history[e].train_loss ==
            doctest::Approx(one.folds[k].history[e].train_loss).epsilon(kLossRelTolerance));
    const auto& p1 = one.folds[k].test_predictions.probabilities;
    const auto& p3 = three.folds[k].test_predictions.probabilities;
    REQUIRE(p1.size() == p3.size());
    for (size_t i = 0; i < p1.size(); ++i) CHECK(p3[i] == doctest::Approx(p1[i]).epsilon(kLossRelTolerance));
  }
  std::filesystem::remove_all(root);
}

// Last in this file: --reproducible turns the timing off for the rest of the process (restored here).
TEST_CASE("--reproducible: convolution algorithms come from cuDNN's heuristics, and no candidate is timed") {
  if (!varstar::cuda::use_cudnn()) {
    MESSAGE("skipped: cuDNN is off or not built in (the GEMM path runs, with nothing to choose)");
    return;
  }
  const bool timing_was = varstar::cuda::conv_timing();
  auto c = config(false, 20, "cnn-lstm");  // batches of 20 and 4: shapes no earlier case chose for
  c.reproducible = true;
  const int64_t searches = varstar::cuda::conv_timed_searches();
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  std::unique_ptr<varstar::models::Model> model;
  const auto outcome = varstar::train::train_fold(c, ramps(), fold_job(), quiet, &model);
  CHECK_FALSE(varstar::cuda::conv_timing());
  CHECK(varstar::cuda::conv_timed_searches() == searches);
  CHECK(std::isfinite(outcome.history.back().train_loss));
  varstar::cuda::set_conv_timing(timing_was);
}
