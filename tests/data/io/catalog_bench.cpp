// varstar_catalog_bench: writes a full-size synthetic Table2 with
// write_catalog_cds and times read_catalog on it (used by bench/catalog_reader.py,
// which times pandas on the same file in the same run).
//   varstar_catalog_bench write N PATH   write N random rows (fixed seed)
//   varstar_catalog_bench read PATH [REPEATS]   print {"rows":..,"seconds":[..]} (wall time per read)
// The rows are random but shaped like the real catalog (every column filled,
// the real number of decimals), so the parsing work matches; they are not
// astrophysically meaningful.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "data/catalog_io.h"

using namespace varstar::data;

namespace {

int write_rows(int64_t n, const std::string& path) {
  std::mt19937_64 rng(20200618);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<CatalogRow> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    CatalogRow& r = rows[static_cast<size_t>(i)];
    r.ra_deg = 360.0 * static_cast<double>(i) / static_cast<double>(n);
    r.dec_deg = -30.0 + 120.0 * u(rng);
    const double ra_h = r.ra_deg / 15.0;
    const int hh = static_cast<int>(ra_h), mm = static_cast<int>((ra_h - hh) * 60);
    const double ss = ((ra_h - hh) * 60 - mm) * 60;
    const double ad = std::fabs(r.dec_deg);
    const int dd = static_cast<int>(ad), dm = static_cast<int>((ad - dd) * 60);
    const double ds = ((ad - dd) * 60 - dm) * 60;
    char id[64];
    std::snprintf(id, sizeof id, "ZTFJ%02d%02d%05.2f%c%02d%02d%04.1f", hh, mm, std::min(ss, 59.99),
                  r.dec_deg < 0 ? '-' : '+', dd, dm, std::min(ds, 59.9));
    r.id = id;
    r.source_id = i + 1;
    r.period = std::exp(std::log(0.05) + u(rng) * (std::log(900.0) - std::log(0.05)));
    r.r21 = u(rng);
    r.phi21 = 6.28 * u(rng);
    r.t0 = 2458200.0 + 400.0 * u(rng);
    r.gmag = 12.0 + 9.0 * u(rng);
    r.rmag = r.gmag - 0.8 * u(rng);
    r.period_g = r.period * (1 + 1e-5 * (u(rng) - 0.5));
    r.period_r = r.period * (1 + 1e-5 * (u(rng) - 0.5));
    r.num_g = 20 + static_cast<int32_t>(600 * u(rng));
    r.num_r = 20 + static_cast<int32_t>(900 * u(rng));
    r.r21_g = u(rng);
    r.r21_r = u(rng);
    r.phi21_g = 6.28 * u(rng);
    r.phi21_r = 6.28 * u(rng);
    r.r2_g = u(rng);
    r.r2_r = u(rng);
    r.amp_g = 0.05 + 2.0 * u(rng);
    r.amp_r = 0.05 + 1.5 * u(rng);
    r.log_fap_g = -300.0 * u(rng);
    r.log_fap_r = -300.0 * u(rng);
    r.type = std::string(kChenTypes[static_cast<size_t>(u(rng) * kChenTypes.size()) % kChenTypes.size()]);
    r.delta_min_g = 0.5 * u(rng);
    r.delta_min_r = 0.5 * u(rng);
  }
  CdsWriteOptions opt;
  opt.title = "SYNTHETIC benchmark catalog in the layout of Chen et al. 2020 Table 2 (random values)";
  write_catalog_cds(path, rows, opt);
  std::printf("wrote %lld rows to %s\n", static_cast<long long>(n), path.c_str());
  return 0;
}

int read_rows(const std::string& path, int repeats) {
  std::printf("{\"file\": \"%s\", \"seconds\": [", path.c_str());
  int64_t rows = 0;
  double checksum = 0;
  for (int k = 0; k < repeats; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const Catalog c = read_catalog(path);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows = static_cast<int64_t>(c.rows.size());
    checksum = 0;
    for (const auto& r : c.rows) checksum += r.period;
    std::printf("%s%.4f", k ? ", " : "", s);
    std::fflush(stdout);
  }
  std::printf("], \"rows\": %lld, \"period_sum\": %.6f}\n", static_cast<long long>(rows), checksum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "write" && argc == 4) return write_rows(std::atoll(argv[2]), argv[3]);
    if (mode == "read" && (argc == 3 || argc == 4)) return read_rows(argv[2], argc == 4 ? std::atoi(argv[3]) : 3);
    std::fprintf(stderr, "usage: %s write N PATH | read PATH [REPEATS]\n", argv[0]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
