// Metrics against scikit-learn on fixed predictions (one class never
// predicted, one never true, so the zero-division rules matter).
#include <doctest/doctest.h>

#include "tests/python_reference.h"
#include "train/metrics.h"

namespace {

constexpr double kMetricTolerance = 1e-12;

nlohmann::json sklearn(const std::vector<int32_t>& truth, const std::vector<int32_t>& predicted, int n_classes) {
  return varstar::test::python_reference("sklearn_metrics.py", std::to_string(n_classes),
                                         {{"truth", truth}, {"predicted", predicted}});
}

}  // namespace

std::string varstar_test_skip_reason() { return varstar::test::sklearn_skip_reason(); }

TEST_CASE("metrics equal scikit-learn's on a fixed set of predictions") {
  // 6 classes; class 4 is never predicted, class 5 never occurs in the truth.
  std::vector<int32_t> truth, predicted;
  for (int i = 0; i < 97; ++i) {
    const int32_t t = (i * 7 + i / 5) % 5;
    int32_t p = t;
    if (i % 3 == 0) p = (t + 1) % 4;
    if (i % 11 == 0) p = 5;
    truth.push_back(t);
    predicted.push_back(p);
  }
  const auto r = varstar::train::classification_report(truth, predicted, 6);
  const auto ref = sklearn(truth, predicted, 6);
  CHECK(r.accuracy == doctest::Approx(ref["accuracy"].get<double>()).epsilon(kMetricTolerance));
  for (const char* avg : {"weighted", "macro"}) {
    CAPTURE(avg);
    const bool w = std::string(avg) == "weighted";
    CHECK((w ? r.weighted_precision : r.macro_precision) == doctest::Approx(ref[avg]["precision"].get<double>()).epsilon(kMetricTolerance));
    CHECK((w ? r.weighted_recall : r.macro_recall) == doctest::Approx(ref[avg]["recall"].get<double>()).epsilon(kMetricTolerance));
    CHECK((w ? r.weighted_f1 : r.macro_f1) == doctest::Approx(ref[avg]["f1"].get<double>()).epsilon(kMetricTolerance));
  }
  for (int c = 0; c < 6; ++c) {
    CAPTURE(c);
    CHECK(r.precision[c] == doctest::Approx(ref["per_class"]["precision"][c].get<double>()).epsilon(kMetricTolerance));
    CHECK(r.recall[c] == doctest::Approx(ref["per_class"]["recall"][c].get<double>()).epsilon(kMetricTolerance));
    CHECK(r.f1[c] == doctest::Approx(ref["per_class"]["f1"][c].get<double>()).epsilon(kMetricTolerance));
    CHECK(r.support[c] == ref["per_class"]["support"][c].get<int64_t>());
    for (int k = 0; k < 6; ++k) CHECK(r.confusion_at(c, k) == ref["confusion"][c][k].get<int64_t>());
  }
}

TEST_CASE("mean and sample standard deviation") {
  const auto ms = varstar::train::mean_std({0.9, 0.8, 0.7});
  CHECK(ms.mean == doctest::Approx(0.8));
  CHECK(ms.std == doctest::Approx(0.1));
  CHECK(varstar::train::mean_std({0.5}).std == 0.0);
}
