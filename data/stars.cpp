// Unlabelled star input for prediction (see stars.h).
#include "data/stars.h"

#include <unordered_map>

namespace varstar::data {

void fill_row_from_table(CatalogRow& row, const StarTable& table, size_t r) {
  for (size_t c = 0; c < table.numeric_names.size(); ++c) {
    const std::string& name = table.numeric_names[c];
    const double v = table.numeric[c][r];
    if (name == "Per") row.period = v;
    else if (name == "SourceID") row.source_id = static_cast<int64_t>(v);
    else if (name == "Num_g") row.num_g = static_cast<int32_t>(v);
    else if (name == "Num_r") row.num_r = static_cast<int32_t>(v);
    else if (name == "RAdeg") row.ra_deg = v;
    else if (name == "DEdeg") row.dec_deg = v;
    else if (name == "R21") row.r21 = v;
    else if (name == "phi21") row.phi21 = v;
    else if (name == "T_0") row.t0 = v;
    else if (name == "gmag") row.gmag = v;
    else if (name == "rmag") row.rmag = v;
    else if (name == "Amp_g") row.amp_g = v;
    else if (name == "Amp_r") row.amp_r = v;
    else if (name == "R21_g") row.r21_g = v;
    else if (name == "R21_r") row.r21_r = v;
    else if (name == "phi21_g") row.phi21_g = v;
    else if (name == "phi21_r") row.phi21_r = v;
  }
}

StarsInput read_stars(const PrepareOptions& o) {
  StarsInput out;
  for (const std::string* f : {&o.catalog, &o.lightcurves, &o.periods})
    out.simulated = out.simulated || (!f->empty() && input_says_simulated(*f));
  std::optional<LightCurveSet> curves;
  if (!o.lightcurves.empty()) {
    LightCurveReadOptions lo;
    lo.on_bad_row = o.on_bad_row;
    LightCurveData d = read_lightcurves(o.lightcurves, lo);
    out.reports.push_back(d.report.summary(d.set.band_names));
    curves = std::move(d.set);
  }
  if (!o.catalog.empty()) {
    CatalogReadOptions co;
    co.format = o.catalog_format;
    co.skip_lines = o.skip_lines;
    co.on_bad_row = o.on_bad_row;
    co.known_types.clear();  // any Type: the model only reads the features
    Catalog cat = read_catalog(o.catalog, co);
    out.reports.push_back(cat.report.summary());
    out.rows = std::move(cat.rows);
    out.curves = std::move(curves);
    return out;
  }
  VARSTAR_CHECK(curves.has_value() && !o.periods.empty(),
                "give the stars to classify: --catalog FILE, or --lightcurves FILE with --periods FILE");
  TableReadOptions po;
  po.on_bad_row = o.on_bad_row;
  const StarTable periods = read_star_table(o.periods, po);
  std::unordered_map<std::string, size_t> period_of;
  for (size_t i = 0; i < periods.ids.size(); ++i) period_of.emplace(periods.ids[i], i);
  LightCurveSet kept;
  kept.band_names = curves->band_names;
  int64_t without_period = 0;
  std::string example;
  for (auto& curve : curves->curves) {
    const auto p = period_of.find(curve.id);
    if (p == period_of.end()) {
      if (without_period++ == 0) example = curve.id;
      continue;
    }
    CatalogRow row;
    row.id = curve.id;
    fill_row_from_table(row, periods, p->second);
    out.rows.push_back(std::move(row));
    kept.curves.push_back(std::move(curve));
  }
  if (without_period > 0)
    out.reports.push_back(fmt::format("{} stars of {} have no period in {} and are not classified (first: {})",
                                      without_period, o.lightcurves, o.periods, example));
  out.curves = std::move(kept);
  return out;
}

}  // namespace varstar::data
