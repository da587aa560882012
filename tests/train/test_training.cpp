// Training: loss falls, CPU runs are deterministic for a seed, a run killed
// mid-epoch and resumed ends with the same weights as one never interrupted,
// and a saved model predicts as the trained one did.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include "engine/random.h"
#include "engine/safetensors.h"
#include "train/checkpoint.h"
#include "train/prepared.h"
#include "tests/train/hand_loop.h"
#include "tests/train/simulated_set.h"
#include "train/report.h"
#include "train/run.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using varstar::train::Dataset;

namespace {

// Three classes of 24-point sequences: a sine, a sawtooth and a box, with
// random phase and noise. 30 stars per class.
Dataset toy_data() {
  varstar::Generator gen(5);
  std::vector<std::string> ids;
  std::vector<int32_t> labels;
  std::vector<float> values;
  const int L = 24;
  for (int i = 0; i < 90; ++i) {
    const int32_t c = i % 3;
    const double phase = gen.next_uniform();
    for (int t = 0; t < L; ++t) {
      const double x = std::fmod(t / 8.0 + phase, 1.0);
      double v = c == 0 ? std::sin(2 * M_PI * x) : c == 1 ? 2 * x - 1 : (x < 0.5 ? 1.0 : -1.0);
      v += 0.3 * (gen.next_uniform() - 0.5);
      values.push_back(static_cast<float>(v));
    }
    ids.push_back("star" + std::to_string(i));
    labels.push_back(c);
  }
  return varstar::train::make_dataset("toy sequences", ids, labels, {"sine", "saw", "box"}, {1, L}, values);
}

varstar::train::TrainConfig toy_config(int epochs) {
  varstar::train::TrainConfig c;
  c.model = "cnn-lstm";
  c.epochs = epochs;
  c.batch = 16;
  c.lr = 5e-4;
  c.seed = 11;
  c.threads = 2;
  return c;
}

varstar::train::FoldJob toy_job(const std::string& dir, bool resume) {
  varstar::train::FoldJob job;
  for (int64_t i = 0; i < 90; ++i) (i % 5 == 0 ? job.test_rows : job.train_rows).push_back(i);
  job.checkpoint_dir = dir;
  job.resume = resume;
  return job;
}

std::vector<std::vector<float>> weights(const varstar::models::Model& m) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.named_parameters()) out.push_back(t.to_vector<float>());
  return out;
}

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / fmt::format("varstar_{}_{}", name, getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST_CASE("the training loss falls and the model learns the toy classes") {
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const auto outcome = varstar::train::train_fold(toy_config(20), toy_data(), toy_job("", false), quiet);
  REQUIRE(outcome.history.size() == 20);
  CHECK(outcome.history.back().train_loss < 0.5 * outcome.history.front().train_loss);
  CHECK(outcome.test.accuracy > 0.8);  // chance is 1/3
}

TEST_CASE("training on the CPU is deterministic for a seed") {
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  std::unique_ptr<varstar::models::Model> a, b;
  varstar::train::train_fold(toy_config(2), toy_data(), toy_job("", false), quiet, &a);
  varstar::train::train_fold(toy_config(2), toy_data(), toy_job("", false), quiet, &b);
  CHECK(weights(*a) == weights(*b));
}

TEST_CASE("each step trains on its own batch of the epoch's permutation at its own rate, the last batch smaller") {
  // 72 training rows in batches of 16: four full batches through the uploader, one of 8 copied directly.
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const auto data = toy_data();
  const auto job = toy_job("", false);
  auto config = toy_config(3);
  for (const bool scheduled : {false, true}) {
    CAPTURE(scheduled);
    if (scheduled) {  // a new rate each epoch, and each step of the first; a weighted loss
      config.lr_schedule = "cosine";
      config.lr_warmup = 1;
      config.class_weights = true;
    }
    std::unique_ptr<varstar::models::Model> trained;
    varstar::train::train_fold(config, data, job, quiet, &trained);
    const auto by_hand = varstar::test::hand_trained(config, data, job, varstar::Device::cpu());
    CHECK(weights(*trained) == weights(*by_hand));
  }
}

// Runs only as the child process of the kill-and-resume test.
TEST_CASE("child: train until killed") {
  const char* dir = std::getenv("VARSTAR_TEST_CHILD_DIR");
  if (dir == nullptr) return;
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  auto config = toy_config(4);
  config.lr_warmup = std::atoi(std::getenv("VARSTAR_TEST_CHILD_WARMUP"));
  varstar::train::train_fold(config, toy_data(), toy_job(dir, false), quiet);
  FAIL("the child should have been killed");
}

TEST_CASE("a run killed mid-epoch and resumed ends with the same weights as an uninterrupted one") {
  for (const int warmup : {0, 3}) {  // 3: killed while the learning rate still warms up
    CAPTURE(warmup);
    auto config = toy_config(4);
    config.lr_warmup = warmup;
    const fs::path dir = temp_dir("resume");
    // 72 training rows in batches of 16: 5 steps per epoch; step 13 is inside epoch 3.
    const std::string cmd = fmt::format(
        "VARSTAR_TEST_KILL_AFTER_STEPS=13 VARSTAR_TEST_CHILD_DIR='{}' VARSTAR_TEST_CHILD_WARMUP={} /proc/{}/exe "
        "-tc='child: train until killed' >/dev/null 2>&1", dir.string(), warmup, getpid());
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFSIGNALED(status) == false);  // the shell reports the child's SIGKILL as exit status 128 + 9
    CHECK(WEXITSTATUS(status) == 128 + SIGKILL);
    REQUIRE(fs::exists(dir / "last.safetensors"));
    CHECK_FALSE(fs::exists(dir / "model.safetensors"));

    varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
    std::unique_ptr<varstar::models::Model> resumed, straight;
    const auto r = varstar::train::train_fold(config, toy_data(), toy_job(dir.string(), true), quiet, &resumed);
    CHECK(r.resumed);
    REQUIRE(r.history.size() == 4);
    varstar::train::train_fold(config, toy_data(), toy_job("", false), quiet, &straight);
    CHECK(weights(*resumed) == weights(*straight));
    fs::remove_all(dir);
  }
}

