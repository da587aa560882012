// dmdt-lightcurve and dmdt-catalog (docs/REPRESENTATIONS.md).
//   lightcurve: each selected band of the star's own light curve, sorted by
//               time, binned over all pairs with dt > 0 (kernels/dmdt.h) with the
//               thesis edges (|dm|) and/or Mahabal et al. 2017's (signed dm).
//   catalog:    the same, for a light curve synthesised from the catalog's
//               two-harmonic model of each band, sampled at a simulated ZTF
//               cadence (data/sim/cadence.h) with ZTF-like noise; deterministic
//               per star (seed ^ hash(id)).
// Normalisation per image: fraction (count / pairs with dt > 0 in that band),
// max (count / largest count), mahabal255 (floor(255 count / pairs + 0.99999),
// Mahabal et al. 2017), counts (raw). Channels: geometry-major, band-minor.
// The binning runs on the CPU or a GPU (device_compute.h) with identical
// integer counts; everything else is host code shared by both, so the images
// are bit-identical whichever device binned them. Chunks of stars are
// pipelined: the host gathers chunk k+1 and normalises chunk k-1 while the
// device bins chunk k.
#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>

#include "data/represent/device_compute.h"
#include "data/represent/features.h"
#include "data/represent/fourier_fit.h"
#include "data/represent/modes.h"
#include "data/represent/resize.h"
#include "data/sim/cadence.h"
#include "engine/error.h"
#include "kernels/dmdt.h"
#include "kernels/harmonic_math.h"

