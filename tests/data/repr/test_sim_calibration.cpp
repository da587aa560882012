// Calibration of the simulator against real surveys (label realdata):
// period and amplitude distributions of the classes the simulator shares with
// LINEAR (Palaversa et al. 2013), SDSS Stripe 82 RR Lyrae (Sesar et al. 2010)
// and EROS-1 LMC Miras, compared as quantiles within the tolerances below.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "data/sim/simulate.h"

namespace {

// Tolerances (dex in log10 P; relative for amplitudes). Where a survey's
// selection or population differs from ZTF's the tolerance is wider, and
// docs/SIMULATOR.md says why.
constexpr double kPeriodMedianDex = 0.05;     // RR, RRc, EW, DSCT medians
constexpr double kPeriodQuantileDex = 0.08;   // their 16th / 84th percentiles
constexpr double kEaPeriodDex = 0.20;         // EA: LINEAR's short baseline favours short periods
constexpr double kMiraPeriodDex = 0.12;       // EROS: LMC Miras, not the Galactic disc's
constexpr double kAmplitudeRelative = 0.25;   // median Amp after LINEAR's amplitude cut

std::string data_dir() { return VARSTAR_SHARED_DATA_DIR; }

// Columns `wanted` of a CSV with a header (numbers, or text for Type).
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string f; std::getline(hs, f, ',');) header.push_back(f);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::map<std::string, std::string> row;
    size_t c = 0;
    for (std::string f; std::getline(ls, f, ',') && c < header.size(); ++c) row[header[c]] = f;
    rows.push_back(row);
  }
  return rows;
}

double quantile(std::vector<double> v, double q) {
  REQUIRE(!v.empty());
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const double f = pos - lo;
  return lo + 1 < v.size() ? v[lo] * (1 - f) + v[lo + 1] * f : v[lo];
}

const varstar::sim::SimulatedData& simulated() {
  static const varstar::sim::SimulatedData d = [] {
    varstar::sim::SimOptions o;
    o.stars_per_class = 800;
    o.seed = 2013;
    return varstar::sim::simulate(o);
  }();
  return d;
}

std::vector<double> sim_values(const std::string& type, bool log_period) {
  std::vector<double> v;
  for (const auto& r : simulated().rows)
    if (r.type == type) v.push_back(log_period ? std::log10(r.period) : r.amp_r);
  return v;
}

}  // namespace

std::string varstar_test_skip_reason() {
  if (!std::filesystem::exists(data_dir() + "/linear-attributes/attributes.csv"))
    return "real survey data not found at " + data_dir() + " (VARSTAR_SHARED_DATA)";
  return {};
}

TEST_CASE("simulated periods and amplitudes match LINEAR where the classes overlap") {
  const auto rows = read_csv(data_dir() + "/linear-attributes/attributes.csv");
  const std::map<std::string, std::string> to_sim = {
      {"RRab", "RR"}, {"RRc", "RRc"}, {"EW", "EW"}, {"EA", "EA"}, {"DSCT", "DSCT"}};
  for (const auto& [linear_type, sim_type] : to_sim) {
    std::vector<double> logp, amp;
    for (const auto& r : rows) {
      if (r.at("Type") != linear_type) continue;
      logp.push_back(std::stod(r.at("logP")));
      const double a = std::stod(r.at("Ampl"));
      if (a > 0) amp.push_back(a);  // -99.99 = missing
    }
    const auto sp = sim_values(sim_type, true);
    const double tol_median = sim_type == "EA" ? kEaPeriodDex : kPeriodMedianDex;
    const double tol_q = sim_type == "EA" ? kEaPeriodDex : kPeriodQuantileDex;
    for (double q : {0.16, 0.5, 0.84}) {
      const double real = quantile(logp, q), sim = quantile(sp, q);
      MESSAGE(sim_type << " log10 P q" << q << ": LINEAR " << real << ", simulated " << sim);
      CHECK(std::abs(real - sim) < (q == 0.5 ? tol_median : tol_q));
    }
    // LINEAR's catalogue holds stars above an amplitude limit: compare the
    // simulated stars above the same limit (LINEAR's 2nd percentile).
    const double cut = quantile(amp, 0.02);
    std::vector<double> sa;
    for (double a : sim_values(sim_type, false))
      if (a >= cut) sa.push_back(a);
    const double real = quantile(amp, 0.5), sim = quantile(sa, 0.5);
    MESSAGE(sim_type << " median Amp (>= " << cut << "): LINEAR " << real << ", simulated " << sim);
    CHECK(std::abs(sim - real) / real < kAmplitudeRelative);
  }
}

TEST_CASE("simulated RR Lyrae periods match SDSS Stripe 82, Mira periods EROS-1") {
  auto periods = [](const std::string& folder, const std::string& type) {
    const auto cat = read_csv(data_dir() + "/" + folder + "/catalog.csv");
    const auto lab = read_csv(data_dir() + "/" + folder + "/labels.csv");
    std::map<std::string, std::string> type_of;
    for (const auto& r : lab) type_of[r.at("id")] = r.at("Type");
    std::vector<double> v;
    for (const auto& r : cat)
      if (type_of[r.at("id")] == type) v.push_back(std::log10(std::stod(r.at("Per"))));
    return v;
  };
  const std::vector<std::tuple<std::string, std::string, std::string, double>> cases = {
      {"stripe82-rrlyrae", "RRab", "RR", kPeriodMedianDex},
      {"stripe82-rrlyrae", "RRc", "RRc", kPeriodMedianDex},
      {"eros1-lmc", "Mira", "Mira", kMiraPeriodDex}};
  for (const auto& [folder, real_type, sim_type, tol] : cases) {
    const double real = quantile(periods(folder, real_type), 0.5), sim = quantile(sim_values(sim_type, true), 0.5);
    MESSAGE(folder << " " << real_type << " median log10 P: real " << real << ", simulated " << sim);
    CHECK(std::abs(real - sim) < tol);
  }
}