TEST_CASE("a saved model predicts stars it never saw exactly as the trained model did") {
  const fs::path dir = temp_dir("model");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset data = toy_data();
  const auto outcome = varstar::train::train_fold(toy_config(3), data, toy_job(dir.string(), false), quiet);
  auto loaded = varstar::train::load_model_file((dir / "model.safetensors").string());
  CHECK(loaded.description.at("classes").get<std::vector<std::string>>() == data.class_names);
  const auto p = varstar::train::predict(*loaded.model, data, outcome.test_predictions.rows, varstar::Device::cpu(), true);
  CHECK(p.predicted == outcome.test_predictions.predicted);
  CHECK(p.probabilities == outcome.test_predictions.probabilities);
  fs::remove_all(dir);
}

TEST_CASE("a corrupt or mismatched checkpoint is a clear error") {
  const fs::path dir = temp_dir("corrupt");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  varstar::train::train_fold(toy_config(1), toy_data(), toy_job(dir.string(), false), quiet);
  {  // truncate the checkpoint
    const auto size = fs::file_size(dir / "last.safetensors");
    fs::resize_file(dir / "last.safetensors", size / 2);
  }
  CHECK_THROWS_WITH_AS(varstar::train::train_fold(toy_config(2), toy_data(), toy_job(dir.string(), true), quiet),
                       doctest::Contains("last.safetensors"), varstar::DataError);
  varstar::train::train_fold(toy_config(1), toy_data(), toy_job(dir.string(), false), quiet);
  auto other = toy_config(2);
  other.lr = 1e-3;  // another configuration
  CHECK_THROWS_WITH_AS(varstar::train::train_fold(other, toy_data(), toy_job(dir.string(), true), quiet),
                       doctest::Contains("another configuration"), varstar::DataError);
  {  // a fractional epoch count in the description
    const std::string last = (dir / "last.safetensors").string();
    varstar::SafetensorsContents file = varstar::load_safetensors(last);
    nlohmann::json d = nlohmann::json::parse(file.metadata.at("varstar_checkpoint"));
    d["epochs_done"] = 1.5;
    file.metadata["varstar_checkpoint"] = d.dump();
    varstar::save_safetensors(last, file.tensors, file.metadata);
  }
  CHECK_THROWS_WITH_AS(varstar::train::train_fold(toy_config(1), toy_data(), toy_job(dir.string(), true), quiet),
                       doctest::Contains("last.safetensors: has a corrupt description"), varstar::DataError);
  fs::remove_all(dir);
}

