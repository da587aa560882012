// The whole thesis protocol against its own pandas code: a synthetic Table2
// (values straddling every cleaning boundary, zeros in the used columns) is
// written by write_catalog_cds, read by scripts/reference/thesis_prepare.py
// exactly as the thesis scripts read it (skip 34 lines, split on blanks), and
// cleaned, balanced and split there; `prepare` must give the same counts, the
// same balanced row order and the same KFold test sets, ID for ID.
// Label `python` (fails instead of skipping with VARSTAR_REQUIRE_TORCH=ON).
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "tests/data/io/test_util.h"

using namespace varstar::data;

namespace {

std::vector<CatalogRow> boundary_catalog(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  auto pick = [&](std::initializer_list<double> values) {
    return *(values.begin() + static_cast<ptrdiff_t>(rng() % values.size()));
  };
  std::vector<CatalogRow> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    CatalogRow& r = rows[static_cast<size_t>(i)];
    r.id = "ZTFJ" + std::to_string(100000 + i);
    r.source_id = i + 1;
    r.ra_deg = 360.0 * u(rng);
    r.dec_deg = -20 + 80 * u(rng);
    r.period = rng() % 40 == 0 ? 0.0 : 0.05 + 300 * u(rng) * u(rng);
    r.r21 = rng() % 40 == 0 ? 0.0 : u(rng);
    r.phi21 = rng() % 40 == 0 ? 0.0 : 6 * u(rng);
    r.t0 = 2458300 + 100 * u(rng);
    r.gmag = rng() % 40 == 0 ? 0.0 : 14 + 6 * u(rng);  // not a CNN-LSTM zero column
    r.rmag = rng() % 40 == 0 ? 0.0 : 14 + 6 * u(rng);
    r.period_g = r.period;
    r.period_r = r.period;
    r.num_g = static_cast<int32_t>(pick({10, 49, 50, 51, 52, 120, 300, 500}));
    r.num_r = static_cast<int32_t>(pick({50, 51, 80, 200, 400, 700}));
    r.r2_g = pick({0.1, 0.299, 0.3, 0.301, 0.5, 0.8, 0.95});
    r.r2_r = pick({0.3, 0.301, 0.6, 0.9});
    r.amp_g = u(rng);
    r.amp_r = rng() % 40 == 0 ? 0.0 : 0.01 + u(rng);
    r.log_fap_g = pick({-2.5, -3.0, -3.001, -10.0, -55.5});
    r.log_fap_r = pick({-3.0, -3.001, -20.0, -120.25});
    r.type = std::string(kChenTypes[rng() % kChenTypes.size()]);
  }
  return rows;
}

}  // namespace

std::string varstar_test_skip_reason() {
  return varstar::test::python_skip_reason(VARSTAR_PYTHON, VARSTAR_REQUIRE_PYTHON);
}

TEST_CASE("prepare reproduces the thesis scripts' cleaning, balancing and KFold, ID for ID") {
  REQUIRE_MESSAGE(varstar::test::python_ready(VARSTAR_PYTHON),
                  "python3 with scikit-learn and pandas is required at " << VARSTAR_PYTHON);
  const auto dir = varstar::test::scratch_dir("thesis_pipeline");
  const std::string table = (dir / "Table2.txt").string();
  write_catalog_cds(table, boundary_catalog(60000, 2025));

  for (const char* classes : {"10", "5"}) {
    for (int64_t per_class : {int64_t{150}, int64_t{400}}) {
      CAPTURE(classes);
      CAPTURE(per_class);
      const std::string out = (dir / "ref.json").string();
      const std::string cmd = std::string("\"") + VARSTAR_PYTHON + "\" \"" + VARSTAR_SOURCE_ROOT +
                              "/scripts/reference/thesis_prepare.py\" \"" + table + "\" " + classes + " " +
                              std::to_string(per_class) + " \"" + out + "\"";
      REQUIRE(std::system(cmd.c_str()) == 0);
      const nlohmann::json ref = nlohmann::json::parse(varstar::test::read_file(out));

      PrepareOptions o;
      o.catalog = table;
      o.classes = classes;
      o.per_class = per_class;
      o.fold_method = FoldMethod::thesis;
      o.out_dir = (dir / (std::string("out") + classes)).string();
      const PreparedDataset d = prepare(o);

      const auto& rules = d.cleaning.rules;
      const int64_t after_filters = d.cleaning.rows_in - rules[0].removed - rules[1].removed - rules[2].removed;
      CHECK(after_filters == ref["filtered"].get<int64_t>());
      CHECK(after_filters - rules[3].removed == ref["nonzero"].get<int64_t>());
      CHECK(d.cleaning.rows_out == ref["selected"].get<int64_t>());
      for (const auto& [cls, count] : d.cleaning.classes) CHECK(ref["class_counts"][cls].get<int64_t>() == count);
      std::vector<std::string> ids;
      for (const auto& r : d.rows) ids.push_back(r.id);
      CHECK(ids == ref["balanced_ids"].get<std::vector<std::string>>());
      REQUIRE(d.folds.size() == 5);
      for (size_t f = 0; f < 5; ++f) {
        std::vector<std::string> test;
        for (int64_t i : d.folds[f].test) test.push_back(ids[static_cast<size_t>(i)]);
        CHECK(test == ref["folds"][f].get<std::vector<std::string>>());
      }
    }
  }
}
