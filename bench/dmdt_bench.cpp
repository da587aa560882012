// Times varstar's CPU dm-dt binning (kernels/cpu/dmdt.cpp) on light curves
// read from a file written by bench/dmdt_vs_lightcurve.py, and writes the
// counts back for the cross-check. Built and run by that script, one thread.
//   input:  <file>: int64 n_series, int64 offsets[n+1], float64 t[N], float64 m[N]
//   usage:  dmdt_bench INPUT COUNTS_OUT REPEATS
//   prints: one JSON line per configuration (median seconds, pairs, pairs/s)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "kernels/dmdt.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s INPUT COUNTS_OUT REPEATS\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  int64_t n_series = 0;
  in.read(reinterpret_cast<char*>(&n_series), 8);
  std::vector<int64_t> offsets(n_series + 1);
  in.read(reinterpret_cast<char*>(offsets.data()), 8 * (n_series + 1));
  const int64_t total = offsets.back();
  std::vector<double> t(total), m(total);
  in.read(reinterpret_cast<char*>(t.data()), 8 * total);
  in.read(reinterpret_cast<char*>(m.data()), 8 * total);
  if (!in) {
    std::fprintf(stderr, "short input file\n");
    return 1;
  }
  const int repeats = std::max(1, std::atoi(argv[3]));
  struct Config {
    const char* name;
    varstar::DmdtPlan plan;
  };
  std::vector<Config> configs(3);
  configs[0].name = "mahabal_signed";
  configs[0].plan.n_geometries = 1;
  configs[0].plan.geometry[0] =
      varstar::make_dmdt_geometry(varstar::mahabal_dt_edges(), varstar::mahabal_dm_edges(), false);
  configs[1].name = "thesis_abs";
  configs[1].plan.n_geometries = 1;
  configs[1].plan.geometry[0] =
      varstar::make_dmdt_geometry(varstar::thesis_dt_edges(), varstar::thesis_dm_edges(), true);
  configs[2].name = "both_one_pass";
  configs[2].plan.n_geometries = 2;
  configs[2].plan.geometry[0] = configs[1].plan.geometry[0];
  configs[2].plan.geometry[1] = configs[0].plan.geometry[0];
  std::vector<int64_t> pairs(n_series);
  for (size_t c = 0; c < configs.size(); ++c) {
    const int size = varstar::dmdt_plan_size(configs[c].plan);
    std::vector<uint32_t> counts(static_cast<size_t>(n_series) * size);
    std::vector<double> seconds;
    for (int r = 0; r <= repeats; ++r) {  // r == 0: warm-up
      const auto t0 = std::chrono::steady_clock::now();
      varstar::cpu::dmdt_histogram_forward(configs[c].plan, t.data(), m.data(), offsets.data(), n_series,
                                           counts.data(), pairs.data());
      const auto t1 = std::chrono::steady_clock::now();
      if (r > 0) seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
    }
    std::sort(seconds.begin(), seconds.end());
    int64_t all_pairs = 0;
    for (int64_t p : pairs) all_pairs += p;
    const double median = seconds[seconds.size() / 2];
    std::printf("{\"config\": \"%s\", \"median_s\": %.6f, \"pairs\": %lld, \"pairs_per_s\": %.4e}\n", configs[c].name,
                median, static_cast<long long>(all_pairs), all_pairs / median);
    if (c == 0) {
      std::ofstream out(argv[2], std::ios::binary);
      out.write(reinterpret_cast<const char*>(counts.data()), static_cast<std::streamsize>(counts.size() * 4));
    }
  }
  return 0;
}