TEST_CASE("a model file whose description cannot be built is a clear error naming the file") {
  const fs::path dir = temp_dir("crafted");
  // The tensors of a real two-class cnn-lstm, so that only the description is wrong.
  varstar::models::ModelConfig two_classes;
  two_classes.num_classes = 2;
  const auto state = varstar::models::make_model("cnn-lstm", two_classes)->state();
  struct Case {
    const char* what;
    const char* description;
    const char* reason;
  };
  const Case cases[] = {
      {"more classes than names (an output layer of 10^12)",
       R"({"model": "cnn-lstm", "sample_shape": [1, 359], "num_classes": 1000000000000, "classes": ["a", "b"]})",
       "1000000000000 classes for 2 class names"},
      {"more classes than the stored output layer, without names (a best-epoch file)",
       R"({"model": "cnn-lstm", "sample_shape": [1, 359], "num_classes": 1000000000000})",
       "describes a cnn-lstm network of 513000001355648 parameters, the file stores 1356674 values"},
      {"an image larger than the stored dense layer",
       R"({"model": "cnn2d", "sample_shape": [1, 100000, 100000], "num_classes": 2})", "describes a cnn2d network"},
      {"class names that are not strings",
       R"({"model": "cnn-lstm", "sample_shape": [1, 359], "num_classes": 2, "classes": [1, 2]})", "corrupt description"},
      {"an unknown network", R"({"model": "nope", "sample_shape": [1, 359], "num_classes": 2, "classes": ["a", "b"]})",
       "unknown model 'nope'"},
      {"a sequence too short for the network",
       R"({"model": "cnn-lstm", "sample_shape": [1, 3], "num_classes": 2, "classes": ["a", "b"]})", "cannot be built"},
      {"a dimension past any integer (a float-to-integer cast would be undefined)",
       R"({"model": "cnn-lstm", "sample_shape": [1, 3.3e79], "num_classes": 2, "classes": ["a", "b"]})",
       "expected an integer"},
      {"a fractional class count",
       R"({"model": "cnn-lstm", "sample_shape": [1, 359], "num_classes": 2.5, "classes": ["a", "b"]})",
       "expected an integer"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const std::string path = (dir / "model.safetensors").string();
    varstar::save_safetensors(path, state, {{"varstar_model", c.description}});
    CHECK_THROWS_WITH_AS(varstar::train::load_model_file(path), doctest::Contains(c.reason), varstar::DataError);
    CHECK_THROWS_WITH_AS(varstar::train::load_model_file(path), doctest::Contains(path.c_str()), varstar::DataError);
  }
  // The same tensors under their own description load.
  const std::string path = (dir / "model.safetensors").string();
  varstar::save_safetensors(
      path, state, {{"varstar_model", R"({"model": "cnn-lstm", "sample_shape": [1, 359], "num_classes": 2})"}});
  CHECK(varstar::train::load_model_file(path).model->num_classes() == 2);
  fs::remove_all(dir);
}

TEST_CASE("parameter_count agrees with the networks make_model builds") {
  struct Case {
    const char* name;
    int64_t classes, channels, length, height, width;
  };
  const Case cases[] = {{"cnn-lstm", 5, 0, 0, 0, 0}, {"cnn-lstm", 11, 3, 37, 0, 0},
                        {"cnn2d", 5, 0, 0, 0, 0},    {"cnn2d", 7, 2, 0, 23, 41},
                        {"cnn2d-scripts", 5, 0, 0, 0, 0}, {"cnn2d-scripts", 3, 1, 0, 19, 33}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.height);
    varstar::models::ModelConfig config;
    config.num_classes = c.classes;
    config.in_channels = c.channels;
    config.length = c.length;
    config.height = c.height;
    config.width = c.width;
    int64_t built = 0;
    for (const auto& [name, t] : varstar::models::make_model(c.name, config)->state()) built += t.numel();
    CHECK(varstar::models::parameter_count(c.name, config) == static_cast<double>(built));
  }
}

TEST_CASE("features become constant z-scored channels of sequences and images") {
  // Two images (1, 2, 3) with values 0..5 and 10..15; one feature: 1 and 3 (mean 2, std 1).
  std::vector<float> values(12);
  for (int i = 0; i < 12; ++i) values[i] = static_cast<float>(i < 6 ? i : i + 4);
  auto d = varstar::train::make_dataset("images", {"a", "b"}, {0, 1}, {"x", "y"}, {1, 2, 3}, values);
  const std::vector<float> feature = {1.0f, 3.0f};
  varstar::train::append_feature_channels(d, feature, 1);
  REQUIRE(d.sample_shape == varstar::Shape{2, 2, 3});
  for (int64_t s = 0; s < 2; ++s) {
    for (int p = 0; p < 6; ++p) {
      CHECK(d.sample(s)[p] == values[s * 6 + p]);            // the image, unchanged
      CHECK(d.sample(s)[6 + p] == (s == 0 ? -1.0f : 1.0f));  // the feature plane
    }
  }
  // A sequence set scored with the image set's statistics (as prediction does).
  auto seq = varstar::train::make_dataset("sequence", {"c"}, {0}, {"x", "y"}, {1, 4}, {0, 0, 0, 0});
  seq.description = d.description;
  const std::vector<float> f2 = {4.0f};
  varstar::train::append_feature_channels(seq, f2, 1);
  REQUIRE(seq.sample_shape == varstar::Shape{2, 4});
  for (int p = 0; p < 4; ++p) CHECK(seq.sample(0)[4 + p] == 2.0f);
}

TEST_CASE("quantile edges are NumPy's linear quantiles, each value once") {
  using varstar::train::quantile_edges;
  // np.quantile([3, 1, 4, 1, 5, 9, 2, 6], np.linspace(0, 1, 5))
  CHECK(quantile_edges({3, 1, 4, 1, 5, 9, 2, 6}, 4) == std::vector<double>{1, 1.75, 3.5, 5.25, 9});
  CHECK(quantile_edges({0, 0, 0, 0, 0, 1, 2, 3, 4}, 4) == std::vector<double>{0, 2, 4});  // ties: fewer bins
  CHECK(quantile_edges({7, 7, 7}, 8) == std::vector<double>{7});                           // constant: none
  CHECK_THROWS_AS(quantile_edges({}, 4), varstar::Error);
}

