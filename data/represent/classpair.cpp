// dmdt-thesis-classpair: the thesis scripts' 2D-CNN input, reproduced
// faithfully (calculate_pairwise_differences in the authors' 2D-CNN scripts).
// For star i of a group (same label, same split, in row order), with o(q) the
// q-th OTHER member of the group:
//   dm list = [|Ag_i - Ag_o(0)|, |Ar_i - Ar_o(0)|, |Ag_i - Ag_o(1)|, ...]  (2(n-1) values)
//   dt list = [|P_i - P_o(0)|, |P_i - P_o(1)|, ...]                        (n-1 values)
//   both truncated to the shorter (n-1): pair k is (dt[k], dm[k]) - so dt of
//   star o(k) meets the g or r amplitude difference of star o(k/2). This is
//   what the scripts compute (the text describes all g and r differences);
//   we reproduce it, it is documented in docs/REPRESENTATIONS.md.
//   np.histogram2d(dt, dm, bins=[thesis dt edges, thesis dm edges]) -> 22 x 11,
//   / max * 255 (when max > 0), skimage resize to 90 x 53, repeated to 3 channels.
// The image depends on the labels of the star itself: uses_labels = true.
#include <algorithm>
#include <cmath>
#include <map>

#include "data/represent/modes.h"
#include "data/represent/resize.h"
#include "engine/error.h"
#include "kernels/dmdt.h"

namespace varstar::data::repr {

namespace {

constexpr int kOutHeight = 90, kOutWidth = 53, kChannels = 3;
constexpr double kScale = 255.0;

}  // namespace

void build_classpair(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows,
                     std::span<const int32_t> labels, std::span<const int32_t> split_of,
                     const RepresentationProgress& progress, RepresentationBatch& out) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const int out_h = spec.image_height > 0 ? spec.image_height : kOutHeight;
  const int out_w = spec.image_width > 0 ? spec.image_width : kOutWidth;
  const BinLookup dt_lookup = make_bin_lookup(thesis_dt_edges());
  const BinLookup dm_lookup = make_bin_lookup(thesis_dm_edges());
  const int n_dt = bin_count(dt_lookup), n_dm = bin_count(dm_lookup);

  // Groups in row order: (split, label) -> member rows.
  std::map<std::pair<int32_t, int32_t>, std::vector<int64_t>> groups;
  for (int64_t i = 0; i < n; ++i) groups[{split_of.empty() ? 0 : split_of[i], labels[i]}].push_back(i);

  out.sample_shape = {kChannels, out_h, out_w};
  const int64_t plane = static_cast<int64_t>(out_h) * out_w;
  out.values.assign(static_cast<size_t>(n * kChannels * plane), 0.0f);
  int64_t done = 0;
  for (const auto& group : groups) {
    const auto& members = group.second;  // (clang 14: no structured bindings inside omp parallel for)
    const int64_t g = static_cast<int64_t>(members.size());
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t a = 0; a < g; ++a) {
      const CatalogRow& star = rows[members[a]];
      std::vector<double> grid(static_cast<size_t>(n_dt) * n_dm, 0.0);
      // Pair k = 0 .. g-2: dt of the k-th other star, dm entry k of the interleaved list.
      auto other = [&](int64_t q) { return members[q < a ? q : q + 1]; };
      for (int64_t k = 0; k + 1 < g; ++k) {
        const double dt = std::abs(star.period - rows[other(k)].period);
        const CatalogRow& dm_star = rows[other(k / 2)];
        const double dm = k % 2 == 0 ? std::abs(star.amp_g - dm_star.amp_g) : std::abs(star.amp_r - dm_star.amp_r);
        const int bt = bin_lookup(dt_lookup, dt), bm = bin_lookup(dm_lookup, dm);
        if (bt >= 0 && bm >= 0) grid[static_cast<size_t>(bt) * n_dm + bm] += 1.0;
      }
      const double peak = *std::max_element(grid.begin(), grid.end());
      if (peak > 0)
        for (double& v : grid) v = (v / peak) * kScale;
      const std::vector<double> image = resize_skimage(grid, n_dt, n_dm, out_h, out_w);
      float* dst = &out.values[static_cast<size_t>(members[a] * kChannels * plane)];
      for (int c = 0; c < kChannels; ++c)
        for (int64_t p = 0; p < plane; ++p) dst[c * plane + p] = static_cast<float>(image[p]);
    }
    done += g;
    if (progress) progress("class-pair images", done, n);
  }
  out.description["construction"] =
      "thesis scripts: same class and split, dm = |dAmp_g|,|dAmp_r| interleaved and truncated to n-1, "
      "dt = |dPer|, histogram2d(dt, dm) x255/max, skimage resize, 3 equal channels";
  out.description["groups"] = static_cast<int64_t>(groups.size());
  out.notes.push_back(kClasspairWarning);
}

}  // namespace varstar::data::repr
