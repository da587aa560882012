// Representations computed on a GPU equal the CPU's (label cuda; skipped with
// a message without the CUDA backend or a GPU): on a small simulated set,
// every dm-dt and harmonic mode the presets and the demo use (and the other
// edge sets and normalisations) through build_representation(), with more
// stars than one GPU chunk (2,048) so the pipelined chunking is crossed; and
// `prepare` on both devices: the same cache key, arrays and computed_on.
//   dm-dt:    bit-identical (integer counts, same host normalisation).
//   harmonic: within kHarmonicDeviceTolerance (represent.h), features equal.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "data/cache.h"
#include "data/dataset.h"
#include "data/represent/represent.h"
#include "data/sim/simulate.h"
#include "data/sim/write.h"
#include "engine/cuda_backend.h"
#include "engine/device.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;

std::string varstar_test_skip_reason() {
#ifndef VARSTAR_HAS_CUDA
  return "built without the CUDA backend: GPU representation parity not run";
#else
  if (cuda::device_count() == 0) return "no GPU: " + cuda::unavailable_reason();
  return {};
#endif
}

#ifdef VARSTAR_HAS_CUDA

namespace {

constexpr int64_t kStarsPerClass = 215;  // x 10 classes = 2,150 stars > one GPU chunk of 2,048

const sim::SimulatedData& simulated() {
  static const sim::SimulatedData d = [] {
    sim::SimOptions o;
    o.stars_per_class = kStarsPerClass;
    o.seed = 5;
    return sim::simulate(o);
  }();
  return d;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

RepresentationBatch build(const std::string& spec, Device device, bool with_curves) {
  const auto& d = simulated();
  return build_representation(RepresentationSpec::parse(spec), d.rows, with_curves ? &d.curves : nullptr, {}, {}, {},
                              device);
}

}  // namespace

TEST_CASE("dm-dt modes on the GPU are bit-identical to the CPU") {
  REQUIRE(static_cast<int64_t>(simulated().rows.size()) > 2048);
  const std::vector<std::pair<std::string, bool>> cases = {
      {"dmdt-catalog:image_height=24,image_width=24", false},  // preset ours-5class-2dcnn and the demo
      {"dmdt-catalog", false},
      {"dmdt-catalog:dmdt_edges=mahabal,dmdt_norm=counts,catalog_noise=false", false},
      {"dmdt-catalog:dmdt_edges=both,image_height=24,image_width=24,dmdt_norm=mahabal255", false},
      {"dmdt-lightcurve", true},
      {"dmdt-lightcurve:dmdt_edges=mahabal,dmdt_norm=max", true},
      {"dmdt-lightcurve:dmdt_edges=both,image_height=32,image_width=32", true},
      {"dmdt-lightcurve:dmdt_norm=counts,bands=r", true},
  };
  for (const auto& [spec, curves] : cases) {
    CAPTURE(spec);
    const RepresentationBatch cpu = build(spec, Device::cpu(), curves);
    const RepresentationBatch gpu = build(spec, Device::cuda(0), curves);
    CHECK(gpu.sample_shape == cpu.sample_shape);
    CHECK(bit_equal(gpu.values, cpu.values));
    CHECK(gpu.notes == cpu.notes);
    CHECK(gpu.description == cpu.description);
    // Not all zero: the comparison means something.
    CHECK(std::count_if(cpu.values.begin(), cpu.values.end(), [](float v) { return v != 0; }) >
          static_cast<int64_t>(cpu.values.size() / 100));
  }
}

TEST_CASE("harmonic modes on the GPU agree with the CPU within the named tolerance") {
  for (const std::string spec : {"harmonic-thesis", "harmonic-text", "harmonic-shape", "harmonic-thesis:n_points=1001"}) {
    CAPTURE(spec);
    const RepresentationBatch cpu = build(spec, Device::cpu(), false);
    const RepresentationBatch gpu = build(spec, Device::cuda(0), false);
    REQUIRE(gpu.values.size() == cpu.values.size());
    double worst = 0;
    for (size_t i = 0; i < cpu.values.size(); ++i) {
      const double c = cpu.values[i], g = gpu.values[i];
      worst = std::max(worst, std::abs(g - c) / std::max(1.0, std::abs(c)));
    }
    MESSAGE(spec << ": largest relative difference " << worst);
    CHECK(worst <= kHarmonicDeviceTolerance);
    CHECK(bit_equal(gpu.features, cpu.features));  // host-computed on both paths
  }
}

TEST_CASE("prepare on the GPU: same cache key and arrays as the CPU, computed_on recorded") {
  namespace fs = std::filesystem;
  const fs::path dir = test::scratch_dir("device_parity_prepare");
  sim::SimOptions so;
  so.stars_per_class = 60;
  so.seed = 9;
  sim::write_simulated_set(so, (dir / "builtin").string());
  for (const std::string repr : {"dmdt-catalog:image_height=24,image_width=24", "harmonic-shape"}) {
    CAPTURE(repr);
    std::vector<PreparedDataset> runs;
    for (const Device device : {Device::cpu(), Device::cuda(0)}) {
      PrepareOptions o;
      o.builtin_dir = (dir / "builtin").string();
      o.classes = "5";
      o.per_class = 40;
      o.representation = repr;
      o.out_dir = (dir / ("out-" + device.str())).string();
      o.cache_dir = (dir / ("cache-" + device.str())).string();
      o.device = device;
      runs.push_back(prepare(o));
    }
    REQUIRE(runs.size() == 2);
    // The key (in the file name) does not depend on the device.
    CHECK(fs::path(runs[0].cache_path).filename() == fs::path(runs[1].cache_path).filename());
    const MappedCache a = MappedCache::open(runs[0].cache_path), b = MappedCache::open(runs[1].cache_path);
    CHECK(a.key() == b.key());
    CHECK(a.description().at("computed_on") == "cpu");
    CHECK(b.description().at("computed_on") == "cuda:0");
    const auto xa = a.f32("x"), xb = b.f32("x");
    REQUIRE(xa.size() == xb.size());
    if (repr.starts_with("dmdt-")) {
      CHECK(std::memcmp(xa.data(), xb.data(), xa.size() * sizeof(float)) == 0);
    } else {
      double worst = 0;
      for (size_t i = 0; i < xa.size(); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(xb[i]) - xa[i]) / std::max(1.0, std::abs(static_cast<double>(xa[i]))));
      CHECK(worst <= kHarmonicDeviceTolerance);
    }
  }
}

#endif