TEST_CASE("the piecewise-linear encoding fills the bins below a value and part of its own") {
  const std::vector<double> edges = {0, 1, 3};
  const auto encode = [&](double z) {
    std::vector<float> out(2);
    varstar::train::piecewise_linear(z, edges, out.data());
    return out;
  };
  CHECK(encode(-1) == std::vector<float>{0, 0});
  CHECK(encode(0.5) == std::vector<float>{0.5f, 0});
  CHECK(encode(2) == std::vector<float>{1, 0.5f});
  CHECK(encode(5) == std::vector<float>{1, 1});
}

TEST_CASE("feature bins add each feature's piecewise-linear channels, with edges that travel to new stars") {
  // Nine sequences (1, 2); feature 0 is 0..8, feature 1 is constant.
  std::vector<std::string> ids;
  std::vector<float> features;
  for (int i = 0; i < 9; ++i) {
    ids.push_back(fmt::format("s{}", i));
    features.insert(features.end(), {static_cast<float>(i), 5.0f});
  }
  auto d = varstar::train::make_dataset("seq", ids, std::vector<int32_t>(9, 0), {"x"}, {1, 2}, std::vector<float>(18, 0));
  varstar::train::append_feature_channels(d, features, 2, 4);
  // 1 curve + 2 z-scores + 4 bins of feature 0 + none of the constant feature 1.
  REQUIRE(d.sample_shape == varstar::Shape{7, 2});
  CHECK(d.description.at("feature_channels") == 6);
  const double sd = std::sqrt(60.0 / 9);  // population std of 0..8
  const auto edges = d.description.at("feature_edges").get<std::vector<std::vector<double>>>();
  REQUIRE(edges.size() == 2);
  CHECK(edges[1].size() == 1);
  REQUIRE(edges[0].size() == 5);
  for (int k = 0; k <= 4; ++k) CHECK(edges[0][k] == doctest::Approx((2 * k - 4) / sd));
  const float* star3 = d.sample(3);  // z = -1 / sd: bins [1, 0.5, 0, 0]
  const std::vector<float> expected = {0, -1 / static_cast<float>(sd), 0, 1, 0.5f, 0, 0};
  for (int ch = 0; ch < 7; ++ch)
    for (int t = 0; t < 2; ++t) {
      INFO("channel ", ch, " step ", t);
      CHECK(star3[ch * 2 + t] == doctest::Approx(expected[ch]).epsilon(1e-6));
    }
  // New stars, encoded with the set's statistics after a JSON round trip (as
  // the model file stores them); bins are ignored there. Beyond the edges: all
  // zeros or all ones.
  auto fresh = varstar::train::make_dataset("new", {"lo", "hi"}, {0, 0}, {"x"}, {1, 2}, std::vector<float>(4, 0));
  fresh.description = nlohmann::json::parse(d.description.dump());
  const std::vector<float> new_features = {-3, 5, 20, 5};
  varstar::train::append_feature_channels(fresh, new_features, 2, 0);
  REQUIRE(fresh.sample_shape == d.sample_shape);
  for (int k = 0; k < 4; ++k) {
    CHECK(fresh.sample(0)[(3 + k) * 2] == 0.0f);
    CHECK(fresh.sample(1)[(3 + k) * 2] == 1.0f);
  }
  // The model's statistics must describe these features.
  auto wrong = varstar::train::make_dataset("new", {"a"}, {0}, {"x"}, {1, 2}, std::vector<float>(2, 0));
  wrong.description = d.description;
  CHECK_THROWS_WITH_AS(varstar::train::append_feature_channels(wrong, std::vector<float>{1, 2, 3}, 3),
                       doctest::Contains("3 features, the model was trained with 2"), varstar::Error);
}

