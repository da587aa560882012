// Fourier fit of light curves: recovers known coefficients from a noisy,
// outlier-contaminated synthetic curve; the derived catalog row and the folded
// representation built from it.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "data/represent/fourier_fit.h"
#include "data/represent/represent.h"
#include "data/sim/rng.h"

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kMeanTolerance = 0.004;    // mag; noise 0.02 mag over ~400 points
constexpr double kR21Tolerance = 0.02;
constexpr double kPhi21Tolerance = 0.06;    // rad
constexpr double kAmpTolerance = 0.015;     // mag, peak-to-peak
constexpr double kOutlierShift = 1.5;       // mag added to the contaminated points

// m(phi) = 15 + 0.4 cos(2 pi phi + 0.3) + 0.18 cos(4 pi phi + 2.0) + 0.07 cos(6 pi phi - 1.0)
double truth(double phi) {
  return 15.0 + 0.4 * std::cos(2 * kPi * phi + 0.3) + 0.18 * std::cos(4 * kPi * phi + 2.0) +
         0.07 * std::cos(6 * kPi * phi - 1.0);
}

struct Curve {
  std::vector<double> t, m, e;
  int outliers = 0;
};

Curve make_curve(uint64_t seed, double period, int n, double outlier_fraction) {
  varstar::sim::Rng rng(seed);
  Curve c;
  for (int i = 0; i < n; ++i) {
    const double t = 58000 + rng.uniform(0, 400);
    double m = truth((t - 58000) / period - std::floor((t - 58000) / period)) + rng.normal(0, 0.02);
    if (rng.bernoulli(outlier_fraction)) {
      m += kOutlierShift;
      ++c.outliers;
    }
    c.t.push_back(t);
    c.m.push_back(m);
    c.e.push_back(0.02);
  }
  return c;
}

double true_ptp() {
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < 100000; ++i) {
    lo = std::min(lo, truth(i / 1e5));
    hi = std::max(hi, truth(i / 1e5));
  }
  return hi - lo;
}

}  // namespace

TEST_CASE("Fourier fit recovers known coefficients despite outliers") {
  const double period = 0.6137;
  const Curve c = make_curve(5, period, 420, 0.05);
  REQUIRE(c.outliers > 10);
  varstar::data::repr::FourierFitOptions opt;
  opt.n_harmonics = 4;
  const auto fit = varstar::data::repr::fit_fourier(c.t, c.m, c.e, period, 58000.0, opt);
  REQUIRE(fit.ok);
  CHECK(std::abs(fit.mean_mag - 15.0) < kMeanTolerance);
  CHECK(std::abs(fit.r21 - 0.18 / 0.4) < kR21Tolerance);
  // phi21 = phi2 - 2 phi1 = 2.0 - 0.6 = 1.4 rad.
  CHECK(std::abs(fit.phi21 - 1.4) < kPhi21Tolerance);
  CHECK(std::abs(fit.amplitude - true_ptp()) < kAmpTolerance);
  CHECK(fit.n_clipped >= c.outliers);
  CHECK(fit.n_clipped <= c.outliers + 10);  // clipping does not eat the good points
  CHECK(fit.r2 > 0.95);

  // The same data without clipping: the outliers bias the mean (why the fit is robust).
  opt.clip_sigma = 0;
  const auto plain = varstar::data::repr::fit_fourier(c.t, c.m, c.e, period, 58000.0, opt);
  CHECK(std::abs(plain.mean_mag - 15.0) > 5 * kMeanTolerance);
}

