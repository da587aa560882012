#pragma once
// The one entry point that turns stars (catalog rows, optionally light curves)
// into network inputs: harmonic synthesis, dm-dt images, folded light curves.
// `varstar prepare` calls build_representation(); docs/REPRESENTATIONS.md says
// what every mode contains and why.
//
// Output layout: values is (n_samples, prod(sample_shape)) float32, row-major,
// one sample per input row in input order; features is (n_samples,
// feature_names.size()) float32 (empty when the mode has no extra features).
//
// Scientific honesty: a mode that reads the labels of the star being
// classified (dmdt-thesis-classpair) returns uses_labels = true and a warning
// that every caller prints on the terminal and writes into every output file.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/types.h"
#include "engine/device.h"

namespace varstar::data {

struct RepresentationSpec {
  std::string mode = "harmonic-thesis";  // one of representation_names()
  // Harmonic modes: number of phase points (0 = the mode's default:
  // 359 for harmonic-thesis, 360 for harmonic-text, 128 for harmonic-shape).
  int n_points = 0;
  // Fourier fit used to derive catalog quantities from light curves.
  int fit_harmonics = 4;       // harmonics of the least-squares model
  double clip_sigma = 3.0;     // iterative sigma clipping threshold (robust scale: MAD)
  // folded: phase bins per band.
  int phase_bins = 64;
  // harmonic-shape, folded: add the mean apparent magnitudes to the features
  // (only meaningful when all stars share one distance, e.g. one galaxy).
  bool magnitudes = false;
  // dm-dt modes: also the catalog features of harmonic-shape (period,
  // amplitudes, colour, Fourier shape), which the images alone lack.
  bool features = false;
  // Modes with features, stars with light curves: one more feature per band,
  // the skewness of its magnitudes (eclipses skew them faint, pulsations with a
  // fast rise skew them bright).
  bool skewness = false;
  // Modes with features, stars with light curves: six more features per band
  // from the band's curve at the (resolved) period, the shape details that
  // separate eclipsing binaries from pulsators (repr::append_curve_features).
  bool curve_features = false;
  // Light-curve stars: the catalog period may be this many times the true
  // one; each star's period becomes period / k for the k = 1..period_multiples
  // its curve fits best (repr::find_period_multiple). 1: periods as given.
  int period_multiples = 1;
  // dm-dt modes.
  std::string dmdt_edges = "thesis";   // thesis (|dm|) | mahabal (signed dm) | both
  std::string dmdt_norm = "fraction";  // fraction | max | mahabal255 | counts
  int image_height = 0;                // 0 = native bins; else resized (skimage's bilinear algorithm)
  int image_width = 0;
  // dmdt-catalog: seed of the simulated cadence and noise (per star: seed ^ hash(id)).
  uint64_t seed = 42;
  bool catalog_noise = true;
  // Bands to use from light curves; empty = {"g","r"} when present, else the
  // first two bands of the set in its band_names order.
  std::vector<std::string> bands;

  // Every parameter, with the mode, as JSON (input of the cache key).
  nlohmann::json to_json() const;
  // "mode" or "mode:key=value,key=value" (keys as the field names above;
  // bands as "bands=g+r"). Throws varstar::Error naming the bad key or value.
  static RepresentationSpec parse(std::string_view text);
  // Every parameter in parse()'s text form (parse(to_text()) == *this).
  std::string to_text() const;
  // The inverse of to_json(); missing keys keep their defaults.
  static RepresentationSpec from_json(const nlohmann::json& j);
};

inline constexpr int kMaxPeriodMultiples = 100;

struct RepresentationBatch {
  std::string mode;
  int64_t n_samples = 0;
  std::vector<int64_t> sample_shape;      // e.g. {1, 359}, {2, 128}, {3, 90, 53}
  std::vector<float> values;              // (n_samples, prod(sample_shape))
  std::vector<std::string> feature_names;
  std::vector<float> features;            // (n_samples, feature_names.size())
  bool uses_labels = false;
  std::string warning;                    // non-empty: show it wherever the batch goes
  nlohmann::json description;             // mode, parameters, shapes, uses_labels, warning
  std::vector<std::string> notes;         // non-fatal remarks (e.g. stars with empty bands)

  int64_t sample_size() const {
    int64_t n = 1;
    for (int64_t d : sample_shape) n *= d;
    return n;
  }
};

struct RepresentationInfo {
  std::string name;
  std::string summary;    // one line, for --help
  bool needs_curves = false;
  bool uses_labels = false;
};

// Every mode build_representation() knows, in --help order.
const std::vector<RepresentationInfo>& representation_names();

// Warning carried by every label-using representation.
extern const char* const kClasspairWarning;

// Progress of long work: stage name, items done, items total.
using RepresentationProgress = std::function<void(std::string_view stage, int64_t done, int64_t total)>;

// Builds the representation `spec.mode` of every row.
//   rows:     the stars, in output order.
//   curves:   light curves matched to rows by id (nullptr when there are
//             none). Modes that need them throw when absent. Catalog-based
//             modes use them to derive a row's Fourier quantities when the
//             row has none (amp_g == amp_r == 0).
//   labels:   class index per row (dmdt-thesis-classpair only; else may be empty).
//   split_of: split index per row (e.g. 0 = train, 1 = test); the class-pair
//             mode compares a star only with stars of the same class AND the
//             same split, as the thesis scripts did. Empty = one split.
//   device:   where the heavy kernels run. On a CUDA device the dm-dt binning
//             of dmdt-lightcurve and dmdt-catalog and the synthesis of the
//             harmonic-* modes run on the GPU, many stars per launch; the
//             rest (light-curve selection and sorting, the dmdt-catalog
//             cadence and noise, Fourier fits, normalisation, resizing, and
//             the folded and dmdt-thesis-classpair modes) stays on the CPU.
//             dm-dt results are bit-identical to the CPU's (integer counts,
//             then the same CPU normalisation); harmonic-* values agree with
//             the CPU's within kHarmonicDeviceTolerance (the GPU's double
//             cos/sin differ from the host's by an ulp or so before rounding
//             to float). A CUDA device must be usable: resolve the user's
//             choice with resolve_device() first (it falls back to the CPU
//             with a message); an unusable one throws.
// Throws varstar::Error on an unknown mode, a missing input, or sizes that disagree.
RepresentationBatch build_representation(const RepresentationSpec& spec, const std::vector<CatalogRow>& rows,
                                         const LightCurveSet* curves, std::span<const int32_t> labels,
                                         std::span<const int32_t> split_of, const RepresentationProgress& progress = {},
                                         Device device = Device::cpu());

// Largest |GPU - CPU| of a harmonic-* value, relative to max(1, |CPU value|):
// four float32 ulps at 1 (the float rounding of a double that differs in its
// last bits can flip one ulp; margin for magnitudes near a power of two).
inline constexpr double kHarmonicDeviceTolerance = 4.0 * 1.1920928955078125e-07;

// True when `mode` runs any of its work on a GPU when given a CUDA device.
bool representation_uses_gpu(std::string_view mode);

}  // namespace varstar::data
