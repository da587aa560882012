#pragma once
// The built-in simulator's stars (30 per class) written as a CDS catalog in
// dir/builtin and prepared (5 classes) with a representation, for tests that
// need a real prepared data set with per-star features.
#include <filesystem>
#include <string>

#include "data/catalog_io.h"
#include "data/dataset.h"
#include "data/sim/simulate.h"

namespace varstar::test {

inline data::PreparedDataset prepare_simulated(const std::filesystem::path& dir, const std::string& representation,
                                               int64_t per_class, int folds) {
  sim::SimOptions so;
  so.stars_per_class = 30;
  const sim::SimulatedData stars = sim::simulate(so);
  std::filesystem::create_directories(dir / "builtin");
  data::write_catalog_cds((dir / "builtin" / "Table2.txt").string(), stars.rows, {});
  data::PrepareOptions o;
  o.builtin_dir = (dir / "builtin").string();
  o.out_dir = (dir / "out").string();
  o.classes = std::string("5");
  o.per_class = per_class;
  o.folds = folds;
  o.representation = representation;
  return data::prepare(o);
}

}  // namespace varstar::test
