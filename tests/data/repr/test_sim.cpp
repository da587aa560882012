// The simulator: deterministic for a seed (also across thread counts), every
// class present, classes that overlap as real ones do, the thesis filters
// removing a realistic share, every id marked as simulated.
#include <doctest/doctest.h>
#include <omp.h>

#include <set>
#include <vector>

#include "data/sim/classes.h"
#include "data/sim/simulate.h"
#include "engine/random.h"

namespace {

// Design targets of the simulator (docs/SIMULATOR.md), not measured values.
constexpr double kMinKeptByFilters = 0.5;   // the thesis filters keep between half ...
constexpr double kMaxKeptByFilters = 0.9;   // ... and 90% of the stars
constexpr double kMaxBaselineAccuracy = 0.9;  // period + amplitude alone must not separate the classes
constexpr double kMinBaselineAccuracy = 0.4;  // ... but carry real information

varstar::sim::SimOptions small(uint64_t seed) {
  varstar::sim::SimOptions o;
  o.stars_per_class = 40;
  o.seed = seed;
  return o;
}

}  // namespace

TEST_CASE("simulator is deterministic for a seed, whatever the thread count") {
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto a = varstar::sim::simulate(small(3));
  omp_set_num_threads(std::max(2, threads));
  const auto b = varstar::sim::simulate(small(3));
  omp_set_num_threads(threads);
  const auto c = varstar::sim::simulate(small(4));
  REQUIRE(a.rows.size() == 400);
  REQUIRE(b.rows.size() == 400);
  bool same = true;
  for (size_t i = 0; i < a.rows.size(); ++i) {
    same &= a.rows[i].id == b.rows[i].id && a.rows[i].period == b.rows[i].period && a.rows[i].amp_r == b.rows[i].amp_r &&
            a.rows[i].phi21 == b.rows[i].phi21 && a.rows[i].log_fap_g == b.rows[i].log_fap_g;
    same &= a.curves.curves[i].mag == b.curves.curves[i].mag && a.curves.curves[i].time == b.curves.curves[i].time;
  }
  CHECK(same);
  CHECK(a.rows[0].id != c.rows[0].id);
}

TEST_CASE("simulated catalog: classes, ids, columns") {
  const auto d = varstar::sim::simulate(small(5));
  std::set<std::string> types, ids;
  int cepii = 0;
  for (size_t i = 0; i < d.rows.size(); ++i) {
    const auto& r = d.rows[i];
    types.insert(r.type == "CEPII" ? "CEP" : r.type);
    cepii += r.type == "CEPII";
    ids.insert(r.id);
    CHECK(r.id.rfind("SIMJ", 0) == 0);
    CHECK(r.id.size() <= 22);  // fits the CDS ID column
    CHECK(r.id == d.curves.curves[i].id);
    CHECK(r.period > 0);
    CHECK(r.num_g + r.num_r == static_cast<int32_t>(d.curves.curves[i].time.size()));
    CHECK(r.log_fap_g <= 0);
    if (i > 0) CHECK(d.rows[i - 1].ra_deg <= r.ra_deg);
  }
  CHECK(types.size() == 10);
  CHECK(ids.size() == d.rows.size());
  CHECK(cepii > 0);  // the CEPII -> CEP merge has something to do
}

TEST_CASE("the period-only baseline reads the period and nothing else") {
  std::vector<varstar::data::CatalogRow> rows(200);
  varstar::Generator gen(3);
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool ab = i % 2 == 0;
    rows[i].type = ab ? "RRab" : "RRc";
    rows[i].period = 0.2 + 0.5 * gen.next_uniform();  // the same spread for both classes
    rows[i].amp_r = ab ? 0.05 : 2.0;                   // the amplitude alone separates them
  }
  CHECK(varstar::sim::nearest_centroid_baseline(rows, 5, 1, true).accuracy_mean == 1.0);
  CHECK(varstar::sim::nearest_centroid_baseline(rows, 5, 1, false).accuracy_mean < 0.7);  // about chance
  for (size_t i = 0; i < rows.size(); ++i) rows[i].period = (i % 2 == 0 ? 0.5 : 0.3) + 0.1 * gen.next_uniform();
  CHECK(varstar::sim::nearest_centroid_baseline(rows, 5, 1, false).accuracy_mean == 1.0);
}

TEST_CASE("classes overlap: a period/amplitude baseline is informative but far from perfect") {
  varstar::sim::SimOptions o;
  o.stars_per_class = 300;
  o.seed = 8;
  const auto d = varstar::sim::simulate(o);
  const auto b = varstar::sim::nearest_centroid_baseline(d.rows, 5, 1);
  MESSAGE("nearest-centroid baseline accuracy: " << b.accuracy_mean);
  CHECK(b.accuracy_mean < kMaxBaselineAccuracy);
  CHECK(b.accuracy_mean > kMinBaselineAccuracy);
  int64_t kept = 0;
  for (const auto& r : d.rows) kept += varstar::sim::passes_thesis_filters(r);
  const double share = static_cast<double>(kept) / d.rows.size();
  MESSAGE("share kept by the thesis filters: " << share);
  CHECK(share > kMinKeptByFilters);
  CHECK(share < kMaxKeptByFilters);
  int noisy = 0;
  for (size_t i = 0; i < d.rows.size(); ++i) noisy += d.generating_class[i] != d.label_class[i];
  CHECK(noisy > 0);  // some labels are wrong, as in the real catalog
}
