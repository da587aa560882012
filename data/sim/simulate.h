#pragma once
// The built-in, SIMULATED ZTF-like data set: catalog rows with every Table2
// column and per-observation g/r light curves for the ten classes of the
// thesis, deterministic for a seed. What is drawn and from which literature:
// docs/SIMULATOR.md; the class table is data/sim/classes.cpp.
//
// How a star is made: its class model (classes.h) gives period, amplitudes,
// magnitudes, colour and shape; a ZTF-like cadence and noise model
// (cadence.h) samples it; a small share of points are photometric outliers.
// The catalog columns are then MEASURED from the simulated light curve the way
// a catalog would: a robust Fourier fit per band (data/represent/fourier_fit.h)
// gives mean magnitudes, amplitudes, R21, phi21, R^2 and T_0; log(FAP) follows
// from the fit's R^2 and the number of points. A share of each class
// (label_noise) is generated from a confusable neighbour class but keeps its
// label, like the catalog's ~2% misclassification rate.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "data/types.h"

namespace varstar::sim {

// Carried by every output of the simulator.
extern const char* const kSimulatedNotice;

struct SimOptions {
  int64_t stars_per_class = 1000;
  uint64_t seed = 42;
  double label_noise = 0.02;     // share of each class drawn from a confusable class
  double outlier_rate = 0.005;   // share of points with a photometric outlier
  int fit_harmonics = 6;         // of the Fourier fits that give the catalog columns
};

struct SimulatedData {
  std::vector<data::CatalogRow> rows;     // sorted by RA; Type is the label (CEPII for type II Cepheids)
  data::LightCurveSet curves;             // bands {"g", "r"}, one curve per row, same order
  std::vector<int32_t> generating_class;  // (rows) index into kSimClasses of the model used
  std::vector<int32_t> label_class;       // (rows) index into kSimClasses of the label (CEPII -> CEP)
};

using SimProgress = std::function<void(int64_t done, int64_t total)>;

SimulatedData simulate(const SimOptions& options, const SimProgress& progress = {});

// Diagnostic only (the authoritative cleaning is data/cleaning.h): would a row
// pass the thesis filters Num > 50, R^2 > 0.3, log(FAP) < -3 in both bands?
bool passes_thesis_filters(const data::CatalogRow& row);

// Baseline: nearest class centroid on standardised (log10 Per, log10 Amp_r),
// or on log10 Per alone without `with_amplitude` (light-curve inputs carry a
// period but no catalog amplitude); shuffled k-fold cross-validation (seeded).
// CEPII counts as CEP.
struct BaselineResult {
  double accuracy_mean = 0, accuracy_std = 0;
  std::vector<std::string> classes;
  std::vector<double> recall;  // per class, pooled over folds
  int64_t n_stars = 0;
  int folds = 0;
};
BaselineResult nearest_centroid_baseline(const std::vector<data::CatalogRow>& rows, int folds, uint64_t seed,
                                         bool with_amplitude = true);

// A few lines for terminals and README files: counts per class, share passing
// the thesis filters, the baseline.
std::string summary_text(const SimulatedData& data, const SimOptions& options, const BaselineResult& baseline);

}  // namespace varstar::sim
