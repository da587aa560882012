// Tests of the `varstar prepare` pipeline (data/dataset): light-curve input
// with labels and periods (unmatched stars, class mapping, balancing counts),
// the built-in simulated set (found by directory, said to be simulated in
// every output), the representation cache (built once, reused, rebuilt on a
// changed input), the label-use warning, and the missing-input error.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/cache.h"
#include "data/sim/simulate.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;
namespace fs = std::filesystem;

namespace {

// n stars of each of three classes with sinusoidal light curves in g and r.
void write_curve_set(const fs::path& dir, int n, bool with_orphan) {
  LightCurveSet set;
  set.band_names = {"g", "r"};
  std::vector<std::string> ids, types;
  StarTable periods;
  periods.numeric_names = {"Per", "rmag"};
  periods.numeric.resize(2);
  const char* classes[] = {"RRab", "RRc", "EB"};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < n + c * 7; ++i) {
      LightCurve lc;
      lc.id = fmt::format("{}-{}", classes[c], i);
      const double per = 0.3 + 0.2 * c + 0.001 * i;
      for (int k = 0; k < 40; ++k) {
        const double t = 58000 + 1.37 * k;
        lc.time.push_back(t);
        lc.mag.push_back(15 + 0.3 * std::sin(2 * M_PI * t / per));
        lc.mag_err.push_back(0.02);
        lc.band.push_back(k % 2);
      }
      set.curves.push_back(lc);
      ids.push_back(lc.id);
      types.push_back(classes[c]);
      periods.ids.push_back(lc.id);
      periods.numeric[0].push_back(per);
      periods.numeric[1].push_back(15.0);
    }
  if (with_orphan) {  // a curve without label
    LightCurve lc = set.curves[0];
    lc.id = "orphan";
    set.curves.push_back(lc);
  }
  write_lightcurves_csv((dir / "lightcurves.csv").string(), set);
  write_labels_csv((dir / "labels.csv").string(), ids, types);
  write_star_table_csv((dir / "catalog.csv").string(), periods);
}

}  // namespace

TEST_CASE("light-curve input: join, class mapping, balancing counts, folds and files") {
  const auto dir = test::scratch_dir("prepare_curves");
  write_curve_set(dir, 20, false);
  test::write_file(dir / "map.txt", "RRab RR\nRRc RR\nEB EB\n");
  PrepareOptions o;
  o.lightcurves = (dir / "lightcurves.csv").string();
  o.labels = (dir / "labels.csv").string();
  o.periods = (dir / "catalog.csv").string();
  o.classes = (dir / "map.txt").string();
  o.per_class = 30;
  o.out_dir = (dir / "out").string();
  const PreparedDataset d = prepare(o);
  CHECK(d.classes == std::vector<std::string>{"EB", "RR"});
  // EB has 34 stars -> 30; RR has 20 + 27 = 47 -> 30.
  CHECK(d.class_counts == std::vector<int64_t>{30, 30});
  CHECK(d.cleaning.rows_in == 20 + 27 + 34);
  CHECK(d.cleaning.rows_out == 81);
  REQUIRE(d.curves.has_value());
  CHECK(d.curves->curves.size() == 60);
  for (size_t i = 0; i < d.rows.size(); ++i) {
    CHECK(d.curves->curves[i].id == d.rows[i].id);
    CHECK(d.rows[i].rmag == 15.0);  // Table2-named column of the periods file
    CHECK(d.rows[i].period > 0.29);
  }
  CHECK(!d.simulated);
  check_folds(d.folds, 60);
  for (const char* f : {"cleaning_report.txt", "cleaning_report.json", "dataset.csv", "labels.csv", "lightcurves.csv",
                        "folds.json", "folds.csv", "manifest.json"})
    CHECK_MESSAGE(fs::exists(dir / "out" / f), f);
  const auto manifest = nlohmann::json::parse(test::read_file(dir / "out" / "manifest.json"));
  CHECK(manifest["class_counts"] == nlohmann::json({30, 30}));
  CHECK(manifest["simulated"] == false);
  const std::string folds_csv = test::read_file(dir / "out" / "folds.csv");
  CHECK(folds_csv.rfind("id,fold\n", 0) == 0);
  CHECK(std::count(folds_csv.begin(), folds_csv.end(), '\n') == 61);

  // A curve without a label: an error by default, counted with skip.
  write_curve_set(dir, 20, true);
  CHECK_THROWS_AS(prepare(o), DataError);
  o.on_bad_row = OnBadRow::skip;
  const PreparedDataset s = prepare(o);
  REQUIRE(!s.cleaning.notes.empty());
  CHECK(s.cleaning.notes.back().find("1 stars skipped") != std::string::npos);
  CHECK(s.cleaning.notes.back().find("orphan") != std::string::npos);
}

