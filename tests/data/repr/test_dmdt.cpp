// dm-dt binning: the exact bin lookup on edge cases, a hand-computed 4-point
// light curve, the fast CPU path against the naive loop, and both against
// NumPy's histogram2d (scripts/reference_representations.py).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "data/represent/represent.h"
#include "kernels/dmdt.h"
#include "reference.h"

namespace {

// Values exactly on, just below and just above every edge, outside the range,
// NaN, infinities and random values: the table lookup must equal the scan.
void check_lookup_exhaustive(const std::vector<double>& edges) {
  const varstar::BinLookup l = varstar::make_bin_lookup(edges);
  std::vector<double> xs;
  for (double e : edges) {
    xs.push_back(e);
    xs.push_back(std::nextafter(e, -1e300));
    xs.push_back(std::nextafter(e, 1e300));
  }
  xs.push_back(std::numeric_limits<double>::quiet_NaN());
  xs.push_back(std::numeric_limits<double>::infinity());
  xs.push_back(-std::numeric_limits<double>::infinity());
  xs.push_back(-0.0);
  xs.push_back(1e-300);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(edges.front() - 1, edges.back() + 1);
  std::uniform_real_distribution<double> lg(-3, 4);
  for (int i = 0; i < 200000; ++i) xs.push_back(i % 2 ? u(rng) : std::pow(10.0, lg(rng)) * (i % 4 == 1 ? -1 : 1));
  const varstar::RegisterLookup registers(l);
  int mismatches = 0, register_mismatches = 0;
  for (double x : xs) {
    const int expected = varstar::bin_lookup_scan(edges.data(), static_cast<int>(edges.size()), x);
    mismatches += varstar::bin_lookup(l, x) != expected;
    register_mismatches += registers.bin(x) != expected;
  }
  CHECK(mismatches == 0);
  CHECK(register_mismatches == 0);
}

struct Series {
  std::vector<double> t, m;
  std::vector<int64_t> offsets = {0};
  int64_t count() const { return static_cast<int64_t>(offsets.size()) - 1; }
};

// Random sorted series of 0..301 points: times on a 1/8-day grid (repeated
// times and dt on the thesis's edges happen), magnitudes partly on dm edges.
Series random_series(uint64_t seed, double span) {
  std::mt19937_64 rng(seed);
  Series s;
  for (int k = 0; k < 23; ++k) {
    const int n = k == 0 ? 0 : (k * 37) % 301 + 1;
    std::vector<double> ts(n);
    std::uniform_real_distribution<double> when(0, span), mag(-9, 9);
    for (auto& x : ts) x = std::round(when(rng) * 8) / 8;
    std::sort(ts.begin(), ts.end());
    for (int i = 0; i < n; ++i) {
      s.t.push_back(ts[i]);
      s.m.push_back(i % 5 == 0 ? std::round(mag(rng) * 10) / 10 : mag(rng) * 0.3);
    }
    s.offsets.push_back(static_cast<int64_t>(s.t.size()));
  }
  return s;
}

varstar::DmdtPlan thesis_and_mahabal_plan() {
  varstar::DmdtPlan plan;
  plan.n_geometries = 2;
  plan.geometry[0] = varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  plan.geometry[1] = varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  return plan;
}

}  // namespace

TEST_CASE("bin lookup: values on edges, outside the range, NaN") {
  const auto& dt = varstar::thesis_dt_edges();
  const auto l = varstar::make_bin_lookup(dt);
  CHECK(varstar::bin_lookup(l, 1.0 / 145) == 0);                           // first edge: first bin
  CHECK(varstar::bin_lookup(l, std::nextafter(1.0 / 145, 0.0)) == -1);     // just below: no bin
  CHECK(varstar::bin_lookup(l, 1.5) == 6);                                 // on an inner edge: the bin above
  CHECK(varstar::bin_lookup(l, std::nextafter(1.5, 0.0)) == 5);
  CHECK(varstar::bin_lookup(l, 4000.0) == 21);                             // last edge: last bin (NumPy)
  CHECK(varstar::bin_lookup(l, std::nextafter(4000.0, 1e9)) == -1);
  CHECK(varstar::bin_lookup(l, 0.0) == -1);
  CHECK(varstar::bin_lookup(l, std::numeric_limits<double>::quiet_NaN()) == -1);
  CHECK(l.kind == varstar::BinLookupKind::log_bits);
  const auto m = varstar::make_bin_lookup(varstar::mahabal_dm_edges());
  CHECK(varstar::bin_lookup(m, 0.0) == 11);
  CHECK(varstar::bin_lookup(m, -0.0) == 11);                               // -0 == 0, as in NumPy
  CHECK(varstar::bin_lookup(m, -8.0) == 0);
  CHECK(varstar::bin_lookup(m, 8.0) == 21);
  CHECK(varstar::bin_lookup(m, -0.1) == 10);
  CHECK(varstar::bin_lookup(m, std::nextafter(-0.1, 0.0)) == 10);
  CHECK(varstar::bin_lookup(m, std::nextafter(-0.1, -1.0)) == 9);
  CHECK(m.kind == varstar::BinLookupKind::uniform);
}