TEST_CASE("a model trained with feature bins predicts from its saved edges as it did in training") {
  const fs::path dir = temp_dir("model_bins");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset raw = toy_data();
  std::vector<float> features;  // the class with noise, and the first value of the curve
  varstar::Generator gen(3);
  for (int64_t i = 0; i < raw.size(); ++i)
    features.insert(features.end(), {static_cast<float>(raw.labels[i] + gen.next_uniform()), raw.sample(i)[0]});
  Dataset data = raw;
  varstar::train::append_feature_channels(data, features, 2, 8);
  auto config = toy_config(2);
  config.feature_bins = 8;
  const auto job = toy_job(dir.string(), false);
  const auto outcome = varstar::train::train_fold(config, data, job, quiet);
  auto loaded = varstar::train::load_model_file((dir / "model.safetensors").string());
  // The test stars alone, encoded from the model file's description.
  std::vector<std::string> ids;
  std::vector<int32_t> labels;
  std::vector<float> values, test_features;
  for (int64_t r : job.test_rows) {
    ids.push_back(raw.ids[r]);
    labels.push_back(raw.labels[r]);
    values.insert(values.end(), raw.sample(r), raw.sample(r) + raw.sample_size());
    test_features.insert(test_features.end(), features.begin() + 2 * r, features.begin() + 2 * r + 2);
  }
  auto fresh = varstar::train::make_dataset("unseen", ids, labels, raw.class_names, raw.sample_shape, values);
  fresh.description = loaded.description.at("representation");
  varstar::train::append_feature_channels(fresh, test_features, 2);
  REQUIRE(fresh.sample_shape == loaded.model->sample_shape());
  std::vector<int64_t> rows(ids.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  const auto p = varstar::train::predict(*loaded.model, fresh, rows, varstar::Device::cpu(), true);
  CHECK(p.probabilities == outcome.test_predictions.probabilities);
  fs::remove_all(dir);
}

TEST_CASE("feature bins are part of a configuration's identity only when on") {
  auto config = toy_config(2);
  const nlohmann::json off = config.to_json();
  CHECK_FALSE(off.contains("feature_bins"));
  config.feature_bins = 8;
  CHECK(varstar::train::TrainConfig::from_json(config.to_json()).feature_bins == 8);
}

TEST_CASE("the warm-up raises the learning rate linearly, step by step, then the schedule rules") {
  auto c = toy_config(10);
  c.lr = 1e-3;
  c.lr_warmup = 2;  // 2 epochs of 5 steps
  CHECK(varstar::train::scheduled_lr(c, 1, 0, 5) == doctest::Approx(1e-4));
  CHECK(varstar::train::scheduled_lr(c, 1, 4, 5) == doctest::Approx(5e-4));
  CHECK(varstar::train::scheduled_lr(c, 2, 0, 5) == doctest::Approx(6e-4));
  CHECK(varstar::train::scheduled_lr(c, 2, 4, 5) == doctest::Approx(1e-3));
  CHECK(varstar::train::scheduled_lr(c, 7, 3, 5) == doctest::Approx(1e-3));
  c.lr_schedule = "cosine";
  const double cosine_epoch2 = 1e-3 * 0.5 * (1 + std::cos(M_PI * 1 / 10));
  CHECK(varstar::train::scheduled_lr(c, 2, 2, 5) == doctest::Approx(cosine_epoch2 * 8 / 10));
  CHECK(varstar::train::scheduled_lr(c, 3, 0, 5) == doctest::Approx(1e-3 * 0.5 * (1 + std::cos(M_PI * 2 / 10))));
  c.lr_warmup = 0;
  CHECK(varstar::train::scheduled_lr(c, 2, 0, 5) == doctest::Approx(cosine_epoch2));
  c.lr_schedule = "linear";
  CHECK_THROWS_WITH_AS(varstar::train::scheduled_lr(c, 1, 0, 5), doctest::Contains("linear"), varstar::Error);
}

TEST_CASE("a warmed-up run trains with the warm-up's rates and records them; warm-up is in the identity only when on") {
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  auto config = toy_config(3);
  CHECK_FALSE(config.to_json().contains("lr_warmup"));  // checkpoints written before the option still resume
  std::unique_ptr<varstar::models::Model> plain, warmed;
  varstar::train::train_fold(config, toy_data(), toy_job("", false), quiet, &plain);
  config.lr_warmup = 2;
  CHECK(varstar::train::TrainConfig::from_json(config.to_json()).lr_warmup == 2);
  const auto outcome = varstar::train::train_fold(config, toy_data(), toy_job("", false), quiet, &warmed);
  REQUIRE(outcome.history.size() == 3);
  // 72 training rows, batches of 16: 5 steps per epoch; an epoch records its last step's rate.
  CHECK(outcome.history[0].lr == doctest::Approx(config.lr * 5 / 10));
  CHECK(outcome.history[1].lr == doctest::Approx(config.lr));
  CHECK(weights(*plain) != weights(*warmed));
}

TEST_CASE("TF32 and --reproducible are part of a configuration's identity only when on") {
  using varstar::train::TrainConfig;
  for (bool TrainConfig::*flag : {&TrainConfig::tf32, &TrainConfig::reproducible}) {
    auto config = toy_config(2);
    const nlohmann::json off = config.to_json();
    CHECK_FALSE(TrainConfig::from_json(off).*flag);
    config.*flag = true;
    const nlohmann::json on = config.to_json();
    CHECK(on != off);
    CHECK(TrainConfig::from_json(on).*flag);
    CHECK(TrainConfig::from_json(on).to_json() == on);
  }
  // Absent when off: checkpoints written before the options still resume.
  CHECK_FALSE(toy_config(2).to_json().contains("tf32"));
  CHECK_FALSE(toy_config(2).to_json().contains("reproducible"));
}

TEST_CASE("cross-validation writes the run folder with metrics, curves and a report") {
  const fs::path dir = temp_dir("cv");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  Dataset data = toy_data();
  data.warning = "TEST WARNING: these inputs were built from the labels";
  data.uses_labels = true;
  const auto folds = varstar::data::kfold(data.size(), 3, true, 42);
  varstar::train::RunOptions o;
  o.train = toy_config(2);
  o.out_dir = dir.string();
  o.title = "toy";
  const auto result = varstar::train::cross_validate(o, folds, [&](int) -> const Dataset& { return data; }, quiet);
  CHECK(result.folds.size() == 3);
  for (const char* f : {"config.json", "folds.json", "history.csv", "predictions.csv", "metrics.json", "report.html"})
    CHECK_MESSAGE(fs::exists(dir / f), f);
  const auto metrics = nlohmann::json::parse(std::ifstream(dir / "metrics.json"));
  CHECK(metrics.at("warning").get<std::string>() == data.warning);
  std::ifstream history(dir / "history.csv");
  std::string first_line;
  std::getline(history, first_line);
  CHECK(first_line == "# WARNING: " + data.warning);
  std::stringstream html;
  html << std::ifstream(dir / "report.html").rdbuf();
  CHECK(html.str().find("id=\"label-leak\"") != std::string::npos);
  CHECK(html.str().find("<svg class=\"chart\"") != std::string::npos);
  CHECK(html.str().find("<svg class=\"heatmap\"") != std::string::npos);
  // The pooled confusion matrix counts every star exactly once.
  int64_t total = 0;
  for (const auto& row : metrics.at("summary").at("pooled").at("confusion"))
    for (const auto& v : row) total += v.get<int64_t>();
  CHECK(total == data.size());
  // A finished run is not overwritten by accident.
  CHECK_THROWS_WITH_AS(varstar::train::cross_validate(o, folds, [&](int) -> const Dataset& { return data; }, quiet),
                       doctest::Contains("already holds a finished run"), varstar::Error);
  // --resume reuses its folds only for the same data: other inputs are an error, not stale results.
  o.resume = true;
  CHECK(varstar::train::resume_mismatch(o, data).empty());
  Dataset other = data;
  other.description["mode"] = "another representation";
  CHECK(varstar::train::resume_mismatch(o, other).find("another data") != std::string::npos);
  CHECK_THROWS_WITH_AS(varstar::train::cross_validate(o, folds, [&](int) -> const Dataset& { return other; }, quiet),
                       doctest::Contains("was started with another data"), varstar::Error);
  fs::remove_all(dir);
}

TEST_CASE("an ensemble's fold averages its members, each the single run of its seed") {
  const fs::path dir = temp_dir("ensemble");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset data = toy_data();
  const auto folds = varstar::data::kfold(data.size(), 2, true, 42);
  const auto run = [&](const std::string& name, int ensemble, uint64_t seed, bool resume = false) {
    varstar::train::RunOptions o;
    o.train = toy_config(2);
    o.train.ensemble = ensemble;
    o.train.seed = seed;
    o.out_dir = (dir / name).string();
    o.resume = resume;
    o.max_folds = 1;
    o.write_report = ensemble > 1;
    return varstar::train::cross_validate(o, folds, [&](int) -> const Dataset& { return data; }, quiet);
  };
  const auto a = run("seed11", 1, 11), b = run("seed12", 1, 12), e = run("both", 2, 11);
  const auto& fa = a.folds[0].test_predictions;
  const auto& fb = b.folds[0].test_predictions;
  const auto& fe = e.folds[0].test_predictions;
  REQUIRE(e.folds[0].member_accuracy.size() == 2);
  CHECK(e.folds[0].member_accuracy[0] == a.folds[0].test.accuracy);
  CHECK(e.folds[0].member_accuracy[1] == b.folds[0].test.accuracy);
  REQUIRE(fe.probabilities.size() == fa.probabilities.size());
  CHECK(fa.probabilities != fb.probabilities);  // the seeds differ
  for (size_t i = 0; i < fe.probabilities.size(); ++i)
    CHECK(fe.probabilities[i] == fa.probabilities[i] / 2.0f + fb.probabilities[i] / 2.0f);
  CHECK(e.metrics.at("summary").at("ensemble").at("members") == 2);
  CHECK_FALSE(a.metrics.at("summary").contains("ensemble"));
  std::stringstream html;
  html << std::ifstream(dir / "both" / "report.html").rdbuf();
  CHECK(html.str().find("each of the 2 ensemble members alone") != std::string::npos);
  // Resuming after a kill between the members' results and the fold's: the
  // finished member is read back, the other continues from its checkpoint.
  fs::remove(dir / "both" / "metrics.json");
  fs::remove(dir / "both" / "checkpoints" / "fold1" / "result.json");
  fs::remove(dir / "both" / "checkpoints" / "fold1" / "member2" / "result.json");
  const auto resumed = run("both", 2, 11, true);
  CHECK(resumed.folds[0].test_predictions.probabilities == fe.probabilities);
  CHECK(resumed.folds[0].member_accuracy == e.folds[0].member_accuracy);
  fs::remove_all(dir);
}

TEST_CASE("networks trained at once (jobs) give the results of one at a time, bit for bit") {
  const fs::path dir = temp_dir("jobs");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset data = toy_data();
  const auto folds = varstar::data::kfold(data.size(), 3, true, 42);
  const auto run = [&](const std::string& name, int jobs) {
    varstar::train::RunOptions o;
    o.train = toy_config(2);
    o.train.ensemble = 2;  // 3 folds x 2 members: six networks in the queue
    o.train.threads = 1;
    o.jobs = jobs;
    o.out_dir = (dir / name).string();
    o.write_report = false;
    return varstar::train::cross_validate(o, folds, [&](int) -> const Dataset& { return data; }, quiet);
  };
  const auto one = run("one", 1), three = run("three", 3);
  REQUIRE(three.folds.size() == 3);
  for (int k = 0; k < 3; ++k) {
    CAPTURE(k);
    CHECK(three.folds[k].fold == k);
    CHECK(three.folds[k].member_accuracy == one.folds[k].member_accuracy);
    CHECK(three.folds[k].test_predictions.probabilities == one.folds[k].test_predictions.probabilities);
    REQUIRE(three.folds[k].history.size() == one.folds[k].history.size());
    for (size_t e = 0; e < one.folds[k].history.size(); ++e)
      CHECK(three.folds[k].history[e].train_loss == one.folds[k].history[e].train_loss);
  }
  const auto text = [](const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
  };
  CHECK(text(dir / "three" / "predictions.csv") == text(dir / "one" / "predictions.csv"));
  for (int k = 1; k <= 3; ++k)
    CHECK(fs::exists(dir / "three" / "checkpoints" / fmt::format("fold{}", k) / "member2" / "result.json"));
  // A job that fails stops the run with its error once the others have finished.
  varstar::train::RunOptions bad;
  bad.train = toy_config(1);
  bad.train.model = "no-such-network";
  bad.jobs = 2;
  bad.out_dir = (dir / "bad").string();
  CHECK_THROWS_AS(varstar::train::cross_validate(bad, folds, [&](int) -> const Dataset& { return data; }, quiet),
                  varstar::Error);
  fs::remove_all(dir);
}

TEST_CASE("a member far below its best sibling is reported as weak, in the summary and in words") {
  std::vector<varstar::train::FoldOutcome> folds(3);
  for (int k = 0; k < 3; ++k) {
    folds[k].fold = k;
    folds[k].test = varstar::train::classification_report({0, 1}, {0, 1}, 2);
  }
  folds[0].member_accuracy = {0.94, 0.942, 0.93};
  folds[1].member_accuracy = {0.940, 0.942, 0.677};  // fold 2 member 3 never learned
  folds[2].member_accuracy = {0.95, 0.8505};          // just inside the margin
  const auto weak = varstar::train::weak_members(folds);
  REQUIRE(weak.size() == 1);
  CHECK(weak[0].fold == 1);
  CHECK(weak[0].member == 2);
  CHECK(weak[0].best_other == 0.942);
  const nlohmann::json summary = varstar::train::summarise_folds(folds, {"a", "b"});
  REQUIRE(summary.at("ensemble").at("weak_members").size() == 1);
  const auto words = varstar::train::weak_member_warnings(summary);
  REQUIRE(words.size() == 1);
  CHECK(words[0].find("fold 2 member 3 reached 67.70%, its best sibling 94.20%") != std::string::npos);
  folds[2].member_accuracy = {0.95, 0.8495};
  CHECK(varstar::train::weak_members(folds).size() == 2);
  for (auto& f : folds) f.member_accuracy.clear();  // single networks: no ensemble, nothing weak
  CHECK(varstar::train::weak_members(folds).empty());
  CHECK(varstar::train::weak_member_warnings(varstar::train::summarise_folds(folds, {"a", "b"})).empty());
}

TEST_CASE("a fold no better than its test fold's most common class is named, in the summary, in words, in the report") {
  // Test folds of 3 classes; class 0 the most common (50% of the fold).
  const std::vector<int32_t> truth{0, 0, 0, 0, 0, 1, 1, 1, 2, 2};
  std::vector<varstar::train::FoldOutcome> folds(3);
  for (int k = 0; k < 3; ++k) folds[k].fold = k;
  folds[0].test = varstar::train::classification_report(truth, truth, 3);                        // learned: 100%
  folds[1].test = varstar::train::classification_report(truth, std::vector<int32_t>(10, 0), 3);  // always class 0: 50%
  folds[2].test = varstar::train::classification_report(truth, {0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 3);  // 60%
  const auto chance = varstar::train::chance_folds(folds);
  REQUIRE(chance.size() == 1);
  CHECK(chance[0].fold == 1);
  CHECK(chance[0].accuracy == doctest::Approx(0.5));
  CHECK(chance[0].majority_share == doctest::Approx(0.5));
  // The margin: a 100-star fold whose most common class is 51%; 53% correct is
  // within kChanceMargin (2 points), 54% is not.
  std::vector<int32_t> truth_100(100, 0), predicted_100(100, 0);
  for (int i = 0; i < 49; ++i) truth_100[i] = 1;
  for (int i = 0; i < 2; ++i) predicted_100[i] = 1;
  folds[2].test = varstar::train::classification_report(truth_100, predicted_100, 3);
  CHECK(varstar::train::chance_folds(folds).size() == 2);
  predicted_100[2] = 1;
  folds[2].test = varstar::train::classification_report(truth_100, predicted_100, 3);
  CHECK(varstar::train::chance_folds(folds).size() == 1);

  const nlohmann::json summary = varstar::train::summarise_folds(folds, {"a", "b", "c"});
  REQUIRE(summary.at("chance_folds").size() == 1);
  CHECK(summary.at("chance_folds")[0].at("fold") == 2);
  const auto words = varstar::train::chance_fold_warnings(summary);
  REQUIRE(words.size() == 1);
  CHECK(words[0].find("fold 2 reached 50.00%, no better than always answering its test fold's most common class "
                      "(50.00%)") != std::string::npos);

  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(fmt::format("star{}", i));
  const auto data =
      varstar::train::make_dataset("three", ids, truth, {"a", "b", "c"}, {1}, std::vector<float>(10, 0.f));
  varstar::train::ReportInput in;
  in.title = "chance fold";
  in.config = {{"train", varstar::train::TrainConfig{}.to_json()}, {"machine", "test"}, {"varstar", "test"}};
  in.metrics = {{"summary", summary}};
  in.folds = &folds;
  in.data = &data;
  const std::string html = varstar::train::render_report(in);
  CHECK(html.find("class=\"banner warn chance-fold\"") != std::string::npos);
  CHECK(html.find("fold 2 reached 50.00%") != std::string::npos);
  folds.erase(folds.begin() + 1);
  CHECK(varstar::train::summarise_folds(folds, {"a", "b", "c"}).at("chance_folds").empty());
}

TEST_CASE("averaged predictions: mean probabilities, their argmax and the cross-entropy of the mean") {
  auto d = varstar::train::make_dataset("two", {"a", "b"}, {0, 1}, {"x", "y"}, {1, 1}, {0, 0});
  varstar::train::Predictions p, q;
  p.rows = q.rows = {0, 1};
  p.probabilities = {0.9f, 0.1f, 0.6f, 0.4f};
  q.probabilities = {0.3f, 0.7f, 0.2f, 0.8f};
  const auto m = varstar::train::average_predictions({p, q}, d, true);
  CHECK(m.probabilities[0] == doctest::Approx(0.6));
  CHECK(m.probabilities[3] == doctest::Approx(0.6));
  CHECK(m.predicted == std::vector<int32_t>{0, 1});
  CHECK(m.loss == doctest::Approx(-std::log(0.6)));
  q.rows = {1, 0};
  CHECK_THROWS_WITH_AS(varstar::train::average_predictions({p, q}, d, false), doctest::Contains("different rows"),
                       varstar::Error);
}

TEST_CASE("model files form an ensemble only with the same network, classes and representation") {
  const fs::path dir = temp_dir("ensemble_files");
  varstar::train::Progress quiet(varstar::train::ProgressMode::quiet);
  const Dataset data = toy_data();
  std::unique_ptr<varstar::models::Model> model;
  varstar::train::train_fold(toy_config(1), data, toy_job("", false), quiet, &model);
  const std::string p1 = (dir / "a.safetensors").string(), p2 = (dir / "b.safetensors").string();
  varstar::train::save_model_file(p1, *model, {{"classes", data.class_names}, {"representation", {{"mode", "x"}}}});
  varstar::train::save_model_file(p2, *model, {{"classes", data.class_names}, {"representation", {{"mode", "y"}}}});
  CHECK(varstar::train::load_model_files({p1, p1}).size() == 2);
  CHECK_THROWS_WITH_AS(varstar::train::load_model_files({p1, p2}), doctest::Contains("another representation"),
                       varstar::DataError);
  fs::remove_all(dir);
}

TEST_CASE("in cross-validation each fold's features are scored with its training rows' statistics") {
  const fs::path dir = temp_dir("fold_statistics");
  const varstar::data::PreparedDataset prepared =
      varstar::test::prepare_simulated(dir, "harmonic-shape:n_points=16", 20, 3);
  using varstar::train::FeatureStatistics;
  const varstar::train::PreparedData per_fold(prepared, nullptr, 4, FeatureStatistics::training_rows);
  const varstar::train::PreparedData pooled(prepared, nullptr, 4, FeatureStatistics::all_stars);
  const auto cache = varstar::data::MappedCache::open(prepared.cache_path);
  const std::span<const float> features = cache.f32("features");
  const int64_t n_features = cache.entry("features").shape.at(1);
  CHECK(pooled.for_fold(0).description.at("feature_statistics_rows") == prepared.rows.size());
  for (int k = 0; k < 3; ++k) {
    const Dataset& d = per_fold.for_fold(k);
    const auto& train = prepared.folds[k].train;
    CHECK(d.description.at("feature_statistics_rows") == train.size());
    double mean = 0;  // feature 0 over the training rows
    for (int64_t r : train) mean += features[r * n_features] / static_cast<double>(train.size());
    CHECK(d.description.at("feature_mean")[0].get<double>() == doctest::Approx(mean).epsilon(1e-12));
    CHECK(d.description.at("feature_mean") != pooled.for_fold(0).description.at("feature_mean"));
    // A test star's feature channel is scored with the fold's statistics.
    const int64_t star = prepared.folds[k].test.front();
    const double sd = d.description.at("feature_std")[0].get<double>();
    CHECK(d.sample(star)[2 * 16] == doctest::Approx((features[star * n_features] - mean) / sd).epsilon(1e-5));
  }
  CHECK_THROWS_WITH_AS(varstar::train::parse_feature_statistics("test"), doctest::Contains("'training' or 'all'"),
                       varstar::Error);
  fs::remove_all(dir);
}
