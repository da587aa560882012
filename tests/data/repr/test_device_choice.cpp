// The device plumbing of the representations, on any machine:
//   - resolve_device() (what --device goes through): on a machine or build
//     without a usable GPU, "cuda" and "cuda:N" fall back to the CPU with one
//     note, "auto" picks the CPU silently, nonsense is an error;
//   - build_representation() refuses a CUDA device it cannot use with a clear
//     error instead of crashing in the CUDA runtime;
//   - the chunked dm-dt pipeline (which the GPU path shares) gives every star
//     the image it gets alone: more stars than one CPU chunk (512), built in
//     one call, equal the stars built one by one.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "data/represent/represent.h"
#include "engine/device.h"
#include "engine/error.h"

using namespace varstar;
using namespace varstar::data;

namespace {

CatalogRow catalog_row(int i) {
  CatalogRow row;
  row.id = "star" + std::to_string(i);
  row.period = 0.3 + 0.0137 * (i % 97);
  row.rmag = 15 + 0.01 * (i % 300);
  row.gmag = row.rmag + 0.3;
  row.amp_r = 0.2 + 0.003 * (i % 211);
  row.amp_g = row.amp_r * 1.3;
  row.r21 = row.r21_r = 0.1 + 0.004 * (i % 101);
  row.phi21 = row.phi21_r = 0.05 * (i % 120);
  row.num_g = 8 + i % 37;  // small curves keep the test fast; some stars get few pairs
  row.num_r = 5 + (i * 7) % 41;
  row.ra_deg = (i * 13) % 360;
  return row;
}

}  // namespace

TEST_CASE("resolve_device: the CPU fallback without a usable GPU") {
  CHECK(resolve_device("cpu") == Device::cpu());
  CHECK_THROWS_AS(resolve_device("gpu"), Error);
  CHECK_THROWS_AS(resolve_device("cuda:x"), Error);
  if (cuda_available()) {
    MESSAGE("a GPU is usable here: the fallback itself is not testable; checking that cuda and auto pick it");
    std::string note;
    CHECK(resolve_device("cuda", &note) == Device::cuda(0));
    CHECK(resolve_device("auto", &note) == Device::cuda(0));
    CHECK(note.empty());
    return;
  }
  for (const char* choice : {"cuda", "cuda:0", "cuda:3"}) {
    CAPTURE(choice);
    std::string note;
    CHECK(resolve_device(choice, &note) == Device::cpu());
    CHECK(note.find("running on the CPU") != std::string::npos);
    CHECK(note.find(choice) != std::string::npos);
  }
  std::string note;
  CHECK(resolve_device("auto", &note) == Device::cpu());
  CHECK(note.empty());  // auto asks for nothing in particular: no message
}

TEST_CASE("build_representation refuses a GPU it cannot use, naming the fix") {
  const int count = cuda_device_count();
  const Device missing = Device::cuda(count);  // one past the last visible GPU: never usable
  for (const char* mode : {"dmdt-catalog", "harmonic-thesis"}) {
    CAPTURE(mode);
    try {
      (void)build_representation(RepresentationSpec::parse(mode), {catalog_row(1)}, nullptr, {}, {}, {}, missing);
      FAIL("expected an error");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find(missing.str()) != std::string::npos);
      CHECK(what.find("resolve_device") != std::string::npos);
    }
  }
  CHECK(representation_uses_gpu("dmdt-catalog"));
  CHECK(representation_uses_gpu("harmonic-shape"));
  CHECK_FALSE(representation_uses_gpu("dmdt-thesis-classpair"));
  CHECK_FALSE(representation_uses_gpu("folded"));
}

TEST_CASE("chunked dm-dt pipeline: each star's image equals the image it gets alone") {
  const int n = 1100;  // three CPU chunks (512, 512, 76)
  std::vector<CatalogRow> rows;
  for (int i = 0; i < n; ++i) rows.push_back(catalog_row(i));
  for (const char* spec : {"dmdt-catalog", "dmdt-catalog:dmdt_edges=both,image_height=16,image_width=16"}) {
    CAPTURE(spec);
    const RepresentationSpec s = RepresentationSpec::parse(spec);
    const RepresentationBatch all = build_representation(s, rows, nullptr, {}, {});
    const size_t per = static_cast<size_t>(all.sample_size());
    REQUIRE(all.values.size() == per * n);
    int mismatched = 0;
    for (int i : {0, 1, 511, 512, 513, 1023, 1024, 1099}) {
      const RepresentationBatch one = build_representation(s, {rows[i]}, nullptr, {}, {});
      REQUIRE(one.values.size() == per);
      if (std::memcmp(one.values.data(), &all.values[per * i], per * sizeof(float)) != 0) ++mismatched;
    }
    CHECK(mismatched == 0);
    // Neighbouring stars differ (a shifted or repeated chunk would show).
    CHECK(std::memcmp(&all.values[per * 511], &all.values[per * 512], per * sizeof(float)) != 0);
  }
}
