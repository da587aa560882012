// ZTF-like cadence and photometric errors (cadence.h).
#include "data/sim/cadence.h"

#include <algorithm>
#include <cmath>

namespace varstar::sim {

namespace {

constexpr double kMarchEquinoxMjd = 58197.67;  // 2018-03-20 16:15 UT: the Sun at RA 0
constexpr double kYear = 365.25;
constexpr double kPalomarMidnightUt = 0.33;    // local midnight at Palomar in days after 0h UT
constexpr double kNightHalfWidth = 0.14;       // days either side of midnight a field is observed
constexpr double kBandSeparation = 0.03;       // days (~45 min) between g and r visits

}  // namespace

std::vector<Observation> ztf_cadence(Rng& rng, int target_g, int target_r, double ra_deg,
                                     const CadenceOptions& options) {
  const int nights = static_cast<int>(options.span_days);
  // The Sun reaches the star's RA (conjunction) ra/360 of a year after the March equinox.
  const double conjunction0 = kMarchEquinoxMjd + ra_deg / 360.0 * kYear;
  std::vector<int> usable;
  usable.reserve(nights);
  for (int n = 0; n < nights; ++n) {
    const double mjd = std::floor(options.start_mjd) + n;
    double since = std::fmod(mjd - conjunction0, kYear);
    if (since < 0) since += kYear;
    const double from_conjunction = std::min(since, kYear - since);
    if (from_conjunction < options.season_gap_days / 2) continue;
    if (rng.bernoulli(options.weather_loss)) continue;
    usable.push_back(n);
  }
  std::vector<Observation> obs;
  if (usable.empty()) return obs;
  const double per_night_g = static_cast<double>(target_g) / usable.size();
  const double per_night_r = static_cast<double>(target_r) / usable.size();
  for (int n : usable) {
    const double night = std::floor(options.start_mjd) + n + kPalomarMidnightUt;
    const double centre = night + rng.uniform(-kNightHalfWidth, kNightHalfWidth);
    // Visits per band this night: Bernoulli below one per night, else 1 + Poisson.
    auto visits = [&](double rate) -> int64_t {
      if (rate <= 1) return rng.bernoulli(rate) ? 1 : 0;
      return 1 + rng.poisson(rate - 1);
    };
    const int64_t vg = visits(per_night_g), vr = visits(per_night_r);
    for (int64_t k = 0; k < vr; ++k) obs.push_back({centre + k * rng.uniform(0.02, 0.08), 1});
    for (int64_t k = 0; k < vg; ++k)
      obs.push_back({centre + kBandSeparation + k * rng.uniform(0.02, 0.08), 0});
  }
  std::stable_sort(obs.begin(), obs.end(), [](const Observation& a, const Observation& b) { return a.time < b.time; });
  return obs;
}

double ztf_mag_error(double m, int32_t band) {
  constexpr double kFloor = 0.012;                   // mag: calibration floor
  const double limit = band == 0 ? 20.8 : 20.6;      // mag where sigma reaches 0.1 (5-sigma depth ~20.8/20.6)
  const double faint = 0.1 * std::pow(10.0, 0.4 * (m - limit));
  const double bright = m < 13.0 ? 0.02 * (13.0 - m) : 0.0;  // saturation
  return std::sqrt(kFloor * kFloor + faint * faint + bright * bright);
}

}  // namespace varstar::sim