namespace varstar::data::repr {

namespace {

constexpr int64_t kChunkStars = 512;      // stars binned per CPU kernel call (progress granularity)
constexpr int64_t kGpuChunkStars = 2048;  // stars per GPU launch: thousands of blocks, one chunk in flight
constexpr int kDefaultPoints = 150;   // dmdt-catalog: observations per band when the row has no Num_*

DmdtPlan make_plan(const std::string& edges) {
  DmdtPlan plan;
  if (edges == "thesis" || edges == "both")
    plan.geometry[plan.n_geometries++] = make_dmdt_geometry(thesis_dt_edges(), thesis_dm_edges(), true);
  if (edges == "mahabal" || edges == "both")
    plan.geometry[plan.n_geometries++] = make_dmdt_geometry(mahabal_dt_edges(), mahabal_dm_edges(), false);
  return plan;
}

// Band points of one star, sorted by time, appended to t/m.
void append_band(const LightCurve& curve, int32_t band, std::vector<double>& t, std::vector<double>& m,
                 std::vector<std::pair<double, double>>& scratch) {
  scratch.clear();
  for (size_t i = 0; i < curve.time.size(); ++i)
    if (curve.band[i] == band && std::isfinite(curve.time[i]) && std::isfinite(curve.mag[i]))
      scratch.emplace_back(curve.time[i], curve.mag[i]);
  std::stable_sort(scratch.begin(), scratch.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [tt, mm] : scratch) {
    t.push_back(tt);
    m.push_back(mm);
  }
}

// Synthesised g (band 0) and r (band 1) observations of a catalog row.
void synthesise_row(const CatalogRow& row, const RepresentationSpec& spec, std::vector<double>& t_out,
                    std::vector<double>& m_out, std::vector<int32_t>& band_out) {
  sim::Rng rng(spec.seed ^ sim::hash_id(row.id));
  const int target_g = row.num_g > 0 ? row.num_g : kDefaultPoints;
  const int target_r = row.num_r > 0 ? row.num_r : kDefaultPoints;
  const auto obs = sim::ztf_cadence(rng, target_g, target_r, row.ra_deg);
  double coeffs[2][5];
  catalog_convention_coefficients(band_g(row), coeffs[0]);
  catalog_convention_coefficients(band_r(row), coeffs[1]);
  for (const auto& o : obs) {
    double phase = (o.time - row.t0) / row.period;
    phase -= std::floor(phase);
    double mag = harmonic_eval(coeffs[o.band], 2, phase);
    if (spec.catalog_noise) mag += rng.normal() * sim::ztf_mag_error(mag, o.band);
    t_out.push_back(o.time);
    m_out.push_back(mag);
    band_out.push_back(o.band);
  }
}

void normalise(const std::string& norm, const uint32_t* counts, int size, int64_t pairs, float* out) {
  if (norm == "counts") {
    for (int b = 0; b < size; ++b) out[b] = static_cast<float>(counts[b]);
  } else if (norm == "max") {
    const uint32_t peak = *std::max_element(counts, counts + size);
    for (int b = 0; b < size; ++b) out[b] = peak > 0 ? static_cast<float>(static_cast<double>(counts[b]) / peak) : 0.0f;
  } else if (norm == "mahabal255") {
    for (int b = 0; b < size; ++b)
      out[b] = pairs > 0 ? static_cast<float>(std::floor(255.0 * counts[b] / pairs + 0.99999)) : 0.0f;
  } else {  // fraction
    for (int b = 0; b < size; ++b) out[b] = pairs > 0 ? static_cast<float>(static_cast<double>(counts[b]) / pairs) : 0.0f;
  }
}

}  // namespace

namespace {

// Runs body(i) for i in [0, n) on OpenMP threads (dynamic schedule: the
// results do not depend on it); the first exception is rethrown here.
template <class F>
void parallel_items(int64_t n, F&& body) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(varstar_dmdt_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

// The series of one chunk of stars, star-major, band-minor.
struct ChunkSeries {
  int64_t first_star = 0, end_star = 0;
  std::vector<double> t, m;        // (offsets.back())
  std::vector<int64_t> offsets;    // (n_series + 1)
};

}  // namespace

void build_dmdt(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, const LightCurveSet* curves,
                std::span<const int64_t> curve_index, std::span<const int32_t> bands, const RepresentationProgress& progress,
                Device device, RepresentationBatch& out) {
  const bool synthetic = curves == nullptr;
  const DmdtPlan plan = make_plan(spec.dmdt_edges);
  const bool resize = spec.image_height > 0;
  VARSTAR_CHECK(plan.n_geometries == 1 || resize,
                "dmdt_edges=both gives images of two sizes (11x22 and 22x23): give image_height and image_width");
  const int n_bands = synthetic ? 2 : static_cast<int>(bands.size());
  const int size = dmdt_plan_size(plan);
  const int64_t n = static_cast<int64_t>(rows.size());
  const int first_h = bin_count(plan.geometry[0].dm), first_w = bin_count(plan.geometry[0].dt);
  const int out_h = resize ? spec.image_height : first_h, out_w = resize ? spec.image_width : first_w;
  const int channels = plan.n_geometries * n_bands;
  const int64_t plane = static_cast<int64_t>(out_h) * out_w;
  out.sample_shape = {channels, out_h, out_w};
  out.values.assign(static_cast<size_t>(n * channels * plane), 0.0f);

  // Host side of a chunk: each selected band of each star, sorted by time
  // (and for dmdt-catalog first synthesised), stars in parallel.
  const auto gather = [&](int64_t first, int64_t end, ChunkSeries& c) {
    c.first_star = first;
    c.end_star = end;
    const int64_t n_series = (end - first) * n_bands;
    std::vector<std::vector<double>> ts(static_cast<size_t>(n_series)), ms(static_cast<size_t>(n_series));
    parallel_items(end - first, [&](int64_t k) {
      const int64_t s = first + k;
      std::vector<std::pair<double, double>> scratch;
      if (synthetic) {
        LightCurve lc;
        synthesise_row(rows[s], spec, lc.time, lc.mag, lc.band);
        for (int32_t b = 0; b < 2; ++b) append_band(lc, b, ts[k * 2 + b], ms[k * 2 + b], scratch);
      } else {
        const LightCurve& lc = curves->curves[curve_index[s]];
        for (int b = 0; b < n_bands; ++b) append_band(lc, bands[b], ts[k * n_bands + b], ms[k * n_bands + b], scratch);
      }
    });
    c.t.clear();
    c.m.clear();
    c.offsets.assign(1, 0);
    for (int64_t i = 0; i < n_series; ++i) {
      c.t.insert(c.t.end(), ts[i].begin(), ts[i].end());
      c.m.insert(c.m.end(), ms[i].begin(), ms[i].end());
      c.offsets.push_back(static_cast<int64_t>(c.t.size()));
    }
  };
  // Host side after binning: normalise (and resize) every image of a chunk.
  int64_t empty_series = 0;
  const auto finish = [&](const ChunkSeries& c, const std::vector<uint32_t>& counts, const std::vector<int64_t>& pairs) {
    const int64_t n_series = static_cast<int64_t>(c.offsets.size()) - 1;
    for (int64_t series = 0; series < n_series; ++series)
      if (pairs[series] == 0) ++empty_series;
    parallel_items(n_series, [&](int64_t series) {
      const int64_t s = c.first_star + series / n_bands;
      const int band = static_cast<int>(series % n_bands);
      std::vector<float> image(size);
      int o = 0;
      for (int g = 0; g < plan.n_geometries; ++g) {
        const int h = bin_count(plan.geometry[g].dm), w = bin_count(plan.geometry[g].dt);
        normalise(spec.dmdt_norm, &counts[static_cast<size_t>(series * size + o)], h * w, pairs[series], image.data());
        float* dst = &out.values[static_cast<size_t>((s * channels + g * n_bands + band) * plane)];
        if (resize) {
          const std::vector<double> in(image.begin(), image.begin() + h * w);
          const std::vector<double> r = resize_skimage(in, h, w, out_h, out_w);
          for (int64_t p = 0; p < plane; ++p) dst[p] = static_cast<float>(r[p]);
        } else {
          std::copy(image.begin(), image.begin() + h * w, dst);
        }
        o += h * w;
      }
    });
    if (progress) progress(synthetic ? "dm-dt images (synthesised curves)" : "dm-dt images", c.end_star, n);
  };

  // Pipeline: while the device bins chunk k, the host normalises chunk k-1
  // and gathers chunk k+1 (on the CPU the binning simply happens in submit()).
  const int64_t chunk_stars = device.is_cuda() ? kGpuChunkStars : kChunkStars;
  DmdtBinner binner(plan, device);
  ChunkSeries current, next, previous;
  std::vector<uint32_t> counts, previous_counts;
  std::vector<int64_t> pairs, previous_pairs;
  bool have_previous = false;
  if (n > 0) gather(0, std::min(n, chunk_stars), current);
  for (int64_t first = 0; first < n; first += chunk_stars) {
    binner.submit(current.t, current.m, current.offsets);
    if (have_previous) finish(previous, previous_counts, previous_pairs);
    const int64_t next_first = first + chunk_stars;
    if (next_first < n) gather(next_first, std::min(n, next_first + chunk_stars), next);
    binner.collect(counts, pairs);
    std::swap(previous, current);
    std::swap(current, next);
    previous_counts.swap(counts);
    previous_pairs.swap(pairs);
    have_previous = true;
  }
  if (have_previous) finish(previous, previous_counts, previous_pairs);

  if (spec.features) add_shape_features(rows, spec.magnitudes, out);
  if (empty_series > 0)
    out.notes.push_back(fmt::format("{} band series had no pair with dt > 0 (their images are zero)", empty_series));
  nlohmann::json geometries = nlohmann::json::array();
  for (int g = 0; g < plan.n_geometries; ++g)
    geometries.push_back({{"edges", g == 0 && spec.dmdt_edges != "mahabal" ? "thesis" : "mahabal"},
                          {"dm", plan.geometry[g].abs_dm ? "|m_later - m_earlier|" : "m_later - m_earlier"},
                          {"dm_bins", bin_count(plan.geometry[g].dm)},
                          {"dt_bins", bin_count(plan.geometry[g].dt)}});
  out.description["geometries"] = geometries;
  out.description["image_axes"] = "(channel, dm bin (low dm first), dt bin (short dt first))";
  out.description["channels"] = "geometry-major, band-minor";
  if (synthetic) {
    out.description["bands_used"] = {"g", "r"};
    out.description["synthesis"] = "two-harmonic catalog model per band at a simulated ZTF cadence";
  }
}

void build_folded(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, const LightCurveSet& curves,
                  std::span<const int64_t> curve_index, std::span<const int32_t> bands, const RepresentationProgress& progress,
                  RepresentationBatch& out) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const int nb = static_cast<int>(bands.size());
  FourierFitOptions options;
  options.n_harmonics = spec.fit_harmonics;
  options.clip_sigma = spec.clip_sigma;
  out.sample_shape = {nb, spec.phase_bins};
  out.values.assign(static_cast<size_t>(n * nb * spec.phase_bins), 0.0f);
  add_shape_features(rows, spec.magnitudes, out);
  int64_t from_model = 0;
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : from_model)
  for (int64_t s = 0; s < n; ++s)
    from_model += folded_binned(curves.curves[curve_index[s]], rows[s].period, bands, spec.phase_bins, options,
                                &out.values[static_cast<size_t>(s * nb * spec.phase_bins)]);
  if (progress) progress("folded light curves", n, n);
  out.description["values"] =
      "per band: median of (m - mean) / amplitude in each phase bin, phase 0 at maximum light of the band with most "
      "points; empty bins take the Fourier model's value";
  out.description["bins_filled_from_model"] = from_model;
}

}  // namespace varstar::data::repr
