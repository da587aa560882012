// Tests of data/lightcurve_io: grouping observations by star, time ordering,
// band order, the missing-value and faint-limit policy (counted, never
// silent), labels and star tables, bad input and the writers' round trip.
#include <doctest/doctest.h>

#include "data/lightcurve_io.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;

namespace {
// Two stars, interleaved rows, unsorted times, a Stripe-82-style sentinel, an
// EROS-style faint-limit value, a quoted id and an extra column.
const std::string kCurves =
    "id,time,mag,mag_err,band,flag\n"
    "s1,10.5,15.20,0.010,r,0\n"
    "s1,10.0,15.80,0.020,g,0\n"
    "\"s,2\",3.0,17.00,0.050,r,0\n"
    "s1,9.0,15.10,0.010,r,0\n"
    "\"s,2\",1.0,99.99,99.999,g,1\n"
    "s1,11.0,25.00,1.000,g,0\n"
    "\"s,2\",2.0,16.90,0.040,r,0\n";
}  // namespace

TEST_CASE("light curves are grouped by id, sorted by time, bands in wavelength order, sentinels counted") {
  const LightCurveData d = read_lightcurves_buffer(kCurves, "lc.csv");
  const LightCurveSet& s = d.set;
  REQUIRE(s.band_names == std::vector<std::string>{"g", "r"});
  REQUIRE(s.curves.size() == 2);
  const LightCurve& a = s.curves[0];
  CHECK(a.id == "s1");
  CHECK(a.time == std::vector<double>{9.0, 10.0, 10.5, 11.0});
  CHECK(a.mag == std::vector<double>{15.10, 15.80, 15.20, 25.00});
  CHECK(a.mag_err == std::vector<double>{0.010, 0.020, 0.010, 1.000});
  CHECK(a.band == std::vector<int32_t>{1, 0, 1, 0});
  const LightCurve& b = s.curves[1];
  CHECK(b.id == "s,2");
  CHECK(b.time == std::vector<double>{2.0, 3.0});  // the 99.99 sentinel at t=1 was dropped
  const LightCurveReadReport& r = d.report;
  CHECK(r.rows == 7);
  CHECK(r.observations == 6);
  CHECK(r.stars == 2);
  CHECK(r.dropped_missing == 1);
  CHECK(r.dropped_missing_per_band == std::vector<int64_t>{1, 0});
  CHECK(r.faint_kept == 1);
  REQUIRE(r.dropped_examples.size() == 1);
  CHECK(r.dropped_examples[0].find("lc.csv:6") != std::string::npos);
  CHECK(r.ignored_columns == std::vector<std::string>{"flag"});
  const std::string text = r.summary(s.band_names);
  CHECK(text.find("dropped 1 missing-value observations") != std::string::npos);
  CHECK(text.find("g 1") != std::string::npos);

  LightCurveReadOptions strict;
  strict.sentinels.drop_faint = true;
  const LightCurveData f = read_lightcurves_buffer(kCurves, "lc.csv", strict);
  CHECK(f.report.dropped_faint == 1);
  CHECK(f.set.curves[0].time.size() == 3);
}

TEST_CASE("same-time observations in one band are kept and counted") {
  const std::string t = "id,time,mag,mag_err,band\na,1,10,0.1,r\na,1,10.5,0.1,r\na,1,11,0.1,g\na,2,10,0.1,r\n";
  const LightCurveData d = read_lightcurves_buffer(t, "t.csv");
  CHECK(d.report.same_time_pairs == 1);
  CHECK(d.report.observations == 4);
}

TEST_CASE("bad light-curve input names file, line and column") {
  auto err = [](const std::string& text) {
    return test::catch_data_error([&] { read_lightcurves_buffer(text, "lc.csv"); });
  };
  DataError e = err("id,time,mag,band\n");
  CHECK(e.line() == 1);
  CHECK(e.column() == "mag_err");
  e = err("id,time,mag,mag_err,band\na,1,10,0.1,r\na,2,x10,0.1,r\n");
  CHECK(e.line() == 3);
  CHECK(e.column() == "mag");
  CHECK(e.detail() == "expected a number, found 'x10'");
  e = err("id,time,mag,mag_err,band\na,nan,10,0.1,r\n");
  CHECK(e.column() == "time");
  e = err("id,time,mag,mag_err,band\na,1,10,-0.1,r\n");
  CHECK(e.column() == "mag_err");
  e = err("id,time,mag,mag_err,band\na,1,10,0.1,\n");
  CHECK(e.column() == "band");
  e = err("id,time,mag,mag_err,band\na,1,10,0.1,r\na,2,10");
  CHECK(e.line() == 3);
  CHECK(e.detail().find("truncated") != std::string::npos);
  e = err("");
  CHECK(e.detail().find("empty file") != std::string::npos);

  LightCurveReadOptions skip;
  skip.on_bad_row = OnBadRow::skip;
  const LightCurveData d =
      read_lightcurves_buffer("id,time,mag,mag_err,band\na,1,10,0.1,r\na,2,bad,0.1,r\nb,1,9,0.1,r\n", "lc.csv", skip);
  CHECK(d.report.bad_rows.count == 1);
  CHECK(d.report.observations == 2);
  CHECK(d.report.bad_rows.examples[0].find("lc.csv:3 (column mag)") != std::string::npos);
}

