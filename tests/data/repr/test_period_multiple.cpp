// Period multiples: a catalog period that is k times the true one is divided
// by k (repr::find_period_multiple), including when the best-fitting k is a
// subharmonic of the true one; build_representation applies it and says so.
// And the skewness feature, measured on the same kind of curves.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "data/represent/fourier_fit.h"
#include "data/represent/represent.h"
#include "data/sim/rng.h"

using namespace varstar::data;

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTruePeriod = 0.625;  // days; times k stay exact in binary
constexpr double kNoise = 0.03;        // mag

// An RR Lyrae-like sawtooth (fast rise, slow decline) in two bands.
double shape(double phi, int band) {
  const double amp = band == 0 ? 0.5 : 0.35;
  return (band == 0 ? 18.4 : 18.1) + amp * (std::cos(2 * kPi * phi + 0.3) + 0.45 * std::cos(4 * kPi * phi + 2.0) +
                                            0.25 * std::cos(6 * kPi * phi - 1.0));
}

// Two bands, 120 points each over 1,200 days, survey-like gaps (nights only).
LightCurve make_star(uint64_t seed, double period) {
  varstar::sim::Rng rng(seed);
  LightCurve c;
  c.id = "star" + std::to_string(seed);
  for (int band = 0; band < 2; ++band)
    for (int i = 0; i < 120; ++i) {
      const double t = std::floor(rng.uniform(0, 1200)) + rng.uniform(0.0, 0.3);
      const double phi = t / period - std::floor(t / period);
      c.time.push_back(t);
      c.mag.push_back(shape(phi, band) + rng.normal(0, kNoise));
      c.mag_err.push_back(kNoise);
      c.band.push_back(band);
    }
  return c;
}

const std::vector<int32_t> kBands{0, 1};

}  // namespace

TEST_CASE("find_period_multiple divides a catalog period k times too long by k") {
  repr::PeriodMultipleOptions options;
  options.max_multiple = 10;
  for (int k : {1, 2, 3, 5, 7, 9}) {
    CAPTURE(k);
    for (uint64_t seed : {11u, 12u, 13u}) {
      CAPTURE(seed);
      const repr::PeriodMultiple r = repr::find_period_multiple(make_star(seed, kTruePeriod), kTruePeriod * k, kBands, options);
      REQUIRE(r.chi2.size() == 10u);
      CHECK(r.multiple == k);
    }
  }
}

TEST_CASE("find_period_multiple prefers the true frequency to its subharmonics") {
  // At 6 x the true period, k = 2 and 3 fold the curve at 3 and 2 true
  // periods: a 3-harmonic fit at k = 3 still holds the fundamental (its second
  // harmonic), so it fits far better than the k that are not divisors of 6.
  repr::PeriodMultipleOptions options;
  options.max_multiple = 10;
  const repr::PeriodMultiple r = repr::find_period_multiple(make_star(21, kTruePeriod), kTruePeriod * 6, kBands, options);
  CHECK(r.multiple == 6);
  CHECK(r.chi2[2] < 0.5 * r.chi2[4]);  // the subharmonic k = 3 fits much better than k = 5
  CHECK(r.chi2[5] < r.chi2[2]);        // and the true frequency better still
  // Told not to look beyond 4, it finds the subharmonic k = 3 (twice the true period).
  options.max_multiple = 4;
  CHECK(repr::find_period_multiple(make_star(21, kTruePeriod), kTruePeriod * 6, kBands, options).multiple == 3);
}

TEST_CASE("find_period_multiple leaves stars it cannot judge alone") {
  repr::PeriodMultipleOptions options;
  LightCurve few = make_star(31, kTruePeriod);
  few.time.resize(15), few.mag.resize(15), few.mag_err.resize(15), few.band.resize(15);  // < 3 points per parameter
  const repr::PeriodMultiple r = repr::find_period_multiple(few, kTruePeriod * 3, kBands, options);
  CHECK(r.multiple == 1);
  CHECK(r.chi2.empty());
  CHECK(repr::find_period_multiple(make_star(31, kTruePeriod), 0.0, kBands, options).multiple == 1);
  options.tolerance = 0.9;
  CHECK_THROWS_WITH(repr::find_period_multiple(few, 1.0, kBands, options), doctest::Contains("tolerance"));
}

