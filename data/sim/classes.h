#pragma once
// The ten classes of the built-in simulated data set and how one star of each
// is drawn: period, r-band peak-to-peak amplitude, g/r amplitude ratio, mean r
// magnitude, g - r colour, number of observations, and the light-curve shape.
// Numbers and their sources: docs/SIMULATOR.md (class_models() is the table).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "data/sim/rng.h"

namespace varstar::sim {

inline constexpr std::array<std::string_view, 10> kSimClasses = {"BYDra", "CEP", "DSCT", "EA",    "EW",
                                                                 "Mira",  "RR",  "RRc",  "RSCVN", "SR"};

enum class Shape : int32_t {
  sawtooth,    // RRab, Cepheids: fast rise, slow decline
  sinusoid,    // RRc, DSCT: near sinusoidal (DSCT: sometimes two modes)
  contact,     // EW: continuous variation, two nearly equal minima
  detached,    // EA: flat outside eclipses, unequal eclipses
  mira,        // large-amplitude, cycle-to-cycle changes
  semiregular, // SR: quasi-periodic, phase wander, red noise
  spotted      // BYDra, RSCVN: evolving spot modulation (BYDra: flares)
};

// Distribution of one class (log10 period and amplitude are truncated normals).
struct ClassModel {
  std::string_view name;
  Shape shape;
  double log_period_mean, log_period_sigma, log_period_lo, log_period_hi;  // log10(days)
  double amp_median, amp_sigma_ln, amp_lo, amp_hi;                         // r peak-to-peak, mag
  double amp_ratio_g, amp_ratio_sigma;                                     // Amp_g / Amp_r
  double color_mean, color_sigma;                                          // gmag - rmag
  double rmag_bright, rmag_faint;                                          // mean r range
};

const std::array<ClassModel, 10>& class_models();
const ClassModel& class_model(std::string_view name);

// Everything needed to produce one star's light curve.
struct StarParams {
  int32_t class_index = 0;     // into kSimClasses: the label
  int32_t model_index = 0;     // the class whose model generated it (differs for label noise)
  bool cepii = false;          // CEP drawn as a type II Cepheid (catalog Type "CEPII")
  double period = 0, amp_r = 0, amp_g = 0, rmag = 0, gmag = 0;
  double ra_deg = 0, dec_deg = 0, epoch = 0;
  int target_g = 0, target_r = 0;
  // Shape parameters (meaning depends on the shape).
  double rise = 0.15, curve = 1.0;               // sawtooth
  double h2 = 0, h2_phase = 0;                   // second-harmonic share (sinusoid, mira, spotted)
  double mode2_ratio = 0, mode2_amp = 0;         // DSCT second mode; SR second period
  double depth_ratio = 1, width = 0.05, ecc_shift = 0, oconnell = 0;  // eclipses
  double wander[4][3] = {};                      // slow processes: amplitude, timescale (d), phase
  double noise[6][3] = {};                       // SR red noise terms
  double flare_rate = 0;                         // BYDra
  double profile_ptp = 1, profile_min = -0.5;    // of the phase profile, to normalise it
};

// Draws one star of class `class_index` (label) whose light curve follows
// `model_index` (the same class, or a confusable neighbour for label noise).
StarParams draw_star(Rng& rng, int32_t class_index, int32_t model_index);

// The class a mislabelled star of `class_index` is really drawn from
// (EW<->RRc, BYDra<->RSCVN, Mira<->SR, EA<->EW, RR<->RRc, CEP<->RR, DSCT<->RRc).
int32_t confusable_class(int32_t class_index);

// Magnitude offset from the mean at time t (MJD) in band 0 = g, 1 = r,
// without noise; flares excluded (see simulate.cpp).
double model_delta_mag(const StarParams& p, double t, int32_t band);

}  // namespace varstar::sim