TEST_CASE("bin lookup equals a linear scan on every edge set") {
  check_lookup_exhaustive(varstar::thesis_dt_edges());
  check_lookup_exhaustive(varstar::thesis_dm_edges());
  check_lookup_exhaustive(varstar::mahabal_dt_edges());
  check_lookup_exhaustive(varstar::mahabal_dm_edges());
  check_lookup_exhaustive({-3, -1, 0.5, 0.50001, 2, 1e4});  // uneven gaps
  check_lookup_exhaustive({1e-6, 1e-3, 1, 1e3, 1e6, 1e9});   // many decades
}

TEST_CASE("bin lookup rejects bad edges") {
  CHECK_THROWS(varstar::make_bin_lookup({1.0}));
  CHECK_THROWS(varstar::make_bin_lookup({1.0, 1.0}));
  CHECK_THROWS(varstar::make_bin_lookup({0.0, std::numeric_limits<double>::quiet_NaN()}));
}

TEST_CASE("dm-dt of a hand-computed 4-point light curve") {
  // t = 0, 0.5, 2, 10; m = 15, 15.25, 14.5, 15.0625 (all exact in binary).
  // Pairs (later - earlier): dt 0.5 dm +0.25 | dt 2 dm -0.5 | dt 10 dm +0.0625 |
  //                          dt 1.5 dm -0.75 | dt 9.5 dm -0.1875 | dt 8 dm +0.5625
  const std::vector<double> t = {0, 0.5, 2, 10}, m = {15, 15.25, 14.5, 15.0625};
  const std::vector<int64_t> offsets = {0, 4};
  varstar::DmdtPlan plan;
  plan.n_geometries = 2;
  plan.geometry[0] = varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  plan.geometry[1] = varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  const int size = varstar::dmdt_plan_size(plan);
  REQUIRE(size == 11 * 22 + 22 * 23);
  std::vector<uint32_t> counts(size, 99);
  int64_t pairs = -1;
  varstar::cpu::dmdt_histogram_forward(plan, t.data(), m.data(), offsets.data(), 1, counts.data(), &pairs);
  CHECK(pairs == 6);
  std::vector<uint32_t> expected(size, 0);
  auto thesis = [&](int dm, int dt) -> uint32_t& { return expected[dm * 22 + dt]; };
  auto mahabal = [&](int dm, int dt) -> uint32_t& { return expected[11 * 22 + dm * 23 + dt]; };
  // Thesis: |dm| bins 0.25->2, 0.5->4, 0.0625->0, 0.75->4, 0.1875->1, 0.5625->4;
  //         dt bins 0.5->5, 2->6, 10->12, 1.5->6 (on the edge), 9.5->11, 8->11.
  thesis(2, 5) = 1;
  thesis(4, 6) = 2;
  thesis(0, 12) = 1;
  thesis(1, 11) = 1;
  thesis(4, 11) = 1;
  // Mahabal: signed dm bins +0.25->13, -0.5->7, +0.0625->11, -0.75->6, -0.1875->9, +0.5625->15;
  //          dt bins 0.5->6, 2->7, 10->13, 1.5->7, 9.5->12, 8->12.
  mahabal(13, 6) = 1;
  mahabal(7, 7) = 1;
  mahabal(11, 13) = 1;
  mahabal(6, 7) = 1;
  mahabal(9, 12) = 1;
  mahabal(15, 12) = 1;
  CHECK(counts == expected);
}

TEST_CASE("dm-dt fast path equals the naive loop on random series") {
  const Series s = random_series(11, 3000);
  const int64_t n_series = s.count();
  const varstar::DmdtPlan plan = thesis_and_mahabal_plan();
  const int size = varstar::dmdt_plan_size(plan);
  std::vector<uint32_t> fast(n_series * size), naive(n_series * size);
  std::vector<int64_t> pf(n_series), pn(n_series);
  varstar::cpu::dmdt_histogram_forward(plan, s.t.data(), s.m.data(), s.offsets.data(), n_series, fast.data(),
                                       pf.data());
  varstar::cpu::dmdt_histogram_naive(plan, s.t.data(), s.m.data(), s.offsets.data(), n_series, naive.data(),
                                     pn.data());
  CHECK(fast == naive);
  CHECK(pf == pn);
}