TEST_CASE("period_multiples in a representation: folded curves at the true period, refitted features, a note") {
  LightCurveSet set;
  set.band_names = {"g", "r"};
  std::vector<CatalogRow> scrambled, truth;
  const int multiples[] = {1, 4, 7};
  for (int i = 0; i < 3; ++i) {
    set.curves.push_back(make_star(40 + i, kTruePeriod));
    CatalogRow row;
    row.id = set.curves.back().id;
    row.period = kTruePeriod * multiples[i];
    scrambled.push_back(row);
    row.period = kTruePeriod;
    truth.push_back(row);
  }
  const RepresentationSpec spec = RepresentationSpec::parse("folded:phase_bins=32,period_multiples=8");
  CHECK(spec.period_multiples == 8);
  CHECK(RepresentationSpec::parse(spec.to_text()).period_multiples == 8);
  CHECK(RepresentationSpec::from_json(spec.to_json()).period_multiples == 8);
  CHECK_FALSE(RepresentationSpec::parse("folded").to_json().contains("period_multiples"));  // earlier cache keys stay valid

  const RepresentationBatch found = build_representation(spec, scrambled, &set, {}, {});
  const RepresentationBatch given = build_representation(RepresentationSpec::parse("folded:phase_bins=32"), truth, &set, {}, {});
  CHECK(found.values == given.values);
  CHECK(found.features == given.features);
  const RepresentationBatch blurred =
      build_representation(RepresentationSpec::parse("folded:phase_bins=32"), scrambled, &set, {}, {});
  CHECK(blurred.values != given.values);
  CHECK(found.description.at("period_divided_by") == std::vector<int64_t>{0, 1, 0, 0, 1, 0, 0, 1, 0});
  bool said = false;
  for (const auto& note : found.notes) said = said || note.find("2 of 3 stars' periods divided") != std::string::npos;
  CHECK(said);

  CHECK_THROWS_WITH(build_representation(spec, scrambled, nullptr, {}, {}), doctest::Contains("--lightcurves"));
  CHECK_THROWS_WITH(build_representation(RepresentationSpec::parse("dmdt-lightcurve:period_multiples=4"), scrambled, &set, {}, {}),
                    doctest::Contains("features=true"));
  CHECK_THROWS_WITH(build_representation(RepresentationSpec::parse("folded:period_multiples=0"), scrambled, &set, {}, {}),
                    doctest::Contains("period_multiples must be in"));
}

TEST_CASE("skewness=true appends each band's magnitude skewness to the features") {
  LightCurveSet set;
  set.band_names = {"b", "r"};
  // Band b: four points at 18 and one eclipse point at 19: mean 18.2,
  // m2 = 0.16, m3 = 0.096, skewness 0.096 / 0.16^1.5 = 1.5; band r: one
  // point at 17 instead, skewness -1.5. The second star has two b points only.
  LightCurve c;
  for (int band = 0; band < 2; ++band)
    for (int i = 0; i < 5; ++i) {
      c.time.push_back(i * 0.37 + band * 0.1);
      c.mag.push_back(i != 3 ? 18.0 : band == 0 ? 19.0 : 17.0);
      c.mag_err.push_back(0.01);
      c.band.push_back(band);
    }
  c.id = "two-band";
  set.curves.push_back(c);
  set.curves.push_back(LightCurve{"sparse", {0.0, 1.0}, {18.0, 18.5}, {0.01, 0.01}, {0, 0}});
  std::vector<CatalogRow> rows(2);
  rows[0].id = "two-band", rows[0].period = 1.1;
  rows[1].id = "sparse", rows[1].period = 0.9;
  const RepresentationBatch plain = build_representation(RepresentationSpec::parse("folded:phase_bins=16"), rows, &set, {}, {});
  const RepresentationBatch skew =
      build_representation(RepresentationSpec::parse("folded:phase_bins=16,skewness=true"), rows, &set, {}, {});
  const size_t w = plain.feature_names.size();
  REQUIRE(skew.feature_names.size() == w + 2);
  CHECK(skew.feature_names[w] == "skew_b");
  CHECK(skew.feature_names[w + 1] == "skew_r");
  CHECK(skew.values == plain.values);
  for (size_t s = 0; s < 2; ++s)
    for (size_t f = 0; f < w; ++f) CHECK(skew.features[s * (w + 2) + f] == plain.features[s * w + f]);
  CHECK(skew.features[w] == doctest::Approx(1.5).epsilon(1e-6));
  CHECK(skew.features[w + 1] == doctest::Approx(-1.5).epsilon(1e-6));
  CHECK(skew.features[(w + 2) + w] == 0.0f);      // two points: no skewness
  CHECK(skew.features[(w + 2) + w + 1] == 0.0f);  // no points
  CHECK(RepresentationSpec::parse(RepresentationSpec::parse("folded:skewness=true").to_text()).skewness);
  CHECK_THROWS_WITH(build_representation(RepresentationSpec::parse("dmdt-catalog:skewness=true"), rows, &set, {}, {}),
                    doctest::Contains("modes with features"));
}

