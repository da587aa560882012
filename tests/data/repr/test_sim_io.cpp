// The simulated set goes through the project's writers and readers
// (data/catalog_io.h, data/lightcurve_io.h) unchanged: what `varstar simulate`
// writes is what `varstar prepare` will read.
#include <doctest/doctest.h>

#include <cmath>
#include <unistd.h>

#include <filesystem>

#include "data/catalog_io.h"
#include "data/lightcurve_io.h"
#include "data/sim/simulate.h"

TEST_CASE("simulated catalog and light curves round-trip through the CDS/CSV writers and readers") {
  varstar::sim::SimOptions o;
  o.stars_per_class = 12;
  o.seed = 99;
  const auto d = varstar::sim::simulate(o);
  const auto dir = std::filesystem::temp_directory_path() / ("varstar_sim_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  varstar::data::CdsWriteOptions cds;
  cds.title = "SIMULATED test";
  varstar::data::write_catalog_cds((dir / "Table2.txt").string(), d.rows, cds);
  varstar::data::write_lightcurves_csv((dir / "lightcurves.csv").string(), d.curves);
  const auto cat = varstar::data::read_catalog((dir / "Table2.txt").string());
  const auto lcs = varstar::data::read_lightcurves((dir / "lightcurves.csv").string());
  REQUIRE(cat.rows.size() == d.rows.size());
  REQUIRE(lcs.set.curves.size() == d.curves.curves.size());
  CHECK(lcs.set.band_names == std::vector<std::string>{"g", "r"});
  for (size_t i = 0; i < d.rows.size(); ++i) {
    CHECK(cat.rows[i].id == d.rows[i].id);
    CHECK(cat.rows[i].type == d.rows[i].type);
    CHECK(std::abs(cat.rows[i].period - d.rows[i].period) < 1e-7);  // F12.7
    CHECK(std::abs(cat.rows[i].amp_r - d.rows[i].amp_r) < 1e-3);    // F6.3
    CHECK(cat.rows[i].num_g == d.rows[i].num_g);
    CHECK(lcs.set.curves[i].id == d.curves.curves[i].id);
    CHECK(lcs.set.curves[i].time.size() == d.curves.curves[i].time.size());
  }
  std::filesystem::remove_all(dir);
}