TEST_CASE("Fourier fit: phi21 wraps into [0, 2 pi) and needs enough points") {
  // phi1 = 2.5, phi2 = 0.5: phi21 = 0.5 - 5.0 = -4.5 -> 2 pi - 4.5.
  std::vector<double> t, m;
  for (int i = 0; i < 200; ++i) {
    const double phi = i / 200.0;
    t.push_back(phi * 2.0);  // period 2 d
    m.push_back(12 + 0.3 * std::cos(2 * kPi * phi + 2.5) + 0.1 * std::cos(4 * kPi * phi + 0.5));
  }
  const auto fit = varstar::data::repr::fit_fourier(t, m, {}, 2.0, 0.0, {});
  REQUIRE(fit.ok);
  CHECK(fit.phi21 == doctest::Approx(2 * kPi - 4.5).epsilon(1e-6));
  CHECK(fit.r21 == doctest::Approx(1.0 / 3.0).epsilon(1e-6));
  const std::vector<double> few_t = {0, 1, 2}, few_m = {1, 2, 3};
  CHECK_FALSE(varstar::data::repr::fit_fourier(few_t, few_m, {}, 2.0, 0.0, {}).ok);
  CHECK_FALSE(varstar::data::repr::fit_fourier(t, m, {}, -1.0, 0.0, {}).ok);
}

TEST_CASE("light-curve stars get catalog quantities and every catalog mode") {
  const double period = 0.6137;
  const Curve cr = make_curve(9, period, 300, 0.02), cg = make_curve(10, period, 250, 0.02);
  varstar::data::LightCurveSet set;
  set.band_names = {"g", "r"};
  varstar::data::LightCurve lc;
  lc.id = "lc1";
  for (int b = 0; b < 2; ++b) {
    const Curve& c = b == 0 ? cg : cr;
    for (size_t i = 0; i < c.t.size(); ++i) {
      lc.time.push_back(c.t[i]);
      lc.mag.push_back(c.m[i] + (b == 0 ? 0.5 : 0.0));  // g is 0.5 mag fainter
      lc.mag_err.push_back(c.e[i]);
      lc.band.push_back(b);
    }
  }
  set.curves.push_back(lc);
  varstar::data::CatalogRow row;
  row.id = "lc1";
  row.period = period;
  const int32_t bands[2] = {0, 1};
  const auto derived = varstar::data::repr::derive_catalog_row(row, lc, bands, {});
  CHECK(derived.num_r == 300);
  CHECK(derived.num_g == 250);
  CHECK(std::abs(derived.rmag - 15.0) < kMeanTolerance);
  CHECK(std::abs(derived.gmag - derived.rmag - 0.5) < 2 * kMeanTolerance);
  CHECK(std::abs(derived.r21 - 0.45) < kR21Tolerance);
  CHECK(std::abs(derived.amp_r - true_ptp()) < kAmpTolerance);

  // The entry point derives the row itself (amplitudes 0 = no catalog quantities).
  const auto shape = varstar::data::build_representation(varstar::data::RepresentationSpec::parse("harmonic-shape"),
                                                         {row}, &set, {}, {});
  CHECK(shape.description["rows_derived_from_light_curves"] == 1);
  CHECK(shape.features[3] == doctest::Approx(0.5).epsilon(0.02));  // colour g - r

  // Folded: median per phase bin follows the true shape, phase 0 at maximum light.
  const auto folded = varstar::data::build_representation(
      varstar::data::RepresentationSpec::parse("folded:phase_bins=20"), {row}, &set, {}, {});
  REQUIRE(folded.sample_shape == std::vector<int64_t>{2, 20});
  double lo = 1e9, at = 0;
  for (int i = 0; i < 100000; ++i)
    if (truth(i / 1e5) < lo) lo = truth(i / 1e5), at = i / 1e5;
  const double ptp = true_ptp();
  double worst = 0;
  for (int k = 0; k < 20; ++k) {
    // Bin k covers phases [k/20, (k+1)/20) after the shift; compare with the true curve at the bin centre.
    const double expected = (truth(at + (k + 0.5) / 20) - 15.0) / ptp;
    worst = std::max(worst, std::abs(folded.values[20 + k] - expected));  // r channel
  }
  CHECK(worst < 0.08);  // bin width 1/20 of a steep curve plus noise
}
