// CPU dm-dt histograms (kernels/dmdt.h) and the lookup-table builder.
// Fast path, per series and geometry: times are sorted, so for a fixed i the
// dt of j = i+1, i+2, ... never decreases; the partners are walked in runs of
// one dt bin (one comparison per pair finds the run's end, exactly), each run
// is a tight loop of dm lookups (the table of kernels/dmdt_math.h) whose counts
// go to four private sub-histograms in turn, so that consecutive pairs in the
// same bin do not wait on each other's increments; the walk stops at the last
// dt edge. Series are spread over OpenMP threads (dynamic, one series at a
// time; results do not depend on the schedule).
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
  VARSTAR_CHECK(dt_edges.front() > 0, "dm-dt: the first dt edge must be positive (pairs need dt > 0), got {}",
                dt_edges.front());
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

constexpr int kHistogramLanes = 4;  // private sub-histograms: consecutive pairs rarely hit the same counter
constexpr int kMaxImage = (kDmdtMaxEdges - 1) * (kDmdtMaxEdges - 1);

// The dm lookup of kernels/dmdt_math.h (bin_lookup) with its fields held in a
// local copy: the counters are uint32_t, which may alias the lookup's int32
// fields, so reading them through the plan would force reloads after every
// increment.
struct LocalLookup {
  int last;
  double lo_edge, hi_edge, lo, inv_width;
  int shift;
  int64_t key_lo, max_cell;
  double edges[kDmdtMaxEdges];
  uint8_t table[kDmdtTableSize];
  explicit LocalLookup(const BinLookup& l)
      : last(l.n_edges - 1), lo_edge(l.edges[0]), hi_edge(l.edges[l.n_edges - 1]), lo(l.lo),
        inv_width(l.inv_width), shift(l.shift), key_lo(l.key_lo), max_cell(l.table_size - 1) {
    std::copy(l.edges, l.edges + l.n_edges, edges);
    std::copy(l.table, l.table + l.table_size, table);
  }
};

// Pairs (i, j0..j1) of one dt bin: dm bin lookup and count, spread over lanes.
template <bool kAbs, bool kLog>
inline void count_run(const LocalLookup& d, const double* m, int64_t j0, int64_t j1, double mi, int dt_bin,
                      int n_dt, uint32_t* lanes) {
  uint32_t* base = lanes + dt_bin;
  for (int64_t j = j0; j < j1; ++j) {
    double x = m[j] - mi;
    if constexpr (kAbs) x = std::fabs(x);
    if (!(x >= d.lo_edge && x <= d.hi_edge)) continue;
    int64_t cell = kLog ? (double_bits(x) >> d.shift) - d.key_lo : static_cast<int64_t>((x - d.lo) * d.inv_width);
    cell = cell < 0 ? 0 : (cell > d.max_cell ? d.max_cell : cell);
    const int b = bin_from_guess(d.edges, d.last, x, d.table[cell]);
    ++base[(j & (kHistogramLanes - 1)) * kMaxImage + b * n_dt];
  }
}

// One geometry of one series: for each i the partners j > i are walked in
// runs of equal dt bin (times are sorted, so dt only grows along j); a run
// ends at the first j whose dt reaches the next edge (dt itself is always
// t[j] - t[i], never t[i] + edge, so the binning is exact).
// hist: (n_dm, n_dt) of this geometry, accumulated into.
void dmdt_geometry(const DmdtGeometry& geo, const double* t, const double* m, int64_t n, uint32_t* hist,
                   uint32_t* lanes) {
  const int n_dt = bin_count(geo.dt), size = dmdt_image_size(geo);
  const double* e = geo.dt.edges;
  const LocalLookup dm(geo.dm);
  const bool log = geo.dm.kind == BinLookupKind::log_bits;
  for (int l = 0; l < kHistogramLanes; ++l) std::fill(lanes + l * kMaxImage, lanes + l * kMaxImage + size, 0u);
  for (int64_t i = 0; i + 1 < n; ++i) {
    const double ti = t[i], mi = m[i];
    int64_t j = i + 1;
    while (j < n && t[j] - ti < e[0]) ++j;  // below the first edge (dt == 0 included: e[0] > 0)
    for (int k = 0; k < n_dt && j < n; ++k) {
      int64_t end = j;
      if (k + 1 < n_dt) {
        while (end < n && t[end] - ti < e[k + 1]) ++end;
      } else {
        while (end < n && t[end] - ti <= e[k + 1]) ++end;  // the last bin holds its upper edge
      }
      if (end > j) {
        if (geo.abs_dm) {
          if (log) count_run<true, true>(dm, m, j, end, mi, k, n_dt, lanes);
          else count_run<true, false>(dm, m, j, end, mi, k, n_dt, lanes);
        } else {
          if (log) count_run<false, true>(dm, m, j, end, mi, k, n_dt, lanes);
          else count_run<false, false>(dm, m, j, end, mi, k, n_dt, lanes);
        }
      }
      j = end;
    }
  }
  for (int l = 0; l < kHistogramLanes; ++l)
    for (int b = 0; b < size; ++b) hist[b] += lanes[l * kMaxImage + b];
}

// One series; hist: (dmdt_plan_size(plan)) zeroed by the caller.
void dmdt_one_series(const DmdtPlan& plan, const double* t, const double* m, int64_t n, uint32_t* hist) {
  thread_local std::vector<uint32_t> lanes(static_cast<size_t>(kHistogramLanes) * kMaxImage);
  int o = 0;
  for (int g = 0; g < plan.n_geometries; ++g) {
    dmdt_geometry(plan.geometry[g], t, m, n, hist + o, lanes.data());
    o += dmdt_image_size(plan.geometry[g]);
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