TEST_CASE("labels: duplicate ids, empty and unknown classes are errors") {
  const LabelTable t = read_labels_buffer("id,Type\na,RR\nb,CEP\n", "labels.csv");
  CHECK(t.ids == std::vector<std::string>{"a", "b"});
  CHECK(t.types == std::vector<std::string>{"RR", "CEP"});
  DataError e = test::catch_data_error([] { read_labels_buffer("id,Type\na,RR\nb,EW\na,CEP\n", "labels.csv"); });
  CHECK(e.line() == 4);
  CHECK(e.column() == "id");
  CHECK(e.detail().find("first seen on line 2") != std::string::npos);
  TableReadOptions known;
  known.known_types = {"CEP", "RR"};
  e = test::catch_data_error([&] { read_labels_buffer("id,Type\na,RR\nb,EW\n", "labels.csv", known); });
  CHECK(e.line() == 3);
  CHECK(e.column() == "Type");
  e = test::catch_data_error([] { read_labels_buffer("id,Type\na,\n", "labels.csv"); });
  CHECK(e.column() == "Type");
}

TEST_CASE("star tables: id, positive period, extra numeric and text columns") {
  const StarTable t = read_star_table_buffer("id,Per,mag_b,Type\nx,2.35495,19.1458,RR\ny,280.0,17.68,Mira\n", "cat.csv");
  CHECK(t.ids == std::vector<std::string>{"x", "y"});
  CHECK(t.column("Per") == std::vector<double>{2.35495, 280.0});
  CHECK(t.column("mag_b") == std::vector<double>{19.1458, 17.68});
  REQUIRE(t.text_names == std::vector<std::string>{"Type"});
  CHECK(t.text[0][1] == "Mira");
  DataError e = test::catch_data_error([] { read_star_table_buffer("id,Per\nx,0\n", "cat.csv"); });
  CHECK(e.column() == "Per");
  CHECK(e.detail().find("positive") != std::string::npos);
  e = test::catch_data_error([] { read_star_table_buffer("id,mag\nx,1\n", "cat.csv"); });
  CHECK(e.column() == "Per");
  e = test::catch_data_error([] { read_star_table_buffer("id,Per,mag\nx,1,\n", "cat.csv"); });
  CHECK(e.column() == "mag");
  CHECK(e.detail().find("empty field") != std::string::npos);
}

TEST_CASE("writers round-trip light curves, labels and star tables exactly") {
  const auto dir = test::scratch_dir("lightcurve_writers");
  const LightCurveData d = read_lightcurves_buffer(kCurves, "lc.csv");
  write_lightcurves_csv((dir / "lc.csv").string(), d.set);
  const LightCurveData back = read_lightcurves((dir / "lc.csv").string());
  REQUIRE(back.set.curves.size() == 2);
  CHECK(back.set.band_names == d.set.band_names);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(back.set.curves[i].id == d.set.curves[i].id);
    CHECK(back.set.curves[i].time == d.set.curves[i].time);
    CHECK(back.set.curves[i].mag == d.set.curves[i].mag);
    CHECK(back.set.curves[i].mag_err == d.set.curves[i].mag_err);
    CHECK(back.set.curves[i].band == d.set.curves[i].band);
  }
  write_labels_csv((dir / "labels.csv").string(), {"s1", "s,2"}, {"RR", "EW"});
  const LabelTable l = read_labels((dir / "labels.csv").string());
  CHECK(l.ids == std::vector<std::string>{"s1", "s,2"});
  CHECK(l.types == std::vector<std::string>{"RR", "EW"});
  const StarTable t = read_star_table_buffer("id,Per,mag_b,Type\nx,0.1,19.1458,RR\n", "cat.csv");
  write_star_table_csv((dir / "cat.csv").string(), t);
  const StarTable u = read_star_table((dir / "cat.csv").string());
  CHECK(u.column("Per") == t.column("Per"));
  CHECK(u.text[0] == t.text[0]);
}
