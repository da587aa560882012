// dmdt-thesis-classpair equals the NumPy reference of the thesis scripts'
// calculate_pairwise_differences (scripts/reference_representations.py), is
// flagged as using labels, and compares only within a split.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "data/represent/represent.h"
#include "reference.h"

namespace {

// Images are in [0, 255]; float32 output of double arithmetic.
constexpr double kImageTolerance = 1e-4;

struct Case {
  std::vector<varstar::data::CatalogRow> rows;
  std::vector<int32_t> labels, split;
};

Case reference_case() {
  const auto& m = varstar::test::reference_manifest();
  Case c;
  std::map<std::string, int32_t> label_of;
  for (const auto& r : m["classpair_rows"]) {
    varstar::data::CatalogRow row;
    row.id = "cp" + std::to_string(c.rows.size());
    row.period = r["Per"];
    row.amp_g = r["Amp_g"];
    row.amp_r = r["Amp_r"];
    row.type = r["Type"];
    c.rows.push_back(row);
    const std::string type = r["Type"];
    if (!label_of.count(type)) label_of[type] = static_cast<int32_t>(label_of.size());
    c.labels.push_back(label_of[type]);
  }
  for (int s : m["classpair_split"]) c.split.push_back(s);
  return c;
}

}  // namespace

TEST_CASE("class-pair images equal the scripts' algorithm (NumPy + skimage-equivalent resize)") {
  const Case c = reference_case();
  const auto spec = varstar::data::RepresentationSpec::parse("dmdt-thesis-classpair");
  const auto batch = varstar::data::build_representation(spec, c.rows, nullptr, c.labels, c.split);
  REQUIRE(batch.sample_shape == std::vector<int64_t>{3, 90, 53});
  std::vector<int64_t> shape;
  const auto expected = varstar::test::reference_array("classpair", &shape);
  REQUIRE(shape == std::vector<int64_t>{static_cast<int64_t>(c.rows.size()), 90, 53});
  double worst = 0;
  double peak = 0;
  for (size_t s = 0; s < c.rows.size(); ++s)
    for (int ch = 0; ch < 3; ++ch)
      for (int p = 0; p < 90 * 53; ++p) {
        const double got = batch.values[(s * 3 + ch) * 90 * 53 + p];
        worst = std::max(worst, std::abs(got - expected[s * 90 * 53 + p]));
        peak = std::max(peak, got);
      }
  CHECK(worst < kImageTolerance);
  CHECK(peak == doctest::Approx(255.0));  // the scaling to 255 happened
}

TEST_CASE("class-pair mode says loudly that it uses labels") {
  const Case c = reference_case();
  const auto batch = varstar::data::build_representation(
      varstar::data::RepresentationSpec::parse("dmdt-thesis-classpair"), c.rows, nullptr, c.labels, c.split);
  CHECK(batch.uses_labels);
  CHECK(batch.warning.find("labels") != std::string::npos);
  CHECK(batch.description["uses_labels"] == true);
  CHECK(batch.description["warning"] == batch.warning);
  // Without labels it refuses.
  CHECK_THROWS(varstar::data::build_representation(varstar::data::RepresentationSpec::parse("dmdt-thesis-classpair"),
                                                   c.rows, nullptr, {}, {}));
}

TEST_CASE("class-pair: a star's image depends on its own label (the leak)") {
  // Same catalog values, only the label of star 0 differs: its image changes.
  Case c = reference_case();
  const auto spec = varstar::data::RepresentationSpec::parse("dmdt-thesis-classpair");
  const auto a = varstar::data::build_representation(spec, c.rows, nullptr, c.labels, {});
  c.labels[0] = (c.labels[0] + 1) % 3;
  const auto b = varstar::data::build_representation(spec, c.rows, nullptr, c.labels, {});
  const size_t plane = 3 * 90 * 53;
  bool differs = false;
  for (size_t p = 0; p < plane; ++p) differs |= a.values[p] != b.values[p];
  CHECK(differs);
}
