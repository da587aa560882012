// Tests of data/cleaning and data/classes: each thesis rule at its boundary
// (strict > and <, as the pandas scripts), which columns the zero rule looks
// at, rule attribution, the 10- and 5-class sets, user mappings (text, JSON,
// "*" rules) and the report's table and JSON.
#include <doctest/doctest.h>

#include "data/cleaning.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;

namespace {

// A row that passes every rule.
CatalogRow good(std::string id, std::string type) {
  CatalogRow r;
  r.id = std::move(id);
  r.type = std::move(type);
  r.period = 0.5;
  r.r21 = 0.3;
  r.phi21 = 2.0;
  r.t0 = 2458300.0;
  r.gmag = 16.0;
  r.rmag = 15.5;
  r.num_g = 51;
  r.num_r = 51;
  r.r2_g = 0.31;
  r.r2_r = 0.31;
  r.amp_g = 0.5;
  r.amp_r = 0.4;
  r.log_fap_g = -3.01;
  r.log_fap_r = -3.01;
  return r;
}

}  // namespace

TEST_CASE("each thesis rule removes exactly at its boundary and rows count under the first failing rule") {
  CatalogCleaner cleaner(CatalogCleaningOptions{}, "test");
  std::vector<std::pair<CatalogRow, bool>> cases;
  auto add = [&](CatalogRow r, bool kept) { cases.emplace_back(std::move(r), kept); };
  add(good("a", "EW"), true);
  CatalogRow r = good("b", "EW");
  r.num_g = 50;  // Num_g > 50 required
  add(r, false);
  r = good("c", "EW");
  r.num_r = 50;
  add(r, false);
  r = good("d", "EW");
  r.r2_g = 0.3;  // R^2 > 0.3 required
  add(r, false);
  r = good("e", "RR");
  r.r2_r = 0.3;
  r.num_g = 10;  // also fails detections: counted there only
  add(r, false);
  r = good("f", "RR");
  r.log_fap_g = -3.0;  // log FAP < -3 required
  add(r, false);
  r = good("g", "RR");
  r.log_fap_r = -2.5;
  add(r, false);
  for (const char* col : {"Per", "R21", "phi21", "rmag", "Amp_r"}) {
    r = good(std::string("z-") + col, "DSCT");
    if (std::string(col) == "Per") r.period = 0;
    if (std::string(col) == "R21") r.r21 = 0;
    if (std::string(col) == "phi21") r.phi21 = 0;
    if (std::string(col) == "rmag") r.rmag = 0;
    if (std::string(col) == "Amp_r") r.amp_r = 0;
    add(r, false);
  }
  r = good("h", "DSCT");
  r.gmag = 0;  // not among the CNN-LSTM zero columns: kept
  r.amp_g = 0;
  r.delta_min_g = 0;
  add(r, true);
  r = good("i", "CEPII");
  add(r, true);
  for (auto& [row, kept] : cases) {
    CatalogRow copy = row;
    CHECK_MESSAGE(cleaner.accept(copy) == kept, row.id);
    if (kept && row.type == "CEPII") CHECK(copy.type == "CEP");
  }
  const CleaningReport rep = cleaner.report();
  CHECK(rep.rows_in == 14);
  CHECK(rep.rows_out == 3);
  REQUIRE(rep.rules.size() == 5);
  CHECK(rep.rules[0].removed == 3);  // b, c, e
  CHECK(rep.rules[1].removed == 1);  // d
  CHECK(rep.rules[2].removed == 2);  // f, g
  CHECK(rep.rules[3].removed == 5);  // the five zero columns
  CHECK(rep.rules[4].removed == 0);
  REQUIRE(rep.classes.size() == 3);
  CHECK(rep.classes[0] == std::pair<std::string, int64_t>{"CEP", 1});
  CHECK(rep.classes[1] == std::pair<std::string, int64_t>{"DSCT", 1});
  CHECK(rep.classes[2] == std::pair<std::string, int64_t>{"EW", 1});
  // Per type: RR in 3, removed 1 by detections and 2 by FAP, target RR, out 0.
  const auto rr = std::find_if(rep.types.begin(), rep.types.end(), [](const auto& t) { return t.type == "RR"; });
  REQUIRE(rr != rep.types.end());
  CHECK(rr->in == 3);
  CHECK(rr->removed == std::vector<int64_t>{1, 0, 2, 0, 0});
  CHECK(rr->target == "RR");
  CHECK(rr->out == 0);
}

TEST_CASE("the zero rule uses the chosen columns; quality filters can be switched off") {
  CatalogCleaningOptions o;
  o.zero_columns = parse_zero_columns("2d-cnn");
  o.quality_filters = false;
  CatalogCleaner cleaner(o);
  CatalogRow r = good("a", "EA");
  r.gmag = 0;  // a 2D-CNN zero column
  CHECK(!cleaner.accept(r));
  r = good("b", "EA");
  r.r21 = 0;  // not one of them
  r.num_g = 3;  // quality off
  CHECK(cleaner.accept(r));
  CHECK(parse_zero_columns("none").empty());
  CHECK(parse_zero_columns("Per, Amp_g") == std::vector<std::string>{"Per", "Amp_g"});
  CHECK_THROWS_AS(parse_zero_columns("Per,Type"), Error);
  CHECK_THROWS_AS(parse_zero_columns("nope"), Error);
}

