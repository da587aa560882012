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

// Bin of x (NumPy histogram semantics), -1 when outside the edges or NaN.
VARSTAR_HD int bin_lookup(const BinLookup& l, double x) {
  const int last = l.n_edges - 1;
  if (!(x >= l.edges[0] && x <= l.edges[last])) return -1;
  int b = l.table[bin_lookup_cell(l, x)];
  while (b > 0 && x < l.edges[b]) --b;
  while (b < last - 1 && x >= l.edges[b + 1]) ++b;
  return b;
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
