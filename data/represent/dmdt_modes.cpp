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
#include <algorithm>
#include <cmath>
#include <numeric>

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

constexpr int64_t kChunkStars = 512;  // stars binned per kernel call (progress granularity)
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

void build_dmdt(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows, const LightCurveSet* curves,
                std::span<const int64_t> curve_index, std::span<const int32_t> bands, const RepresentationProgress& progress,
                RepresentationBatch& out) {
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

  std::vector<double> t, m, st, sm;
  std::vector<int32_t> sb;
  std::vector<int64_t> offsets;
  std::vector<std::pair<double, double>> scratch;
  std::vector<uint32_t> counts;
  std::vector<int64_t> pairs;
  std::vector<float> image(size);
  int64_t empty_series = 0;
  for (int64_t chunk = 0; chunk < n; chunk += kChunkStars) {
    const int64_t end = std::min(n, chunk + kChunkStars);
    t.clear();
    m.clear();
    offsets.assign(1, 0);
    for (int64_t s = chunk; s < end; ++s) {
      if (synthetic) {
        st.clear();
        sm.clear();
        sb.clear();
        synthesise_row(rows[s], spec, st, sm, sb);
        LightCurve lc;
        lc.time = st;
        lc.mag = sm;
        lc.band = sb;
        for (int32_t b = 0; b < 2; ++b) {
          append_band(lc, b, t, m, scratch);
          offsets.push_back(static_cast<int64_t>(t.size()));
        }
      } else {
        const LightCurve& lc = curves->curves[curve_index[s]];
        for (int32_t b : bands) {
          append_band(lc, b, t, m, scratch);
          offsets.push_back(static_cast<int64_t>(t.size()));
        }
      }
    }
    const int64_t n_series = static_cast<int64_t>(offsets.size()) - 1;
    counts.assign(static_cast<size_t>(n_series * size), 0);
    pairs.assign(n_series, 0);
    cpu::dmdt_histogram_forward(plan, t.data(), m.data(), offsets.data(), n_series, counts.data(), pairs.data());
    for (int64_t series = 0; series < n_series; ++series) {
      const int64_t s = chunk + series / n_bands;
      const int band = static_cast<int>(series % n_bands);
      if (pairs[series] == 0) ++empty_series;
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
    }
    if (progress) progress(synthetic ? "dm-dt images (synthesised curves)" : "dm-dt images", end, n);
  }
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
  out.feature_names = shape_feature_names(spec.magnitudes);
  const size_t nf = out.feature_names.size();
  out.features.assign(static_cast<size_t>(n) * nf, 0.0f);
  int64_t from_model = 0;
#pragma omp parallel for schedule(dynamic, 8) reduction(+ : from_model)
  for (int64_t s = 0; s < n; ++s) {
    from_model += folded_binned(curves.curves[curve_index[s]], rows[s].period, bands, spec.phase_bins, options,
                                &out.values[static_cast<size_t>(s * nb * spec.phase_bins)]);
    shape_features(rows[s], &out.features[static_cast<size_t>(s) * nf], spec.magnitudes);
  }
  if (progress) progress("folded light curves", n, n);
  out.description["values"] =
      "per band: median of (m - mean) / amplitude in each phase bin, phase 0 at maximum light of the band with most "
      "points; empty bins take the Fourier model's value";
  out.description["bins_filled_from_model"] = from_model;
}

}  // namespace varstar::data::repr
