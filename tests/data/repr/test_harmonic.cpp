// Harmonic synthesis: the thesis and text modes equal the NumPy reference of
// the scripts' algorithm; the shape mode on hand-computed cases.
#include <doctest/doctest.h>

#include <cmath>

#include "data/represent/represent.h"
#include "kernels/harmonic.h"
#include "reference.h"

using varstar::data::CatalogRow;

namespace {

constexpr double kMagTolerance = 2e-5;    // mag; float32 output of values ~20 (ulp ~2e-6) plus libm differences
constexpr double kShapeTolerance = 1e-5;  // normalised shape values in [-0.5, 0.5]
// The mode finds maximum light on a 2048-point grid: phase error <= 1/4096 cycle.
constexpr double kShapeGridTolerance = 2e-3;

std::vector<CatalogRow> reference_stars() {
  const auto& s = varstar::test::reference_manifest()["harmonic_stars"];
  std::vector<CatalogRow> rows(s["rmag"].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].id = "star" + std::to_string(i);
    rows[i].period = 1.0;
    rows[i].rmag = s["rmag"][i];
    rows[i].amp_r = s["Amp_r"][i];
    rows[i].r21 = s["R21"][i];
    rows[i].phi21 = s["phi21"][i];
  }
  return rows;
}

void check_against(const std::string& mode, const std::string& array, int64_t points) {
  const auto rows = reference_stars();
  varstar::data::RepresentationSpec spec;
  spec.mode = mode;
  const auto batch = varstar::data::build_representation(spec, rows, nullptr, {}, {});
  std::vector<int64_t> shape;
  const auto expected = varstar::test::reference_array(array, &shape);
  REQUIRE(shape[0] == static_cast<int64_t>(rows.size()));
  REQUIRE(shape[1] == points);
  REQUIRE(batch.sample_shape == std::vector<int64_t>{1, points});
  REQUIRE(batch.values.size() == expected.size());
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(batch.values[i] - expected[i]));
  CHECK(worst < kMagTolerance);
  CHECK_FALSE(batch.uses_labels);
}

}  // namespace

TEST_CASE("harmonic-thesis equals the scripts' reconstruct_light_curve_full_fourier (NumPy)") {
  check_against("harmonic-thesis", "harmonic_thesis", 359);
}

TEST_CASE("harmonic-text equals 360 points over one cycle (NumPy)") { check_against("harmonic-text", "harmonic_text", 360); }

TEST_CASE("harmonic-shape of a pure sinusoid, hand computed") {
  // R21 = 0: m = M + (Amp/2) cos(2 pi phi); maximum light (min m) at phi = 0.5.
  // After the shift to maximum light and / peak-to-peak: s(phi) = -0.5 cos(2 pi phi).
  CatalogRow row;
  row.id = "sine";
  row.period = 0.5;
  row.rmag = 15.0;
  row.amp_r = 0.8;
  row.gmag = 15.6;
  row.amp_g = 1.2;
  varstar::data::RepresentationSpec spec = varstar::data::RepresentationSpec::parse("harmonic-shape:n_points=4");
  const auto batch = varstar::data::build_representation(spec, {row}, nullptr, {}, {});
  REQUIRE(batch.sample_shape == std::vector<int64_t>{2, 4});
  const float expected[4] = {-0.5f, 0.0f, 0.5f, 0.0f};
  for (int c = 0; c < 2; ++c)
    for (int p = 0; p < 4; ++p) CHECK(std::abs(batch.values[c * 4 + p] - expected[p]) < kShapeTolerance);
  // Features: log10 P, log10 Amp_r, log10 Amp_g, g - r, ...
  REQUIRE(batch.feature_names.size() == 10);
  CHECK(batch.features[0] == doctest::Approx(std::log10(0.5)));
  CHECK(batch.features[1] == doctest::Approx(std::log10(0.8)));
  CHECK(batch.features[2] == doctest::Approx(std::log10(1.2)));
  CHECK(batch.features[3] == doctest::Approx(0.6).epsilon(1e-5));

  // magnitudes=true: the same features, then the mean magnitudes r and g.
  const auto with_mags = varstar::data::build_representation(
      varstar::data::RepresentationSpec::parse("harmonic-shape:n_points=4,magnitudes=true"), {row}, nullptr, {}, {});
  REQUIRE(with_mags.feature_names.size() == 12);
  CHECK(with_mags.feature_names[10] == "mean_mag_r");
  CHECK(with_mags.features[10] == doctest::Approx(15.0));
  CHECK(with_mags.features[11] == doctest::Approx(15.6));
  for (int f = 0; f < 10; ++f) CHECK(with_mags.features[f] == batch.features[f]);
  CHECK(with_mags.values == batch.values);
}

TEST_CASE("harmonic-shape second harmonic: catalog phase convention") {
  // m = M + A1 cos(2 pi phi) + A2 cos(4 pi phi + phi21) with A1 = 0.5, R21 = 0.5,
  // phi21 = pi/2: m - M = 0.5 cos(x) - 0.25 sin(2x), x = 2 pi phi. Its minimum
  // (maximum light) and peak-to-peak, found numerically here on a fine grid,
  // must match the mode's phase-0 value (-ptp share) and the sense of the shape.
  CatalogRow row;
  row.id = "h2";
  row.period = 1.0;
  row.rmag = 10.0;
  row.amp_r = 1.0;
  row.r21_r = 0.5;
  row.phi21_r = M_PI / 2;
  auto f = [](double phi) { return 0.5 * std::cos(2 * M_PI * phi) - 0.25 * std::sin(4 * M_PI * phi); };
  double lo = 1e9, hi = -1e9, at = 0;
  for (int i = 0; i < 200000; ++i) {
    const double p = i / 200000.0;
    if (f(p) < lo) lo = f(p), at = p;
    hi = std::max(hi, f(p));
  }
  const int n = 16;
  const auto batch = varstar::data::build_representation(
      varstar::data::RepresentationSpec::parse("harmonic-shape:n_points=16"), {row}, nullptr, {}, {});
  for (int p = 0; p < n; ++p) {
    const double expected = (f(at + static_cast<double>(p) / n) - 0.0) / (hi - lo);
    CHECK(std::abs(batch.values[p] - expected) < kShapeGridTolerance);
  }
}

TEST_CASE("harmonic kernel: linspace points as NumPy computes them") {
  CHECK(varstar::linspace_point(0, 2, 359, 0) == 0.0);
  CHECK(varstar::linspace_point(0, 2, 359, 358) == 2.0);
  CHECK(varstar::linspace_point(0, 2, 359, 179) == 179 * (2.0 / 358));
}
