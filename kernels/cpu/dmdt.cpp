// CPU dm-dt histograms (kernels/dmdt.h) and the lookup-table builder.
// Fast path, per series: times are sorted, so for a fixed i the dt of
// j = i+1, i+2, ... never decreases; each geometry's dt bin is found by walking
// forward through its edges (amortised O(1), exact), the loop stops once dt
// passes every geometry's last edge, and dm goes through the table lookup of
// kernels/dmdt_math.h. Series are spread over OpenMP threads (dynamic, one
// series at a time; results do not depend on the schedule).
#include "kernels/dmdt.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.h"

namespace varstar {

BinLookup make_bin_lookup(const std::vector<double>& edges) {
  const int n = static_cast<int>(edges.size());
  VARSTAR_CHECK(n >= 2 && n <= kDmdtMaxEdges, "dm-dt edges: need 2..{} edges, got {}", kDmdtMaxEdges, n);
  for (int i = 0; i < n; ++i) VARSTAR_CHECK(std::isfinite(edges[i]), "dm-dt edges: edge {} is not finite", i);
  for (int i = 1; i < n; ++i)
    VARSTAR_CHECK(edges[i] > edges[i - 1], "dm-dt edges must increase strictly (edge {} = {} after {})", i, edges[i],
                  edges[i - 1]);
  BinLookup l;
  l.n_edges = n;
  std::copy(edges.begin(), edges.end(), l.edges);
  const double lo = edges.front(), hi = edges.back();
  bool use_log = false;
  if (lo > 0) {
    // Logarithmic bucketing by exponent + mantissa bits: the most mantissa
    // bits that keep the table within kDmdtTableSize.
    for (int mantissa_bits = 8; mantissa_bits >= 0; --mantissa_bits) {
      const int shift = 52 - mantissa_bits;
      const int64_t key_lo = double_bits(lo) >> shift, key_hi = double_bits(hi) >> shift;
      if (key_hi - key_lo + 1 <= kDmdtTableSize) {
        l.kind = BinLookupKind::log_bits;
        l.shift = shift;
        l.key_lo = key_lo;
        l.table_size = static_cast<int32_t>(key_hi - key_lo + 1);
        use_log = true;
        break;
      }
    }
  }
  if (!use_log) {
    double min_gap = hi - lo;
    for (int i = 1; i < n; ++i) min_gap = std::min(min_gap, edges[i] - edges[i - 1]);
    const double width = std::max(min_gap, (hi - lo) / kDmdtTableSize);
    l.kind = BinLookupKind::uniform;
    l.lo = lo;
    l.inv_width = 1.0 / width;
    l.table_size = static_cast<int32_t>(std::min<double>(kDmdtTableSize, std::floor((hi - lo) / width) + 1));
  }
  // Candidate of each cell: the bin of the cell's lowest value (clamped into range).
  for (int c = 0; c < l.table_size; ++c) {
    double v;
    if (use_log) {
      const int64_t bits = (l.key_lo + c) << l.shift;
      std::memcpy(&v, &bits, sizeof v);
    } else {
      v = lo + c / l.inv_width;
    }
    v = std::clamp(v, lo, hi);
    l.table[c] = static_cast<uint8_t>(bin_lookup_scan(l.edges, n, v));
  }
  return l;
}

DmdtGeometry make_dmdt_geometry(const std::vector<double>& dt_edges, const std::vector<double>& dm_edges,
                                bool abs_dm) {
  DmdtGeometry g;
  g.dt = make_bin_lookup(dt_edges);
  g.dm = make_bin_lookup(dm_edges);
  g.abs_dm = abs_dm ? 1 : 0;
  return g;
}

const std::vector<double>& thesis_dt_edges() {
  static const std::vector<double> e = {1.0 / 145, 2.0 / 145, 4.0 / 145, 1.0 / 25, 2.0 / 25, 3.0 / 25, 1.5, 2.5,
                                        3.5,       4.5,       5.5,       7,        10,       20,       30,  60,
                                        90,        120,       250,       600,      960,      2000,     4000};
  return e;
}
const std::vector<double>& thesis_dm_edges() {
  static const std::vector<double> e = {0, 0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 5, 8};
  return e;
}
const std::vector<double>& mahabal_dt_edges() {
  static const std::vector<double> e = {1.0 / 145, 2.0 / 145, 3.0 / 145, 4.0 / 145, 1.0 / 25, 2.0 / 25,
                                        3.0 / 25,  1.5,       2.5,       3.5,       4.5,      5.5,
                                        7,         10,        20,        30,        60,       90,
                                        120,       240,       600,       960,       2000,     4000};
  return e;
}
const std::vector<double>& mahabal_dm_edges() {
  static const std::vector<double> e = {-8,  -5,   -3,   -2.5, -2,  -1.5, -1, -0.5, -0.3, -0.2, -0.1, 0,
                                        0.1, 0.2,  0.3,  0.5,  1,   1.5,  2,  2.5,  3,    5,    8};
  return e;
}

}  // namespace varstar

