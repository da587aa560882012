// Thesis catalog cleaning, light-curve cleaning and the cleaning report; see cleaning.h.
#include "data/cleaning.h"

#include <algorithm>

#include "data/catalog_io.h"
#include "data/csv.h"

namespace varstar::data {

namespace {

enum CatalogRule : size_t { kDetections, kFitQuality, kFap, kZero, kClassSet };

std::string thousands(int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -v : v);
  std::string s;
  if (v < 0) s.push_back('-');
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

// Fills in the per-class totals and the sorted type table.
CleaningReport finish(CleaningReport rep, const std::map<std::string, CleaningReport::TypeRow, std::less<>>& types) {
  std::map<std::string, int64_t> classes;
  for (const auto& [name, row] : types) {
    rep.types.push_back(row);
    if (!row.target.empty()) classes[row.target] += row.out;
  }
  for (const auto& [c, n] : classes) rep.classes.emplace_back(c, n);
  return rep;
}

}  // namespace

std::vector<std::string> zero_columns_cnn_lstm() { return {"Per", "R21", "phi21", "rmag", "Amp_r"}; }
std::vector<std::string> zero_columns_2d_cnn() {
  return {"Per", "T_0", "gmag", "rmag", "Amp_g", "Amp_r", "R^2_g", "R^2_r"};
}

std::vector<std::string> parse_zero_columns(std::string_view spec) {
  if (spec == "cnn-lstm") return zero_columns_cnn_lstm();
  if (spec == "2d-cnn") return zero_columns_2d_cnn();
  if (spec == "none" || spec.empty()) return {};
  std::vector<std::string> cols;
  size_t pos = 0;
  for (;;) {
    const size_t comma = spec.find(',', pos);
    const std::string_view name = trim(spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos));
    const int c = table2_column_index(name);
    if (c < 0 || name == "ID" || name == "Type")
      throw Error(fmt::format("--zero-columns: '{}' is not a numeric Table2 column (or use cnn-lstm, 2d-cnn, none)",
                              name));
    cols.emplace_back(name);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return cols;
}

// ---- catalog ---------------------------------------------------------------------------

CatalogCleaner::CatalogCleaner(CatalogCleaningOptions options, std::string input) : opt_(std::move(options)) {
  rep_.input = std::move(input);
  rep_.class_set = opt_.classes.describe();
  for (const auto& name : opt_.zero_columns) {
    const int c = table2_column_index(name);
    VARSTAR_CHECK(c > 0 && name != "Type", "zero rule: '{}' is not a numeric Table2 column", name);
    zero_cols_.push_back(static_cast<size_t>(c));
  }
  const std::string n = std::to_string(opt_.min_detections);
  rep_.rules = {
      {"detections", fmt::format("Num_g <= {0} or Num_r <= {0}", n), 0},
      {"fit quality", fmt::format("R^2_g <= {0} or R^2_r <= {0}", opt_.min_r2), 0},
      {"FAP", fmt::format("log(FAP_g) >= {0} or log(FAP_r) >= {0}", opt_.max_log_fap), 0},
      {"zero", opt_.zero_columns.empty() ? std::string("(off)")
                                         : fmt::format("a 0 in {}", fmt::join(opt_.zero_columns, " ")),
       0},
      {"class set", fmt::format("Type not in {}", opt_.classes.name()), 0},
  };
  if (!opt_.quality_filters) {
    for (size_t r = kDetections; r <= kFap; ++r) rep_.rules[r].text = "(off)";
  }
}

CleaningReport::TypeRow& CatalogCleaner::type_row(const std::string& type) {
  auto it = types_.find(type);
  if (it == types_.end()) {
    CleaningReport::TypeRow t;
    t.type = type;
    t.removed.assign(rep_.rules.size(), 0);
    it = types_.emplace(type, std::move(t)).first;
  }
  return it->second;
}

bool CatalogCleaner::remove(CleaningReport::TypeRow& t, size_t rule) {
  ++rep_.rules[rule].removed;
  ++t.removed[rule];
  return false;
}

bool CatalogCleaner::accept(CatalogRow& row) {
  ++rep_.rows_in;
  CleaningReport::TypeRow& t = type_row(row.type);
  ++t.in;
  if (opt_.quality_filters) {
    if (!(row.num_g > opt_.min_detections && row.num_r > opt_.min_detections)) return remove(t, kDetections);
    if (!(row.r2_g > opt_.min_r2 && row.r2_r > opt_.min_r2)) return remove(t, kFitQuality);
    if (!(row.log_fap_g < opt_.max_log_fap && row.log_fap_r < opt_.max_log_fap)) return remove(t, kFap);
  }
  for (size_t c : zero_cols_)
    if (catalog_value(row, c) == 0.0) return remove(t, kZero);
  const std::optional<std::string> target = opt_.classes.map(row.type);
  if (!target) return remove(t, kClassSet);
  t.target = *target;
  ++t.out;
  ++rep_.rows_out;
  row.type = *target;
  return true;
}

CleaningReport CatalogCleaner::report() const {
  CleaningReport rep = finish(rep_, types_);
  // Types removed entirely before the class-set rule still show their target.
  for (auto& t : rep.types)
    if (t.target.empty() && opt_.classes.knows(t.type)) t.target = opt_.classes.map(t.type).value_or("");
  return rep;
}

// ---- light curves ------------------------------------------------------------------------

LightCurveCleaner::LightCurveCleaner(LightCurveCleaningOptions options, std::string input) : opt_(std::move(options)) {
  rep_.input = std::move(input);
  rep_.class_set = opt_.classes.describe();
  rep_.rules = {{"observations", fmt::format("fewer than {} observations", opt_.min_observations), 0},
                {"class set", fmt::format("Type not in {}", opt_.classes.name()), 0}};
}

bool LightCurveCleaner::accept(const LightCurve& curve, std::string& type) {
  ++rep_.rows_in;
  auto it = types_.find(type);
  if (it == types_.end()) {
    CleaningReport::TypeRow t;
    t.type = type;
    t.removed.assign(rep_.rules.size(), 0);
    it = types_.emplace(type, std::move(t)).first;
  }
  CleaningReport::TypeRow& t = it->second;
  ++t.in;
  if (static_cast<int64_t>(curve.time.size()) < opt_.min_observations) {
    ++rep_.rules[0].removed;
    ++t.removed[0];
    return false;
  }
  const std::optional<std::string> target = opt_.classes.map(type);
  if (!target) {
    ++rep_.rules[1].removed;
    ++t.removed[1];
    return false;
  }
  t.target = *target;
  ++t.out;
  ++rep_.rows_out;
  type = *target;
  return true;
}

CleaningReport LightCurveCleaner::report() const {
  CleaningReport rep = finish(rep_, types_);
  for (auto& t : rep.types)
    if (t.target.empty() && opt_.classes.knows(t.type)) t.target = opt_.classes.map(t.type).value_or("");
  return rep;
}

// ---- printing -------------------------------------------------------------------------------

std::string CleaningReport::table() const {
  std::string s;
  s += fmt::format("Cleaning of {}\n", input.empty() ? std::string("the input") : input);
  s += fmt::format("  class set: {}\n", class_set);
  size_t w = 9;
  for (const auto& r : rules) w = std::max(w, r.name.size() + r.text.size() + 3);
  s += fmt::format("  {:<{}} {:>10}\n", "rows in", w, thousands(rows_in));
  for (const auto& r : rules)
    s += fmt::format("  {:<{}} {:>10}\n", r.name + " (" + r.text + ")", w,
                     r.removed ? fmt::format("-{}", thousands(r.removed)) : std::string("0"));
  s += fmt::format("  {:<{}} {:>10}\n\n", "rows out", w, thousands(rows_out));

  std::vector<std::string> head{"Type", "in"};
  for (const auto& r : rules) head.push_back(r.name);
  head.push_back("class");
  head.push_back("out");
  std::vector<std::vector<std::string>> cells{head};
  for (const auto& t : types) {
    std::vector<std::string> row{t.type, thousands(t.in)};
    for (int64_t v : t.removed) row.push_back(v ? fmt::format("-{}", thousands(v)) : std::string("0"));
    row.push_back(t.target.empty() ? "(dropped)" : t.target);
    row.push_back(thousands(t.out));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : cells)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : cells) {
    s += " ";
    for (size_t i = 0; i < row.size(); ++i) {
      if (i == 0 || i == row.size() - 2) s += fmt::format(" {:<{}}", row[i], width[i]);
      else s += fmt::format(" {:>{}}", row[i], width[i]);
    }
    s += "\n";
  }
  s += "\n  class      rows out\n";
  for (const auto& [c, n] : classes) s += fmt::format("  {:<10} {:>8}\n", c, thousands(n));
  for (const auto& n : notes) s += "  note: " + n + "\n";
  return s;
}

nlohmann::json CleaningReport::json() const {
  nlohmann::json j;
  j["input"] = input;
  j["class_set"] = class_set;
  j["rows_in"] = rows_in;
  j["rows_out"] = rows_out;
  j["rules"] = nlohmann::json::array();
  for (const auto& r : rules) j["rules"].push_back({{"name", r.name}, {"removes", r.text}, {"removed", r.removed}});
  j["types"] = nlohmann::json::array();
  for (const auto& t : types) {
    nlohmann::json removed = nlohmann::json::object();
    for (size_t i = 0; i < rules.size() && i < t.removed.size(); ++i) removed[rules[i].name] = t.removed[i];
    j["types"].push_back({{"type", t.type}, {"in", t.in}, {"removed", removed},
                          {"class", t.target.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.target)},
                          {"out", t.out}});
  }
  j["classes"] = nlohmann::json::object();
  for (const auto& [c, n] : classes) j["classes"][c] = n;
  j["notes"] = notes;
  return j;
}

}  // namespace varstar::data