TEST_CASE("curve_features=true appends R31, phi31, the fit residual, std and the 5-95% range per band") {
  LightCurveSet set;
  set.band_names = {"b", "r"};
  set.curves = {make_star(21, kTruePeriod)};
  // A third star's r band: 0, 1, ..., 100 (mag offsets), for the exact spread figures.
  LightCurve ramp;
  ramp.id = "ramp";
  for (int i = 0; i <= 100; ++i) {
    ramp.time.push_back(i * 1.37);
    ramp.mag.push_back(15.0 + i);
    ramp.mag_err.push_back(0.01);
    ramp.band.push_back(1);
  }
  set.curves.push_back(ramp);
  std::vector<CatalogRow> rows(2);
  rows[0].id = set.curves[0].id, rows[0].period = kTruePeriod * 3;  // divided by 3 with period_multiples
  rows[1].id = "ramp", rows[1].period = 7.3;
  const char* spec_text = "folded:phase_bins=16,period_multiples=10,curve_features=true";
  const RepresentationBatch plain =
      build_representation(RepresentationSpec::parse("folded:phase_bins=16,period_multiples=10"), rows, &set, {}, {});
  const RepresentationBatch with = build_representation(RepresentationSpec::parse(spec_text), rows, &set, {}, {});
  const size_t w = plain.feature_names.size(), wide = w + 12;
  REQUIRE(with.feature_names.size() == wide);
  const std::vector<std::string> band_b(with.feature_names.begin() + static_cast<std::ptrdiff_t>(w),
                                        with.feature_names.begin() + static_cast<std::ptrdiff_t>(w + 6));
  CHECK(band_b == std::vector<std::string>{"r31_b", "cos_phi31_b", "sin_phi31_b", "fit_residual_b", "std_b", "range90_b"});
  CHECK(with.feature_names[w + 6] == "r31_r");
  CHECK(with.values == plain.values);
  for (size_t s = 0; s < rows.size(); ++s)
    for (size_t f = 0; f < w; ++f) CHECK(with.features[s * wide + f] == plain.features[s * w + f]);

  // The sawtooth: A3 / A1 = 0.25 and phi31 = -1.0 - 3 * 0.3 in both bands
  // (the shape's own harmonics), found at the divided period.
  for (int band = 0; band < 2; ++band) {
    CAPTURE(band);
    const float* f = &with.features[w + band * 6];
    CHECK(f[0] == doctest::Approx(0.25).epsilon(0.12));
    CHECK(f[1] == doctest::Approx(std::cos(-1.9)).epsilon(0.1));
    CHECK(f[2] == doctest::Approx(std::sin(-1.9)).epsilon(0.1));
    CHECK(f[3] < 0.15);  // noise 0.03 mag against a spread of about 0.3
    double mean = 0, var = 0;
    int n = 0;
    for (size_t i = 0; i < set.curves[0].mag.size(); ++i)
      if (set.curves[0].band[i] == band) mean += set.curves[0].mag[i], ++n;
    mean /= n;
    for (size_t i = 0; i < set.curves[0].mag.size(); ++i)
      if (set.curves[0].band[i] == band) var += (set.curves[0].mag[i] - mean) * (set.curves[0].mag[i] - mean);
    CHECK(f[4] == doctest::Approx(std::sqrt(var / n)).epsilon(1e-5));
    CHECK(f[5] > 2 * f[4]);
  }
  // The ramp: std of 0..100 = sqrt(850), 5-95% range 95 - 5 = 90; a ramp
  // folded at an unrelated period is noise to the fit. Band b has no points.
  const float* ramp_r = &with.features[wide + w + 6];
  CHECK(ramp_r[4] == doctest::Approx(std::sqrt(850.0)).epsilon(1e-6));
  CHECK(ramp_r[5] == doctest::Approx(90.0).epsilon(1e-6));
  CHECK(ramp_r[3] > 0.5);
  for (int f = 0; f < 6; ++f) CHECK(with.features[wide + w + f] == 0.0f);

  // Without period_multiples the fit runs at 3 P, where the curve's second and
  // third harmonics are the 6th and 9th, beyond a 4-harmonic model: about a
  // fifth of the variance stays unexplained (residual near 0.46).
  const RepresentationBatch undivided = build_representation(
      RepresentationSpec::parse("folded:phase_bins=16,curve_features=true"), rows, &set, {}, {});
  CHECK(undivided.features[w + 3] > 0.3);

  CHECK(RepresentationSpec::parse(RepresentationSpec::parse(spec_text).to_text()).curve_features);
  CHECK(RepresentationSpec::from_json(RepresentationSpec::parse(spec_text).to_json()).curve_features);
  CHECK_THROWS_WITH(build_representation(RepresentationSpec::parse("dmdt-catalog:curve_features=true"), rows, &set, {}, {}),
                    doctest::Contains("modes with features"));
  CHECK_THROWS_WITH(build_representation(RepresentationSpec::parse("harmonic-shape:curve_features=true"), rows, nullptr, {}, {}),
                    doctest::Contains("give --lightcurves"));
}
