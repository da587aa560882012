#pragma once
// dm-dt histograms of many light-curve series (one band of one star each):
// for every pair i < j of a series with t[j] > t[i], dt = t[j] - t[i] and
// dm = m[j] - m[i] (later minus earlier; |dm| when the geometry folds it) are
// binned into each geometry's image (kernels/dmdt_math.h). Pairs outside the
// edges are not counted. Images are raw counts; normalisation is the caller's.
//
//   plan:    up to kDmdtMaxGeometries geometries (build with make_dmdt_geometry)
//   t, m:    (total_points) double; series s is [offsets[s], offsets[s+1]),
//            sorted by time (non-decreasing) - a precondition, not checked
//   offsets: (n_series + 1) int64
//   counts:  (n_series, dmdt_plan_size(plan)) uint32; per series the images of
//            geometry 0, 1, ... each (n_dm_bins, n_dt_bins) row-major
//   n_pairs: (n_series) int64, number of pairs with dt > 0 (in range or not)
// The CUDA twin takes device pointers, zeroes counts and n_pairs itself, and
// runs on `stream` (one block row per series, shared-memory histograms).
// Bench: bench/dmdt_vs_lightcurve.py (CPU, against the light-curve package).
#include <vector>

#include "kernels/common.h"
#include "kernels/dmdt_math.h"

namespace varstar {

// Builds an exact lookup for strictly increasing edges (2..kDmdtMaxEdges).
// Throws varstar::Error on bad edges.
BinLookup make_bin_lookup(const std::vector<double>& edges);
DmdtGeometry make_dmdt_geometry(const std::vector<double>& dt_edges, const std::vector<double>& dm_edges, bool abs_dm);

// The thesis scripts' edges (THESIS.md) and Mahabal et al. 2017's.
const std::vector<double>& thesis_dt_edges();    // 23 edges, 1/145 .. 4000 d
const std::vector<double>& thesis_dm_edges();    // 12 edges, 0 .. 8 mag (for |dm|)
const std::vector<double>& mahabal_dt_edges();   // 24 edges, 1/145 .. 4000 d
const std::vector<double>& mahabal_dm_edges();   // 23 edges, -8 .. 8 mag (signed dm)

}  // namespace varstar

namespace varstar::cpu {
void dmdt_histogram_forward(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                            int64_t n_series, uint32_t* counts, int64_t* n_pairs);
// Straight loop over all pairs with bin_lookup_scan: the reference the tests
// hold the fast path to.
void dmdt_histogram_naive(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                          int64_t n_series, uint32_t* counts, int64_t* n_pairs);
}  // namespace varstar::cpu

namespace varstar::cuda {
void dmdt_histogram_forward(const DmdtPlan& plan, const double* t, const double* m, const int64_t* offsets,
                            int64_t n_series, int64_t max_series_length, uint32_t* counts, int64_t* n_pairs,
                            cuda_stream stream);
}  // namespace varstar::cuda
