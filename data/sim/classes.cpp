// Class distributions of the simulator and the light-curve shapes (classes.h).
// docs/SIMULATOR.md lists, per number, where it comes from and how it was
// checked against real LINEAR, SDSS Stripe 82 and EROS data.
#include "data/sim/classes.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/error.h"

namespace varstar::sim {

namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;

double frac(double x) { return x - std::floor(x); }

// Slow quasi-random process: sum of a few sinusoids with random periods and phases.
double slow_process(const double (*terms)[3], int n, double t) {
  double s = 0;
  for (int i = 0; i < n; ++i)
    if (terms[i][0] != 0) s += terms[i][0] * std::sin(kTwoPi * t / terms[i][1] + terms[i][2]);
  return s;
}

double wrap_half(double x) { return x - std::floor(x + 0.5); }  // to [-0.5, 0.5)

// Phase profile with peak-to-peak ~1 before normalisation; positive = fainter.
double raw_profile(const StarParams& p, double phi) {
  switch (static_cast<Shape>(class_models()[p.model_index].shape)) {
    case Shape::sawtooth: {
      if (phi < p.rise) return 0.5 * std::cos(std::numbers::pi * phi / p.rise);
      const double y = (phi - p.rise) / (1 - p.rise);
      return -0.5 + std::pow(y, p.curve);
    }
    case Shape::sinusoid:
    case Shape::mira:
    case Shape::semiregular:
      return 0.5 * std::cos(kTwoPi * phi) + p.h2 * std::cos(2 * kTwoPi * phi + p.h2_phase);
    case Shape::spotted:
      return 0.5 * std::cos(kTwoPi * phi) + p.h2 * std::cos(2 * kTwoPi * phi + p.h2_phase);
    case Shape::contact: {
      auto w = [&](double x) { return std::pow(std::max(0.0, std::cos(kTwoPi * x)), p.curve); };
      return w(phi) + p.depth_ratio * w(phi - 0.5) + p.oconnell * std::sin(kTwoPi * phi);
    }
    case Shape::detached: {
      auto e = [&](double x) {
        const double d = wrap_half(x) / p.width;
        return std::exp(-0.5 * d * d);
      };
      return e(phi) + p.depth_ratio * e(phi - 0.5 - p.ecc_shift) + p.oconnell * std::cos(2 * kTwoPi * phi);
    }
  }
  return 0;
}

// Peak-to-peak of the raw profile (numerically), to normalise it to 1.
double profile_ptp(const StarParams& p) {
  double lo = 1e300, hi = -1e300;
  constexpr int kGrid = 1024;
  for (int i = 0; i < kGrid; ++i) {
    const double v = raw_profile(p, static_cast<double>(i) / kGrid);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return hi - lo;
}

double profile_min(const StarParams& p) {
  double lo = 1e300;
  for (int i = 0; i < 1024; ++i) lo = std::min(lo, raw_profile(p, i / 1024.0));
  return lo;
}

}  // namespace

// Per class: name, shape, log10 P (mean, sigma, lo, hi), Amp_r (median, sigma_ln, lo, hi),
// Amp_g/Amp_r (mean, sigma), g - r (mean, sigma), mean r (bright, faint).
const std::array<ClassModel, 10>& class_models() {
  static const std::array<ClassModel, 10> models = {{
      {"BYDra", Shape::spotted, 0.35, 0.35, -0.6, 1.5, 0.12, 0.50, 0.03, 0.6, 1.20, 0.08, 1.10, 0.25, 13.0, 20.3},
      {"CEP", Shape::sawtooth, 0.75, 0.30, 0.0, 1.8, 0.55, 0.35, 0.10, 1.3, 1.45, 0.08, 0.95, 0.35, 10.5, 19.0},
      {"DSCT", Shape::sinusoid, -1.19, 0.09, -1.5, -0.7, 0.25, 0.50, 0.03, 1.0, 1.35, 0.06, 0.20, 0.15, 12.5, 20.3},
      {"EA", Shape::detached, -0.05, 0.30, -0.7, 1.6, 0.45, 0.50, 0.05, 2.5, 1.05, 0.05, 0.50, 0.35, 12.5, 20.3},
      {"EW", Shape::contact, -0.52, 0.08, -0.75, 0.0, 0.40, 0.40, 0.05, 1.0, 1.05, 0.04, 0.55, 0.30, 12.5, 20.3},
      {"Mira", Shape::mira, 2.45, 0.13, 2.0, 3.0, 3.00, 0.35, 1.5, 7.0, 1.15, 0.08, 1.90, 0.40, 10.0, 18.0},
      {"RR", Shape::sawtooth, -0.24, 0.055, -0.45, -0.05, 0.68, 0.28, 0.20, 1.4, 1.35, 0.06, 0.25, 0.15, 12.5, 20.3},
      {"RRc", Shape::sinusoid, -0.475, 0.058, -0.65, -0.30, 0.40, 0.25, 0.10, 0.8, 1.35, 0.06, 0.15, 0.12, 12.5, 20.3},
      {"RSCVN", Shape::spotted, 0.90, 0.35, 0.0, 2.0, 0.15, 0.50, 0.03, 0.7, 1.20, 0.08, 0.85, 0.20, 11.5, 19.5},
      {"SR", Shape::semiregular, 1.90, 0.35, 1.0, 2.9, 0.60, 0.55, 0.10, 2.5, 1.20, 0.10, 1.40, 0.40, 10.5, 18.5},
  }};
  return models;
}

const ClassModel& class_model(std::string_view name) {
  for (const auto& m : class_models())
    if (m.name == name) return m;
  throw Error(fmt::format("simulator: unknown class '{}'", name));
}

int32_t confusable_class(int32_t class_index) {
  // BYDra CEP DSCT EA EW Mira RR RRc RSCVN SR
  static constexpr int32_t kNeighbour[10] = {8, 6, 7, 4, 7, 9, 7, 4, 0, 5};
  return kNeighbour[class_index];
}

StarParams draw_star(Rng& rng, int32_t class_index, int32_t model_index) {
  const ClassModel& m = class_models()[model_index];
  StarParams p;
  p.class_index = class_index;
  p.model_index = model_index;
  double log_p_mean = m.log_period_mean, log_p_sigma = m.log_period_sigma;
  if (m.name == "CEP" && rng.bernoulli(0.15)) {  // type II Cepheids: shorter periods, more symmetric
    p.cepii = class_index == model_index;
    log_p_mean = 0.3;
    log_p_sigma = 0.35;
  }
  if (m.name == "EW" && rng.bernoulli(0.15)) {  // tail of longer-period contact systems
    log_p_mean = -0.38;
    log_p_sigma = 0.12;
  }
  p.period = std::pow(10.0, rng.truncated_normal(log_p_mean, log_p_sigma, m.log_period_lo, m.log_period_hi));
  p.amp_r = std::clamp(rng.lognormal(m.amp_median, m.amp_sigma_ln), m.amp_lo, m.amp_hi);
  p.amp_g = p.amp_r * std::max(0.8, rng.normal(m.amp_ratio_g, m.amp_ratio_sigma));
  // Apparent magnitudes: more stars towards the faint end (u^0.5).
  p.rmag = m.rmag_bright + (m.rmag_faint - m.rmag_bright) * std::sqrt(rng.uniform());
  p.gmag = p.rmag + rng.normal(m.color_mean, m.color_sigma);
  // ZTF's northern sky: RA uniform, declination above -28 deg, uniform on the sphere.
  p.ra_deg = rng.uniform(0, 360);
  p.dec_deg = std::asin(rng.uniform(std::sin(-28 * std::numbers::pi / 180), 1.0)) * 180 / std::numbers::pi;
  p.epoch = 58194.0 + rng.uniform(0, p.period);
  p.target_r = static_cast<int>(std::clamp(rng.lognormal(130, 0.75), 8.0, 900.0));
  p.target_g = static_cast<int>(std::max(5.0, p.target_r * rng.uniform(0.4, 0.9)));

  switch (m.shape) {
    case Shape::sawtooth:
      p.rise = m.name == "RR" ? rng.uniform(0.10, 0.22) : rng.uniform(p.cepii ? 0.30 : 0.22, p.cepii ? 0.50 : 0.40);
      p.curve = rng.uniform(0.75, 1.3);
      break;
    case Shape::sinusoid:
      p.h2 = m.name == "RRc" ? rng.uniform(0.04, 0.14) : rng.uniform(0.0, 0.12);
      p.h2_phase = rng.uniform(0, kTwoPi);
      if (m.name == "DSCT" && rng.bernoulli(0.4)) {  // double-mode: first overtone / fundamental = 0.773
        p.mode2_ratio = 0.773;
        p.mode2_amp = rng.uniform(0.1, 0.5);
        p.wander[0][2] = rng.uniform(0, kTwoPi);
      }
      break;
    case Shape::contact:
      p.curve = rng.uniform(0.8, 2.0);
      p.depth_ratio = rng.uniform(0.75, 1.0);
      p.oconnell = rng.normal(0, 0.03);
      break;
    case Shape::detached:
      p.width = rng.uniform(0.015, 0.06) * std::clamp(std::pow(p.period / 1.0, -0.3), 0.4, 1.8);
      p.depth_ratio = rng.uniform(0.0, 0.9);
      p.ecc_shift = rng.bernoulli(0.15) ? rng.normal(0, 0.05) : 0.0;
      p.oconnell = rng.uniform(0, 0.03);  // ellipsoidal / reflection
      break;
    case Shape::mira:
      p.h2 = rng.uniform(0.03, 0.15);
      p.h2_phase = rng.uniform(0, kTwoPi);
      for (int i = 0; i < 2; ++i) {  // cycle-to-cycle mean level and amplitude changes
        p.wander[i][0] = rng.uniform(0.05, 0.15);
        p.wander[i][1] = p.period * rng.uniform(1.5, 4.0);
        p.wander[i][2] = rng.uniform(0, kTwoPi);
      }
      break;
    case Shape::semiregular:
      p.h2 = rng.uniform(0.0, 0.1);
      p.h2_phase = rng.uniform(0, kTwoPi);
      p.mode2_ratio = rng.uniform(1.6, 2.5);
      p.mode2_amp = rng.uniform(0.2, 0.6);
      for (int i = 0; i < 4; ++i) {  // phase wander (rad)
        p.wander[i][0] = rng.uniform(0.3, 0.8);
        p.wander[i][1] = p.period * rng.uniform(1.0, 5.0);
        p.wander[i][2] = rng.uniform(0, kTwoPi);
      }
      for (int i = 0; i < 6; ++i) {  // red noise (share of the amplitude)
        p.noise[i][0] = rng.uniform(0.03, 0.08);
        p.noise[i][1] = p.period * rng.uniform(0.3, 3.0);
        p.noise[i][2] = rng.uniform(0, kTwoPi);
      }
      break;
    case Shape::spotted:
      p.h2 = rng.uniform(0.0, 0.2);
      p.h2_phase = rng.uniform(0, kTwoPi);
      p.wander[0][0] = rng.uniform(0.1, 0.4);  // amplitude evolution
      p.wander[0][1] = rng.uniform(60, 400);
      p.wander[0][2] = rng.uniform(0, kTwoPi);
      p.wander[1][0] = rng.uniform(0.2, 0.8);  // spot migration (phase, rad)
      p.wander[1][1] = rng.uniform(60, 400);
      p.wander[1][2] = rng.uniform(0, kTwoPi);
      p.flare_rate = m.name == "BYDra" ? 0.01 : 0.0;
      break;
  }
  p.profile_ptp = profile_ptp(p);
  p.profile_min = profile_min(p);
  return p;
}

double model_delta_mag(const StarParams& p, double t, int32_t band) {
  const ClassModel& m = class_models()[p.model_index];
  const double amp = band == 0 ? p.amp_g : p.amp_r;
  const double x = (t - p.epoch) / p.period;
  double phi = frac(x);
  double extra = 0, scale = 1;
  switch (m.shape) {
    case Shape::sinusoid:
      if (p.mode2_amp > 0)
        extra = amp * p.mode2_amp * 0.5 * std::cos(kTwoPi * (t - p.epoch) / (p.period * p.mode2_ratio) + p.wander[0][2]);
      break;
    case Shape::mira:
      extra = slow_process(&p.wander[0], 1, t);
      scale = 1 + slow_process(&p.wander[1], 1, t);
      break;
    case Shape::semiregular: {
      phi = frac(x + slow_process(p.wander, 4, t) / kTwoPi);
      const double second = p.mode2_amp * 0.5 * std::cos(kTwoPi * (t - p.epoch) / (p.period * p.mode2_ratio) + p.wander[0][2]);
      extra = amp * (second + slow_process(p.noise, 6, t)) / (1 + p.mode2_amp);
      scale = 1 / (1 + p.mode2_amp);
      break;
    }
    case Shape::spotted:
      scale = 1 + slow_process(&p.wander[0], 1, t);
      phi = frac(x + slow_process(&p.wander[1], 1, t) / kTwoPi);
      break;
    default:
      break;
  }
  // Normalised profile: peak-to-peak 1, from -0.5 (brightest) to +0.5 (faintest).
  const double s = p.profile_ptp > 0 ? (raw_profile(p, phi) - p.profile_min) / p.profile_ptp - 0.5 : 0.0;
  return amp * scale * s + extra;
}

}  // namespace varstar::sim
