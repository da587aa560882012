// build_representation(): the mode list, spec parsing, errors, and the dm-dt
// modes end to end (normalisation of a hand-computed light curve, determinism
// of the synthesised catalog curves).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "data/represent/represent.h"
#include "engine/error.h"

using varstar::data::RepresentationSpec;

namespace {

varstar::data::LightCurveSet four_point_set() {
  // r band: the 4-point curve of test_dmdt.cpp (6 pairs); g band: one point (no pairs).
  varstar::data::LightCurveSet set;
  set.band_names = {"g", "r"};
  varstar::data::LightCurve lc;
  lc.id = "s";
  const double t[4] = {0, 0.5, 2, 10}, m[4] = {15, 15.25, 14.5, 15.0625};
  for (int i = 3; i >= 0; --i) {  // unsorted on purpose
    lc.time.push_back(58000 + t[i]);
    lc.mag.push_back(m[i]);
    lc.mag_err.push_back(0.01);
    lc.band.push_back(1);
  }
  lc.time.push_back(58001);
  lc.mag.push_back(16);
  lc.mag_err.push_back(0.01);
  lc.band.push_back(0);
  set.curves.push_back(lc);
  return set;
}

// A catalog row with an RR Lyrae-like period and amplitudes in both bands.
varstar::data::CatalogRow rr_lyrae_like_row(const std::string& id) {
  varstar::data::CatalogRow row;
  row.id = id;
  row.period = 0.55;
  row.rmag = 16;
  row.gmag = 16.3;
  row.amp_r = 0.8;
  row.amp_g = 1.1;
  row.r21 = row.r21_r = 0.45;
  row.phi21 = row.phi21_r = 4.0;
  row.num_g = 80;
  row.num_r = 120;
  row.ra_deg = 210;
  return row;
}

}  // namespace

TEST_CASE("every mode is listed with a description") {
  const auto& names = varstar::data::representation_names();
  CHECK(names.size() == 7);
  for (const auto& n : names) {
    CHECK(!n.summary.empty());
    CHECK(RepresentationSpec::parse(n.name).mode == n.name);
    CHECK(n.uses_labels == (n.name == "dmdt-thesis-classpair"));
  }
}

TEST_CASE("spec parsing and its errors") {
  const auto s = RepresentationSpec::parse("dmdt-lightcurve:dmdt_edges=both,image_height=32,image_width=24,bands=g+r");
  CHECK(s.dmdt_edges == "both");
  CHECK(s.image_height == 32);
  CHECK(s.bands == std::vector<std::string>{"g", "r"});
  CHECK(s.to_json()["image_width"] == 24);
  CHECK_THROWS_WITH_AS(RepresentationSpec::parse("dmdt-nothing"), doctest::Contains("unknown representation"),
                       varstar::Error);
  CHECK_THROWS_WITH_AS(RepresentationSpec::parse("folded:phase_bins=x"), doctest::Contains("phase_bins"),
                       varstar::Error);
  CHECK_THROWS_WITH_AS(RepresentationSpec::parse("folded:colour=1"), doctest::Contains("colour"), varstar::Error);
  CHECK_THROWS_WITH_AS(RepresentationSpec::parse("folded:magnitudes=1"), doctest::Contains("true or false"),
                       varstar::Error);
  const auto m = RepresentationSpec::parse("folded:magnitudes=true");
  CHECK(m.magnitudes);
  CHECK(RepresentationSpec::parse(m.to_text()).magnitudes);
  CHECK(RepresentationSpec::from_json(m.to_json()).magnitudes);
  // Off by default and absent from the JSON then (earlier cache keys stay valid).
  CHECK(!RepresentationSpec::parse("folded").to_json().contains("magnitudes"));
}

TEST_CASE("modes that need light curves or valid inputs say so") {
  varstar::data::CatalogRow row;
  row.id = "x";
  row.period = 1;
  CHECK_THROWS_WITH_AS(varstar::data::build_representation(RepresentationSpec::parse("folded"), {row}, nullptr, {}, {}),
                       doctest::Contains("needs light curves"), varstar::Error);
  CHECK_THROWS_WITH_AS(
      varstar::data::build_representation(RepresentationSpec::parse("harmonic-thesis:magnitudes=true"), {row}, nullptr,
                                          {}, {}),
      doctest::Contains("magnitudes applies to"), varstar::Error);
  row.period = 0;
  CHECK_THROWS_WITH_AS(
      varstar::data::build_representation(RepresentationSpec::parse("harmonic-thesis"), {row}, nullptr, {}, {}),
      doctest::Contains("period"), varstar::Error);
  row.period = 1;
  auto set = four_point_set();
  CHECK_THROWS_WITH_AS(
      varstar::data::build_representation(RepresentationSpec::parse("dmdt-lightcurve"), {row}, &set, {}, {}),
      doctest::Contains("has no light curve"), varstar::Error);
  row.id = set.curves[0].id;
  CHECK_THROWS_WITH_AS(varstar::data::build_representation(RepresentationSpec::parse("dmdt-lightcurve:dmdt_edges=both"),
                                                           {row}, &set, {}, {}),
                       doctest::Contains("image_height"), varstar::Error);
}