namespace varstar::cpu {

namespace {

// Pairs with t[j] > t[i] of a sorted series: all pairs minus pairs of equal times.
int64_t positive_dt_pairs(const double* t, int64_t n) {
  int64_t pairs = n * (n - 1) / 2;
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && t[j] == t[i]) ++j;
    const int64_t g = j - i;
    pairs -= g * (g - 1) / 2;
    i = j;
  }
  return pairs;
}

// One series; hist: (dmdt_plan_size(plan)) zeroed by the caller.
void dmdt_one_series(const DmdtPlan& plan, const double* t, const double* m, int64_t n, uint32_t* hist) {
  const int ng = plan.n_geometries;
  double stop = -1e300;  // beyond every geometry's last dt edge, nothing more is binned
  int offset[kDmdtMaxGeometries], n_dt[kDmdtMaxGeometries], n_dt_edges[kDmdtMaxGeometries];
  int o = 0;
  for (int g = 0; g < ng; ++g) {
    const DmdtGeometry& geo = plan.geometry[g];
    offset[g] = o;
    o += dmdt_image_size(geo);
    n_dt[g] = bin_count(geo.dt);
    n_dt_edges[g] = geo.dt.n_edges;
    stop = std::max(stop, geo.dt.edges[geo.dt.n_edges - 1]);
  }
  for (int64_t i = 0; i + 1 < n; ++i) {
    const double ti = t[i], mi = m[i];
    int pos[kDmdtMaxGeometries] = {0, 0};  // number of dt edges <= current dt
    for (int64_t j = i + 1; j < n; ++j) {
      const double dt = t[j] - ti;
      if (dt > stop) break;
      if (!(dt > 0)) continue;
      const double dm_signed = m[j] - mi;
      for (int g = 0; g < ng; ++g) {
        const DmdtGeometry& geo = plan.geometry[g];
        int p = pos[g];
        while (p < n_dt_edges[g] && dt >= geo.dt.edges[p]) ++p;
        pos[g] = p;
        if (p == 0) continue;                                   // dt below the first edge
        const int dt_bin = p < n_dt_edges[g] ? p - 1 : (dt == geo.dt.edges[p - 1] ? n_dt[g] - 1 : -1);
        if (dt_bin < 0) continue;                               // beyond the last edge
        const double dm = geo.abs_dm ? std::fabs(dm_signed) : dm_signed;
        const int dm_bin = bin_lookup(geo.dm, dm);
        if (dm_bin < 0) continue;
        ++hist[offset[g] + dm_bin * n_dt[g] + dt_bin];
      }
    }
  }
}

}  // namespace

void dmdt_histogram_forward(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                            int64_t n_series, uint32_t* counts, int64_t* n_pairs) {
  const int size = dmdt_plan_size(plan);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t s = 0; s < n_series; ++s) {
    const int64_t begin = offsets[s], n = offsets[s + 1] - begin;
    uint32_t* hist = counts + s * size;
    std::fill(hist, hist + size, 0u);
    dmdt_one_series(plan, t + begin, m + begin, n, hist);
    n_pairs[s] = positive_dt_pairs(t + begin, n);
  }
}

void dmdt_histogram_naive(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                          int64_t n_series, uint32_t* counts, int64_t* n_pairs) {
  const int size = dmdt_plan_size(plan);
  for (int64_t s = 0; s < n_series; ++s) {
    const int64_t begin = offsets[s], end = offsets[s + 1];
    uint32_t* hist = counts + s * size;
    std::fill(hist, hist + size, 0u);
    n_pairs[s] = 0;
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = i + 1; j < end; ++j) {
        const double dt = t[j] - t[i];
        if (!(dt > 0)) continue;
        ++n_pairs[s];
        int o = 0;
        for (int g = 0; g < plan.n_geometries; ++g) {
          const DmdtGeometry& geo = plan.geometry[g];
          const double dm = geo.abs_dm ? std::fabs(m[j] - m[i]) : m[j] - m[i];
          const int bt = bin_lookup_scan(geo.dt.edges, geo.dt.n_edges, dt);
          const int bm = bin_lookup_scan(geo.dm.edges, geo.dm.n_edges, dm);
          if (bt >= 0 && bm >= 0) ++hist[o + bm * bin_count(geo.dt) + bt];
          o += dmdt_image_size(geo);
        }
      }
  }
}

}  // namespace varstar::cpu
