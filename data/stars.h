#pragma once
// Stars to classify, labels not needed: every row of a catalog (no cleaning,
// no balancing), or light curves with a periods table (`varstar predict`).
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace varstar::data {

struct StarsInput {
  std::vector<CatalogRow> rows;          // input order; type empty unless the input gives one
  std::optional<LightCurveSet> curves;   // when light curves were given
  std::vector<std::string> reports;      // reader summaries
  bool simulated = false;                // an input file says it is simulated
};

// Reads o.catalog (with o.lightcurves when given) or o.lightcurves + o.periods.
// Rows follow the input order; with light curves, only stars that have a curve
// and a period are kept (the others are reported, never silently dropped).
StarsInput read_stars(const PrepareOptions& o);

// Fills the catalog columns of `row` from star-table columns named as in Table2.
void fill_row_from_table(CatalogRow& row, const StarTable& table, size_t r);

}  // namespace varstar::data