TEST_CASE("no input: the built-in simulated set, said to be simulated, with a cached representation") {
  const auto dir = test::scratch_dir("prepare_builtin");
  PrepareOptions o;
  o.builtin_dir = (dir / "builtin").string();
  o.out_dir = (dir / "out").string();
  const Error missing = [&] {
    try {
      prepare(o);
    } catch (const Error& e) {
      return e;
    }
    FAIL("expected an error");
    return Error("");
  }();
  CHECK(std::string(missing.what()).find("varstar simulate") != std::string::npos);

  sim::SimOptions so;
  so.stars_per_class = 40;
  const sim::SimulatedData sim = sim::simulate(so);
  fs::create_directories(dir / "builtin");
  CdsWriteOptions w;
  w.title = "SIMULATED ZTF-like catalog (varstar simulate)";
  write_catalog_cds((dir / "builtin" / "Table2.txt").string(), sim.rows, w);
  write_lightcurves_csv((dir / "builtin" / "lightcurves.csv").string(), sim.curves);

  o.per_class = 25;
  o.classes = "5";
  o.representation = "harmonic-thesis";
  const PreparedDataset d = prepare(o);
  CHECK(d.simulated);
  CHECK(d.classes == std::vector<std::string>{"CEP", "DSCT", "EA", "LPV", "RR"});
  REQUIRE(!d.cleaning.notes.empty());
  CHECK(d.cleaning.notes.front().find("SIMULATED") != std::string::npos);
  CHECK(test::read_file(dir / "out" / "cleaning_report.txt").find("SIMULATED") != std::string::npos);
  CHECK(test::read_file(dir / "out" / "folds.json").find("SIMULATED") != std::string::npos);
  const auto manifest = nlohmann::json::parse(test::read_file(dir / "out" / "manifest.json"));
  CHECK(manifest["simulated"] == true);
  CHECK(manifest["representation"]["rebuilt"] == true);
  REQUIRE(!d.cache_path.empty());
  {
    const MappedCache c = MappedCache::open(d.cache_path);
    CHECK(c.entry("x").shape == std::vector<int64_t>{static_cast<int64_t>(d.rows.size()), 1, 359});
    const auto labels = c.i32("labels");
    CHECK(std::vector<int32_t>(labels.begin(), labels.end()) == d.labels);
    CHECK(c.description()["notice"].get<std::string>().find("SIMULATED") != std::string::npos);
  }
  const PreparedDataset again = prepare(o);
  CHECK(again.cache_path == d.cache_path);
  CHECK(nlohmann::json::parse(test::read_file(dir / "out" / "manifest.json"))["representation"]["rebuilt"] == false);

  // A changed input gives a new key and a rebuilt cache.
  std::vector<CatalogRow> rows = sim.rows;
  rows[0].period *= 1.001;
  write_catalog_cds((dir / "builtin" / "Table2.txt").string(), rows, w);
  const PreparedDataset changed = prepare(o);
  CHECK(changed.cache_path != d.cache_path);
  CHECK(!fs::exists(d.cache_path));

  // The light-curve path on files beside a SIMULATED Table2 is simulated too.
  {
    std::vector<std::string> ids, types;
    StarTable per;
    per.numeric_names = {"Per"};
    per.numeric.resize(1);
    for (const auto& r : sim.rows) {
      ids.push_back(r.id);
      types.push_back(r.type);
      per.ids.push_back(r.id);
      per.numeric[0].push_back(r.period);
    }
    write_labels_csv((dir / "builtin" / "labels.csv").string(), ids, types);
    write_star_table_csv((dir / "builtin" / "catalog.csv").string(), per);
    PrepareOptions lc = o;
    lc.representation.clear();
    lc.lightcurves = (dir / "builtin" / "lightcurves.csv").string();
    lc.labels = (dir / "builtin" / "labels.csv").string();
    lc.periods = (dir / "builtin" / "catalog.csv").string();
    lc.out_dir = (dir / "out-lc").string();
    CHECK(prepare(lc).simulated);
  }

  // The label-using mode carries its warning into the result and the manifest.
  o.representation = "dmdt-thesis-classpair";
  o.per_class = 10;
  const PreparedDataset cp = prepare(o);
  CHECK(!cp.representation_warning.empty());
  const auto m2 = nlohmann::json::parse(test::read_file(dir / "out" / "manifest.json"));
  CHECK(m2["representation"]["uses_labels"] == true);
  CHECK(m2["representation"]["arrays"].size() == 6);  // labels + x_fold1..x_fold5
  for (const char* f : {"cleaning_report.txt", "cleaning_report.json", "folds.json", "manifest.json"})
    CHECK_MESSAGE(test::read_file(dir / "out" / f).find("labels of the stars being classified") != std::string::npos, f);
}
