#pragma once
// dm-dt binning math shared by the CPU and CUDA kernels: an exact bin lookup
// for irregular edges (the thesis's and Mahabal et al. 2017's) that costs a
// table load and one or two comparisons instead of a binary search.
//
// Semantics are NumPy's histogram ones: bin i holds edges[i] <= x < edges[i+1],
// the last bin also holds x == edges[last]; x outside [edges[0], edges[last]]
// or NaN has no bin (-1).
//
// How the lookup works: x is mapped to a cell of a small table, either
// uniformly (cell = (x - lo) * inv_width) or, for positive edges spanning
// decades, by the top bits of its IEEE-754 pattern (exponent and a few mantissa
// bits: a monotone, logarithmic bucketing). The table holds a candidate bin for
// each cell; the result is then corrected by comparing x with the exact edges,
// so it is exact whatever rounding the cell computation suffers. With at most
// one edge per cell (the builder aims for it) that is one or two comparisons.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/common.h"

namespace varstar {

inline constexpr int kDmdtMaxEdges = 32;
inline constexpr int kDmdtTableSize = 256;
inline constexpr int kDmdtMaxGeometries = 2;

enum class BinLookupKind : int32_t { uniform = 0, log_bits = 1 };

struct BinLookup {
  int32_t n_edges = 0;                      // bins = n_edges - 1
  BinLookupKind kind = BinLookupKind::uniform;
  int32_t table_size = 0;
  int32_t shift = 0;                        // log_bits: cell = (bits(x) >> shift) - key_lo
  int64_t key_lo = 0;
  double lo = 0, inv_width = 0;             // uniform: cell = (x - lo) * inv_width
  double edges[kDmdtMaxEdges] = {};
  uint8_t table[kDmdtTableSize] = {};       // candidate bin per cell
};

// One dm-dt image: a dt axis, a dm axis, and whether dm is folded to |dm|.
struct DmdtGeometry {
  BinLookup dt;
  BinLookup dm;
  int32_t abs_dm = 0;
};

// Up to kDmdtMaxGeometries images computed from the same pairs in one pass.
struct DmdtPlan {
  int32_t n_geometries = 0;
  DmdtGeometry geometry[kDmdtMaxGeometries];
};

VARSTAR_HD int bin_count(const BinLookup& l) { return l.n_edges - 1; }
VARSTAR_HD int dmdt_image_size(const DmdtGeometry& g) { return bin_count(g.dm) * bin_count(g.dt); }
VARSTAR_HD int dmdt_plan_size(const DmdtPlan& p) {
  int n = 0;
  for (int i = 0; i < p.n_geometries; ++i) n += dmdt_image_size(p.geometry[i]);
  return n;
}

VARSTAR_HD int64_t double_bits(double x) {
#if defined(__CUDA_ARCH__)
  return __double_as_longlong(x);
#else
  int64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return bits;
#endif
}

// Cell of x in the lookup table (x already known to lie within the edges).
VARSTAR_HD int bin_lookup_cell(const BinLookup& l, double x) {
  int64_t cell;
  if (l.kind == BinLookupKind::log_bits) {
    cell = (double_bits(x) >> l.shift) - l.key_lo;
  } else {
    cell = static_cast<int64_t>((x - l.lo) * l.inv_width);
  }
  if (cell < 0) cell = 0;
  if (cell >= l.table_size) cell = l.table_size - 1;
  return static_cast<int>(cell);
}

// The bin of x, known to lie within edges[0..last], from any guess b in
// [0, last): exact comparisons with the edges move it into place.
VARSTAR_HD int bin_from_guess(const double* edges, int last, double x, int b) {
  while (b > 0 && x < edges[b]) --b;
  while (b < last - 1 && x >= edges[b + 1]) ++b;
  return b;
}

// Bin of x (NumPy histogram semantics), -1 when outside the edges or NaN.
VARSTAR_HD int bin_lookup(const BinLookup& l, double x) {
  const int last = l.n_edges - 1;
  if (!(x >= l.edges[0] && x <= l.edges[last])) return -1;
  return bin_from_guess(l.edges, last, x, l.table[bin_lookup_cell(l, x)]);
}

// A lookup's scalars held in registers, for loops that also write memory
// (a GPU's shared histogram could alias the plan, forcing reloads); the edges
// and table stay where the lookup lives. `bin` equals bin_lookup: the cell is
// only a first guess (float arithmetic, or the high word of a log_bits key),
// and the exact edge comparisons that follow correct any guess.
struct RegisterLookup {
  const BinLookup* l;
  double lo_edge, hi_edge;
  float lo, inv_width, max_cell;
  int32_t last, shift_hi, key_lo;
  bool log;

  VARSTAR_HD explicit RegisterLookup(const BinLookup& lookup)
      : l(&lookup), lo_edge(lookup.edges[0]), hi_edge(lookup.edges[lookup.n_edges - 1]),
        lo(static_cast<float>(lookup.lo)), inv_width(static_cast<float>(lookup.inv_width)),
        max_cell(static_cast<float>(lookup.table_size - 1)), last(lookup.n_edges - 1),
        // log_bits keys come from a shift of 44 or more (make_bin_lookup keeps
        // at most 8 mantissa bits), so the high 32 bits hold them
        shift_hi(lookup.shift - 32), key_lo(static_cast<int32_t>(lookup.key_lo)),
        log(lookup.kind == BinLookupKind::log_bits) {}