TEST_CASE("thesis class sets: 10 classes with CEPII->CEP; 5 classes with LPV = Mira + SR") {
  const ClassMap ten = ClassMap::thesis10();
  CHECK(ten.targets() == std::vector<std::string>{"BYDra", "CEP", "DSCT", "EA", "EW", "Mira", "RR", "RRc", "RSCVN", "SR"});
  CHECK(ten.map("CEPII") == "CEP");
  CHECK(ten.map("Mira") == "Mira");
  CHECK_THROWS_AS(ten.map("LPV"), Error);
  const ClassMap five = ClassMap::thesis5();
  CHECK(five.targets() == std::vector<std::string>{"CEP", "DSCT", "EA", "LPV", "RR"});
  CHECK(five.map("Mira") == "LPV");
  CHECK(five.map("SR") == "LPV");
  CHECK(five.map("CEPII") == "CEP");
  for (const char* dropped : {"BYDra", "EW", "RRc", "RSCVN"}) CHECK(!five.map(dropped).has_value());
  CHECK(five.sources().size() == 11);

  CatalogCleaningOptions o;
  o.classes = five;
  CatalogCleaner cleaner(o);
  for (const char* t : {"Mira", "SR", "SR", "EW", "CEPII", "RRc"}) {
    CatalogRow r = good(t, t);
    cleaner.accept(r);
  }
  const CleaningReport rep = cleaner.report();
  CHECK(rep.rules[4].removed == 2);
  CHECK(rep.classes == std::vector<std::pair<std::string, int64_t>>{{"CEP", 1}, {"LPV", 3}});
}

TEST_CASE("user class mappings: text and JSON, '*' rules, errors with line numbers") {
  const ClassMap m = ClassMap::parse("# merge eclipsing binaries\nEA  EB\nEW EB   # contact\nBYDra -\n* =\n", "map.txt");
  CHECK(m.map("EA") == "EB");
  CHECK(m.map("EW") == "EB");
  CHECK(!m.map("BYDra").has_value());
  CHECK(m.map("RR") == "RR");  // kept as itself by "* ="
  const ClassMap j = ClassMap::parse(R"({"Mira": "LPV", "SR": "LPV", "*": null})", "map.json");
  CHECK(j.map("SR") == "LPV");
  CHECK(!j.map("RR").has_value());
  const ClassMap closed = ClassMap::parse("RR RR\n", "c.txt");
  CHECK(!closed.knows("EW"));
  CHECK_THROWS_AS(closed.map("EW"), Error);

  DataError e = test::catch_data_error([] { ClassMap::parse("EA EB\nEA EW\n", "map.txt"); });
  CHECK(e.line() == 2);
  CHECK(e.detail().find("mapped twice") != std::string::npos);
  e = test::catch_data_error([] { ClassMap::parse("EA EB extra\n", "map.txt"); });
  CHECK(e.line() == 1);
  e = test::catch_data_error([] { ClassMap::parse("* LPV\n", "map.txt"); });
  CHECK(e.line() == 1);
  e = test::catch_data_error([] { ClassMap::parse("{\"EA\": 3}", "map.json"); });
  CHECK(e.column() == "EA");
  e = test::catch_data_error([] { ClassMap::parse("{broken", "map.json"); });
  CHECK(e.detail().find("invalid JSON") != std::string::npos);
  CHECK_THROWS_AS(ClassMap::from_spec("no-such-file.txt"), Error);
  CHECK(ClassMap::from_spec("5").name() == "thesis-5");
}

TEST_CASE("light-curve cleaning: too few observations, then the class set") {
  LightCurveCleaningOptions o;
  o.min_observations = 3;
  o.classes = ClassMap::parse("RRab RR\nRRc RR\nEB -\n", "m.txt");
  LightCurveCleaner cleaner(o, "lc.csv");
  LightCurve c;
  c.time = {1, 2, 3};
  LightCurve short_curve;
  short_curve.time = {1, 2};
  std::string t = "RRab";
  CHECK(cleaner.accept(c, t));
  CHECK(t == "RR");
  t = "RRc";
  CHECK(!cleaner.accept(short_curve, t));
  t = "EB";
  CHECK(!cleaner.accept(c, t));
  const CleaningReport rep = cleaner.report();
  CHECK(rep.rows_in == 3);
  CHECK(rep.rows_out == 1);
  CHECK(rep.rules[0].removed == 1);
  CHECK(rep.rules[1].removed == 1);
}

TEST_CASE("the report prints a table and JSON with the same numbers") {
  CatalogCleaner cleaner(CatalogCleaningOptions{}, "Table2.txt");
  for (int i = 0; i < 1234; ++i) {
    CatalogRow r = good(std::to_string(i), i % 2 ? "EW" : "RR");
    if (i % 10 == 0) r.num_r = 0;
    cleaner.accept(r);
  }
  const CleaningReport rep = cleaner.report();
  const std::string table = rep.table();
  CHECK(table.find("rows in") != std::string::npos);
  CHECK(table.find("1,234") != std::string::npos);
  CHECK(table.find("-124") != std::string::npos);
  CHECK(table.find("1,110") != std::string::npos);
  const nlohmann::json j = rep.json();
  CHECK(j["rows_in"] == 1234);
  CHECK(j["rows_out"] == 1110);
  CHECK(j["rules"][0]["removed"] == 124);
  CHECK(j["classes"]["RR"] == 493);
  CHECK(j["classes"]["EW"] == 617);
  CHECK(j["types"][1]["removed"]["detections"] == 124);
}
