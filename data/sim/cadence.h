#pragma once
// ZTF-like observing cadence and photometric noise, shared by the simulator
// and by the dmdt-catalog representation (docs/SIMULATOR.md gives the sources).
//   Cadence: nights over the survey span; each night is lost to weather with
//   some probability and to the star's seasonal gap (about four months a year
//   around solar conjunction, timed by its right ascension); on usable nights
//   each band is observed with the probability that gives the target number of
//   observations (several visits per night when the target needs them), g and
//   r visits separated by tens of minutes.
//   Noise: sigma(m) = sqrt(floor^2 + (0.1 * 10^(0.4 (m - m_limit)))^2), larger
//   for saturating bright stars.
#include <cstdint>
#include <vector>

#include "data/sim/rng.h"

namespace varstar::sim {

struct CadenceOptions {
  double start_mjd = 58194.0;    // 2018-03-17: start of ZTF's public survey
  double span_days = 470.0;      // to 2019-06-30, the end of ZTF DR2 (Chen et al. 2020's data)
  double weather_loss = 0.3;     // fraction of nights lost
  double season_gap_days = 120;  // unobservable days around solar conjunction
};

struct Observation {
  double time;   // MJD
  int32_t band;  // 0 = g, 1 = r
};

// Observations of one star, sorted by time. target_g/target_r: desired counts
// (the result is random around them); ra_deg times the seasonal gap.
std::vector<Observation> ztf_cadence(Rng& rng, int target_g, int target_r, double ra_deg,
                                     const CadenceOptions& options = {});

// ZTF-like 1-sigma photometric error of one observation at magnitude m.
double ztf_mag_error(double m, int32_t band);

}  // namespace varstar::sim
