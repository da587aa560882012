#pragma once
// The records every part of data/ shares: one catalog row of the ZTF catalog of
// periodic variables (Chen et al. 2020, Table 2) and per-star light curves.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace varstar::data {

// Table 2's columns, in file order (as THESIS.md lists them).
inline constexpr std::array<std::string_view, 27> kTable2Columns = {
    "ID",      "SourceID", "RAdeg",   "DEdeg",     "Per",       "R21",     "phi21",
    "T_0",     "gmag",     "rmag",    "Per_g",     "Per_r",     "Num_g",   "Num_r",
    "R21_g",   "R21_r",    "phi21_g", "phi21_r",   "R^2_g",     "R^2_r",   "Amp_g",
    "Amp_r",   "log(FAP_g)", "log(FAP_r)", "Type", "Delta_min_g", "Delta_min_r"};

// One star of the catalog. Periods in days, magnitudes in mag, phases in rad.
struct CatalogRow {
  std::string id;
  int64_t source_id = 0;
  double ra_deg = 0, dec_deg = 0;
  double period = 0, r21 = 0, phi21 = 0, t0 = 0;
  double gmag = 0, rmag = 0, period_g = 0, period_r = 0;
  int32_t num_g = 0, num_r = 0;
  double r21_g = 0, r21_r = 0, phi21_g = 0, phi21_r = 0;
  double r2_g = 0, r2_r = 0, amp_g = 0, amp_r = 0;
  double log_fap_g = 0, log_fap_r = 0;
  std::string type;
  double delta_min_g = 0, delta_min_r = 0;
};

// One star's observations, structure of arrays; band[i] indexes
// LightCurveSet::band_names. Times in days, magnitudes and errors in mag.
struct LightCurve {
  std::string id;
  std::vector<double> time;
  std::vector<double> mag;
  std::vector<double> mag_err;
  std::vector<int32_t> band;
};

struct LightCurveSet {
  std::vector<std::string> band_names;  // e.g. {"g", "r"}
  std::vector<LightCurve> curves;
};

}  // namespace varstar::data
