// report.html: rendered in headless Chromium, the page loads with its plots
// (chart and heat-map SVGs in the rendered DOM, a screenshot that is not
// blank) and shows the label-leak banner when the inputs used labels.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "train/report.h"
#include "train/run.h"

namespace fs = std::filesystem;

namespace {

constexpr double kMinNonWhiteShare = 0.03;  // an empty page is ~0
constexpr int kMinColours = 50;             // plots and heat map use many shades

// Two folds of a 3-class problem with hand-made histories and predictions.
std::string write_report(const fs::path& dir, const varstar::train::Dataset& data) {
  std::vector<varstar::train::FoldOutcome> folds(2);
  for (int f = 0; f < 2; ++f) {
    auto& o = folds[f];
    o.fold = f;
    for (int e = 1; e <= 10; ++e) {
      varstar::train::EpochRecord r;
      r.epoch = e;
      r.lr = 2e-4;
      r.train_loss = 1.1 / e;
      r.train_accuracy = 1 - 0.6 / e;
      r.test_loss = 1.2 / e + 0.05;
      r.test_accuracy = 0.9 - 0.5 / e;
      r.seconds = 1;
      r.samples_per_s = 100;
      o.history.push_back(r);
    }
    o.best_epoch = 10;
    std::vector<int32_t> truth, pred;
    for (int64_t i = f; i < data.size(); i += 2) {
      truth.push_back(data.labels[i]);
      pred.push_back(i % 7 == 0 ? (data.labels[i] + 1) % 3 : data.labels[i]);
    }
    o.test = varstar::train::classification_report(truth, pred, 3);
  }
  varstar::train::ReportInput in;
  in.title = "screenshot test";
  in.config = {{"train", varstar::train::TrainConfig{}.to_json()}, {"machine", "test"}, {"varstar", "test"}};
  in.metrics = {{"summary", varstar::train::summarise_folds(folds, data.class_names)}};
  in.folds = &folds;
  in.data = &data;
  const fs::path path = dir / "report.html";
  std::ofstream(path) << varstar::train::render_report(in);
  return path.string();
}

nlohmann::json render(const std::string& html, const std::string& png) {
  const std::string cmd = fmt::format("'{}' '{}/tests/reference/screenshot_report.py' '{}' '{}'", VARSTAR_PYTHON_EXECUTABLE,
                                      VARSTAR_SOURCE_ROOT, html, png);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  REQUIRE_MESSAGE(out.find('{') != std::string::npos, "headless Chromium produced nothing: " << cmd);
  return nlohmann::json::parse(out.substr(out.find('{')));
}

}  // namespace

std::string varstar_test_skip_reason() {
  const std::string probe = std::string("command -v chromium >/dev/null && '") + VARSTAR_PYTHON_EXECUTABLE +
                            "' -c 'import PIL' 2>/dev/null";
  if (std::system(probe.c_str()) == 0) return {};
#if VARSTAR_REQUIRE_TORCH
  return {};
#else
  return "headless Chromium or Pillow missing (apt install chromium python3-pil)";
#endif
}

TEST_CASE("the report renders in headless Chromium with its plots and the label-leak banner") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("varstar_report_{}", getpid());
  fs::create_directories(dir);
  std::vector<float> values;
  std::vector<int32_t> labels;
  std::vector<std::string> ids;
  for (int i = 0; i < 60; ++i) {
    labels.push_back(i % 3);
    ids.push_back(fmt::format("s{}", i));
    for (int t = 0; t < 32; ++t) values.push_back(std::sin(0.2f * t * (1 + i % 3)));
  }
  varstar::train::Dataset data =
      varstar::train::make_dataset("report test data", ids, labels, {"A", "B", "C"}, {1, 32}, values);
  data.warning = "inputs built from the labels (test)";
  const auto page = render(write_report(dir, data), (dir / "shot.png").string());
  CHECK(page.at("title").get<bool>());
  CHECK(page.at("charts").get<int>() == 4);  // loss and accuracy, two folds
  CHECK(page.at("heatmaps").get<int>() == 1);
  CHECK(page.at("banner").get<int>() == 1);
  CHECK(page.at("nonwhite").get<double>() > kMinNonWhiteShare);
  CHECK(page.at("colours").get<int>() > kMinColours);
  fs::remove_all(dir);
}