TEST_CASE("dmdt-lightcurve: per-band images, fraction and mahabal255 normalisation") {
  auto set = four_point_set();
  varstar::data::CatalogRow row;
  row.id = "s";
  row.period = 1.3;
  row.amp_r = 0.5;  // has catalog values: not re-derived
  const auto batch =
      varstar::data::build_representation(RepresentationSpec::parse("dmdt-lightcurve"), {row}, &set, {}, {});
  REQUIRE(batch.sample_shape == std::vector<int64_t>{2, 11, 22});
  const float* g = batch.values.data();
  const float* r = g + 11 * 22;
  for (int i = 0; i < 11 * 22; ++i) CHECK(g[i] == 0.0f);  // one g point: no pairs
  CHECK(r[4 * 22 + 6] == doctest::Approx(2.0 / 6));         // |dm| bin 4, dt bin 6: two of six pairs
  CHECK(r[2 * 22 + 5] == doctest::Approx(1.0 / 6));
  CHECK(!batch.notes.empty());
  const auto m255 = varstar::data::build_representation(
      RepresentationSpec::parse("dmdt-lightcurve:dmdt_norm=mahabal255,dmdt_edges=mahabal"), {row}, &set, {}, {});
  REQUIRE(m255.sample_shape == std::vector<int64_t>{2, 22, 23});
  // floor(255 * 1/6 + 0.99999) = 43 (Mahabal et al. 2017's intensity).
  CHECK(m255.values[22 * 23 + 13 * 23 + 6] == 43.0f);
  const auto resized = varstar::data::build_representation(
      RepresentationSpec::parse("dmdt-lightcurve:dmdt_edges=both,image_height=30,image_width=40"), {row}, &set, {}, {});
  CHECK(resized.sample_shape == std::vector<int64_t>{4, 30, 40});
}

TEST_CASE("dmdt-catalog is deterministic for a seed and differs between seeds") {
  const varstar::data::CatalogRow row = rr_lyrae_like_row("cat1");
  const auto a = varstar::data::build_representation(RepresentationSpec::parse("dmdt-catalog"), {row}, nullptr, {}, {});
  const auto b = varstar::data::build_representation(RepresentationSpec::parse("dmdt-catalog"), {row}, nullptr, {}, {});
  const auto c =
      varstar::data::build_representation(RepresentationSpec::parse("dmdt-catalog:seed=7"), {row}, nullptr, {}, {});
  CHECK(a.values == b.values);
  CHECK(a.values != c.values);
  REQUIRE(a.sample_shape == std::vector<int64_t>{2, 11, 22});
  // An RR Lyrae-like amplitude: most pairs have |dm| below the peak-to-peak (bins up to 1 mag).
  double below_1mag = 0, total = 0;
  for (int ch = 0; ch < 2; ++ch)
    for (int dm = 0; dm < 11; ++dm)
      for (int dt = 0; dt < 22; ++dt) {
        const double v = a.values[(ch * 11 + dm) * 22 + dt];
        total += v;
        if (dm <= 4) below_1mag += v;
      }
  CHECK(total > 1.5);  // both bands' fractions sum to ~1 each (a few pairs fall outside the edges)
  CHECK(below_1mag / total > 0.8);
}

TEST_CASE("dm-dt modes with features=true carry harmonic-shape's features, images unchanged") {
  const varstar::data::CatalogRow row = rr_lyrae_like_row("s");  // the id of four_point_set()
  const auto plain = varstar::data::build_representation(RepresentationSpec::parse("dmdt-catalog"), {row}, nullptr, {}, {});
  CHECK(plain.feature_names.empty());
  const auto with = varstar::data::build_representation(RepresentationSpec::parse("dmdt-catalog:features=true"), {row},
                                                        nullptr, {}, {});
  CHECK(with.values == plain.values);
  const auto shape = varstar::data::build_representation(RepresentationSpec::parse("harmonic-shape"), {row}, nullptr,
                                                         {}, {});
  CHECK(with.feature_names == shape.feature_names);
  CHECK(with.features == shape.features);
  CHECK(with.features[0] == doctest::Approx(std::log10(0.55)));
  // With the light curves: the features come from the catalog row as well.
  auto set = four_point_set();
  const auto lc = varstar::data::build_representation(
      RepresentationSpec::parse("dmdt-lightcurve:features=true,magnitudes=true"), {row}, &set, {}, {});
  REQUIRE(lc.feature_names.size() == 12);
  CHECK(lc.features[10] == doctest::Approx(16.0));
  // Spec round trip; off by default and absent from the JSON then.
  const auto spec = RepresentationSpec::parse("dmdt-catalog:features=true");
  CHECK(RepresentationSpec::parse(spec.to_text()).features);
  CHECK(RepresentationSpec::from_json(spec.to_json()).features);
  CHECK(!RepresentationSpec::parse("dmdt-catalog").to_json().contains("features"));
  CHECK_THROWS_WITH_AS(varstar::data::build_representation(RepresentationSpec::parse("harmonic-thesis:features=true"),
                                                           {row}, nullptr, {}, {}),
                       doctest::Contains("features applies to"), varstar::Error);
}