  VARSTAR_HD int bin(double x) const {
    if (!(x >= lo_edge && x <= hi_edge)) return -1;
    int cell;
    if (log) {
      cell = (static_cast<int32_t>(double_bits(x) >> 32) >> shift_hi) - key_lo;
      cell = cell < 0 ? 0 : (cell > static_cast<int>(max_cell) ? static_cast<int>(max_cell) : cell);
    } else {
      // clamped in float before the conversion: defined for any finite edges
      const float c = (static_cast<float>(x) - lo) * inv_width;
      cell = static_cast<int>(fminf(fmaxf(c, 0.0f), max_cell));
    }
    return bin_from_guess(l->edges, last, x, l->table[cell]);
  }
};

// ---- The walk along a row (CUDA kernel variants; the tests run it on the CPU)
//
// For a fixed earlier point i the partners j > i come in increasing time, so
// along any increasing sequence of j the dt only grows and its bin on a dt
// axis only moves up: after one lookup for its first pair, a walker finds the
// bin by comparing dt with the next bound (one comparison per pair, mostly).

// State 0: below the first edge; k = 1..n_bins: in bin k - 1; n_bins + 1:
// above the last edge (which belongs to the last bin, as in NumPy).
struct DtWalker {
  const double* edges;
  int32_t state = 0, last = 0;
  double next = 0;  // the dt at which the state moves up

  // Starts at the state of `dt` (not NaN), found by the table lookup.
  VARSTAR_HD DtWalker(const BinLookup& l, double dt) : edges(l.edges), last(l.n_edges - 1) {
    const int b = bin_lookup(l, dt);
    set_state(b >= 0 ? b + 1 : (dt < edges[0] ? 0 : last + 1));
  }
  VARSTAR_HD void set_state(int s) {
    state = s;
    next = s < last ? edges[s] : (s == last ? nextafter(edges[last], INFINITY) : INFINITY);
  }
  // dt: not below the previous call's (times sorted), not NaN.
  VARSTAR_HD void advance(double dt) {
    while (state <= last && dt >= next) set_state(state + 1);
  }
  VARSTAR_HD bool in_range() const { return state >= 1 && state <= last; }
  VARSTAR_HD bool past_last_edge() const { return state > last; }
  VARSTAR_HD int bin() const { return state - 1; }
};

// One geometry's part of a lane's walk: its dt walker, its dm lookup in
// registers and where its image starts.
struct GeometryWalk {
  DtWalker dt;
  RegisterLookup dm;
  bool abs_dm;
  int offset;

  VARSTAR_HD GeometryWalk(const DmdtGeometry& g, int image_offset, double first_dt)
      : dt(g.dt, first_dt), dm(g.dm), abs_dm(g.abs_dm != 0), offset(image_offset) {}

  // Counts the pair if binned; true once dt is past the last edge.
  template <class Count>
  VARSTAR_HD bool add(double dt_value, double dm_signed, Count& count) {
    dt.advance(dt_value);
    if (dt.in_range()) {
      const int bm = dm.bin(abs_dm ? fabs(dm_signed) : dm_signed);
      if (bm >= 0) count(offset + bm * dt.last + dt.bin());
    }
    return dt.past_last_edge();
  }
};

// The pairs (i, j) of one lane, j = first, first + stride, ... < end, of a
// series sorted by time (finite times): calls count(flat bin of the plan's
// images) for every binned pair of every geometry. The lane stops once dt is
// past the last edge of every geometry. Pairs with dt > 0 are counted by row
// (dmdt_row_pairs), not here.
static_assert(kDmdtMaxGeometries == 2, "dmdt_walk_lane walks one or two geometries");
template <class Count>
VARSTAR_HD void dmdt_walk_lane(const DmdtPlan& plan, const double* t, const double* m, int64_t i, int64_t first,
                               int64_t end, int64_t stride, Count&& count) {
  if (first >= end) return;
  const double ti = t[i], mi = m[i], first_dt = t[first] - ti;
  const bool two = plan.n_geometries > 1;
  GeometryWalk g0(plan.geometry[0], 0, first_dt);
  GeometryWalk g1(plan.geometry[two ? 1 : 0], dmdt_image_size(plan.geometry[0]), first_dt);
  for (int64_t j = first; j < end; j += stride) {
    const double dt = t[j] - ti, dm_signed = m[j] - mi;
    const bool past0 = g0.add(dt, dm_signed, count);
    const bool past1 = !two || g1.add(dt, dm_signed, count);
    if (past0 && past1) return;
  }
}

// Partners j > i with t[j] > t[i] in a sorted series: every later point but
// the run of equal times right after i.
VARSTAR_HD int64_t dmdt_row_pairs(const double* t, int64_t n, int64_t i) {
  int64_t j = i + 1;
  while (j < n && t[j] <= t[i]) ++j;
  return n - j;
}

// Reference lookup used by tests: a linear scan with the same semantics.
VARSTAR_HD int bin_lookup_scan(const double* edges, int n_edges, double x) {
  const int last = n_edges - 1;
  if (!(x >= edges[0] && x <= edges[last])) return -1;
  int b = 0;
  while (b < last - 1 && x >= edges[b + 1]) ++b;
  return b;
}

}  // namespace varstar