// The CUDA walk variant's loop (dmdt_walk_lane, dmdt_row_pairs) run here as a
// warp would run it: every row, every lane of `stride`.
TEST_CASE("dm-dt lane walk equals the naive loop, as a warp of any width runs it") {
  // Spans past the last edge (4000 d) too, so lanes stop early and dt lands on it.
  for (double span : {3000.0, 9000.0}) {
    const Series s = random_series(span == 3000 ? 12 : 13, span);
    for (int geometries : {1, 2}) {
      varstar::DmdtPlan plan = thesis_and_mahabal_plan();
      if (geometries == 1) plan.geometry[0] = plan.geometry[1];  // Mahabal alone: signed dm
      plan.n_geometries = geometries;
      const int size = varstar::dmdt_plan_size(plan);
      std::vector<uint32_t> naive(s.count() * size);
      std::vector<int64_t> naive_pairs(s.count());
      varstar::cpu::dmdt_histogram_naive(plan, s.t.data(), s.m.data(), s.offsets.data(), s.count(), naive.data(),
                                         naive_pairs.data());
      // lanes: interleaved partners (lane l takes j = i + 1 + l, + lanes, ...)
      // or contiguous chunks of ceil((n - i - 1) / lanes) partners
      for (const bool chunked : {false, true})
        for (int lanes : {1, 7, 32}) {
          std::vector<uint32_t> walked(naive.size(), 0);
          std::vector<int64_t> pairs(naive_pairs.size(), 0);
          for (int64_t k = 0; k < s.count(); ++k) {
            const double* t = s.t.data() + s.offsets[k];
            const double* m = s.m.data() + s.offsets[k];
            const int64_t n = s.offsets[k + 1] - s.offsets[k];
            uint32_t* hist = walked.data() + k * size;
            auto count = [&](int bin) {
              REQUIRE(bin >= 0);
              REQUIRE(bin < size);
              ++hist[bin];
            };
            for (int64_t i = 0; i + 1 < n; ++i) {
              pairs[k] += varstar::dmdt_row_pairs(t, n, i);
              const int64_t chunk = (n - i - 1 + lanes - 1) / lanes;
              for (int lane = 0; lane < lanes; ++lane) {
                if (chunked) {
                  const int64_t first = i + 1 + lane * chunk;
                  varstar::dmdt_walk_lane(plan, t, m, i, first, std::min(n, first + chunk), 1, count);
                } else {
                  varstar::dmdt_walk_lane(plan, t, m, i, i + 1 + lane, n, lanes, count);
                }
              }
            }
          }
          CAPTURE(span);
          CAPTURE(geometries);
          CAPTURE(chunked);
          CAPTURE(lanes);
          CHECK(walked == naive);
          CHECK(pairs == naive_pairs);
        }
    }
  }
}

TEST_CASE("dm-dt walker: on every edge, just below and just above it") {
  const auto& edges = varstar::thesis_dt_edges();
  const varstar::BinLookup l = varstar::make_bin_lookup(edges);
  std::vector<double> dts = {0.0};
  for (double e : edges)
    for (double x : {std::nextafter(e, 0.0), e, std::nextafter(e, 1e9)}) dts.push_back(x);
  dts.push_back(1e300);
  dts.push_back(std::numeric_limits<double>::infinity());
  // Started at each value, and one walker carried along from the first.
  varstar::DtWalker carried(l, dts.front());
  for (double dt : dts) {
    const varstar::DtWalker fresh(l, dt);
    carried.advance(dt);
    const int expected = varstar::bin_lookup_scan(edges.data(), static_cast<int>(edges.size()), dt);
    CAPTURE(dt);
    CHECK((fresh.in_range() ? fresh.bin() : -1) == expected);
    CHECK((carried.in_range() ? carried.bin() : -1) == expected);
    CHECK(fresh.past_last_edge() == (dt > edges.back()));
  }
}

TEST_CASE("dm-dt counts equal NumPy histogram2d over all pairs") {
  const auto& series = varstar::test::reference_manifest()["lightcurve_series"];
  const auto& ref_pairs = varstar::test::reference_manifest()["lightcurve_pairs"];
  const auto thesis = varstar::test::reference_array("lightcurve_thesis");
  const auto mahabal = varstar::test::reference_array("lightcurve_mahabal");
  std::vector<double> t, m;
  std::vector<int64_t> offsets = {0};
  for (const auto& s : series) {
    for (double x : s["t"]) t.push_back(x);
    for (double x : s["m"]) m.push_back(x);
    offsets.push_back(static_cast<int64_t>(t.size()));
  }
  const int64_t n_series = static_cast<int64_t>(series.size());
  varstar::DmdtPlan plan;
  plan.n_geometries = 2;
  plan.geometry[0] = varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  plan.geometry[1] = varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  const int size = varstar::dmdt_plan_size(plan);
  std::vector<uint32_t> counts(n_series * size);
  std::vector<int64_t> pairs(n_series);
  varstar::cpu::dmdt_histogram_forward(plan, t.data(), m.data(), offsets.data(), n_series, counts.data(), pairs.data());
  int mismatches = 0;
  for (int64_t s = 0; s < n_series; ++s) {
    CHECK(pairs[s] == ref_pairs[s].get<int64_t>());
    for (int b = 0; b < 11 * 22; ++b)
      mismatches += counts[s * size + b] != static_cast<uint32_t>(thesis[s * 11 * 22 + b]);
    for (int b = 0; b < 22 * 23; ++b)
      mismatches += counts[s * size + 11 * 22 + b] != static_cast<uint32_t>(mahabal[s * 22 * 23 + b]);
  }
  CHECK(mismatches == 0);
}
