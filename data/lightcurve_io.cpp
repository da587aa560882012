// Light-curve, label and star-table CSV readers and writers; see lightcurve_io.h.
#include "data/lightcurve_io.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "data/catalog_io.h"

namespace varstar::data {

namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

constexpr std::array<std::string_view, 18> kBandOrder = {"u", "U", "B", "b", "g", "V", "G", "r", "R",
                                                          "i", "I", "z", "y", "Y", "J", "H", "K", "Ks"};

// Reads the header line of a CSV and finds the columns it needs.
struct CsvHeader {
  std::vector<std::string> names;
  int64_t line = 0;
  int find(std::string_view name) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<int>(i);
    return -1;
  }
};

CsvHeader read_header(LineSource& src, std::vector<std::string_view>& fields, std::string& scratch) {
  std::string_view line;
  do {
    if (!src.next(line)) throw DataError(src.name(), 0, "", "empty file: expected a CSV header line");
  } while (trim(line).empty());
  CsvHeader h;
  h.line = src.line_number();
  split_csv(line, fields, scratch, CsvWhere{&src.name(), h.line});
  for (auto f : fields) {
    for (const auto& n : h.names)
      if (n == f) throw DataError(src.name(), h.line, std::string(f), "column appears twice in the header");
    h.names.emplace_back(f);
  }
  return h;
}

int require_column(const CsvHeader& h, const LineSource& src, std::string_view name, std::string_view layout) {
  const int i = h.find(name);
  if (i < 0)
    throw DataError(src.name(), h.line, std::string(name),
                    fmt::format("missing column; expected a header with {} (found: {})", layout,
                                fmt::join(h.names, ",")));
  return i;
}

// Splits a data line and checks its field count against the header.
void split_row(std::string_view line, const LineSource& src, size_t expected, std::vector<std::string_view>& fields,
               std::string& scratch) {
  split_csv(line, fields, scratch, CsvWhere{&src.name(), src.line_number()});
  if (fields.size() != expected) {
    std::string what =
        fmt::format("expected {} comma-separated fields as in the header, found {}", expected, fields.size());
    if (src.last_line_unterminated()) what += "; the file ends inside this line (truncated?)";
    throw DataError(src.name(), src.line_number(), "", what);
  }
}

double number_field(const LineSource& src, std::string_view column, std::string_view text) {
  double v = 0;
  if (!parse_double(text, v)) throw DataError(src.name(), src.line_number(), std::string(column), describe_bad_number(text, false));
  return v;
}

LightCurveData read_lightcurves_from(LineSource src, const LightCurveReadOptions& opt) {
  LightCurveData out;
  LightCurveReadReport& rep = out.report;
  rep.file = src.name();
  rep.bad_rows.max_examples = opt.max_examples;
  std::vector<std::string_view> fields;
  std::string scratch;
  const CsvHeader h = read_header(src, fields, scratch);
  constexpr std::string_view kLayout = "id,time,mag,mag_err,band";
  const int c_id = require_column(h, src, "id", kLayout);
  const int c_time = require_column(h, src, "time", kLayout);
  const int c_mag = require_column(h, src, "mag", kLayout);
  const int c_err = require_column(h, src, "mag_err", kLayout);
  const int c_band = require_column(h, src, "band", kLayout);
  for (const auto& n : h.names)
    if (n != "id" && n != "time" && n != "mag" && n != "mag_err" && n != "band") rep.ignored_columns.push_back(n);

  LightCurveSet& set = out.set;
  std::vector<int64_t> band_missing;
  IdMap index;
  int64_t last = -1;  // curve of the previous row: rows of one star usually come together
  const SentinelPolicy& sp = opt.sentinels;
  std::string_view line;
  int64_t last_progress = 0;
  while (src.next(line)) {
    if (trim(line).empty()) continue;
    ++rep.rows;
    try {
      split_row(line, src, h.names.size(), fields, scratch);
      const std::string_view id = fields[c_id];
      const std::string_view band = fields[c_band];
      if (id.empty()) throw DataError(src.name(), src.line_number(), "id", "empty id");
      if (band.empty()) throw DataError(src.name(), src.line_number(), "band", "empty band name");
      const double t = number_field(src, "time", fields[c_time]);
      const double mag = number_field(src, "mag", fields[c_mag]);
      const double err = number_field(src, "mag_err", fields[c_err]);
      if (err < 0)
        throw DataError(src.name(), src.line_number(), "mag_err",
                        fmt::format("negative error {}; expected mag_err >= 0", quote_field(fields[c_err])));
      int32_t b = -1;
      for (size_t i = 0; i < set.band_names.size(); ++i)
        if (set.band_names[i] == band) b = static_cast<int32_t>(i);
      if (b < 0) {
        if (set.band_names.size() >= opt.max_bands)
          throw DataError(src.name(), src.line_number(), "band",
                          fmt::format("more than {} distinct band names (new: {}); is this the band column?",
                                      opt.max_bands, quote_field(band)));
        b = static_cast<int32_t>(set.band_names.size());
        set.band_names.emplace_back(band);
        band_missing.push_back(0);
      }
      if (last < 0 || set.curves[last].id != id) {
        auto it = index.find(id);
        if (it == index.end()) {
          it = index.emplace(std::string(id), static_cast<int64_t>(set.curves.size())).first;
          set.curves.emplace_back();
          set.curves.back().id.assign(id);
        }
        last = it->second;
      }
      const bool missing = mag >= sp.missing_mag_at_least || err >= sp.missing_err_at_least;
      const bool faint = !missing && mag >= sp.faint_limit;
      if (missing || (faint && sp.drop_faint)) {
        if (missing) {
          ++rep.dropped_missing;
          ++band_missing[b];
        } else {
          ++rep.dropped_faint;
        }
        if (rep.dropped_examples.size() < opt.max_examples)
          rep.dropped_examples.push_back(fmt::format("{}:{}: id {} band {} mag {} mag_err {} ({})", src.name(),
                                                     src.line_number(), id, band, fields[c_mag], fields[c_err],
                                                     missing ? "missing-value sentinel" : "at the faint limit"));
        continue;
      }
      if (faint) ++rep.faint_kept;
      LightCurve& lc = set.curves[last];
      lc.time.push_back(t);
      lc.mag.push_back(mag);
      lc.mag_err.push_back(err);
      lc.band.push_back(b);
    } catch (const DataError& e) {
      rep.bad_rows.handle(opt.on_bad_row, e);
    }
    if (opt.progress && src.bytes_consumed() - last_progress >= (int64_t{4} << 20)) {
      last_progress = src.bytes_consumed();
      opt.progress(last_progress, src.total_bytes());
    }
  }

  // Bands in wavelength order, then each curve sorted by time (stable).
  std::vector<int32_t> order(set.band_names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return band_rank(set.band_names[a]) < band_rank(set.band_names[b]); });
  std::vector<int32_t> remap(order.size());
  std::vector<std::string> names(order.size());
  rep.dropped_missing_per_band.assign(order.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    remap[order[i]] = static_cast<int32_t>(i);
    names[i] = set.band_names[order[i]];
    rep.dropped_missing_per_band[i] = band_missing[order[i]];
  }
  set.band_names = std::move(names);
  std::vector<size_t> perm;
  std::vector<int32_t> run_bands;
  for (LightCurve& lc : set.curves) {
    for (auto& b : lc.band) b = remap[b];
    perm.resize(lc.time.size());
    std::iota(perm.begin(), perm.end(), size_t{0});
    std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return lc.time[a] < lc.time[b]; });
    LightCurve sorted;
    sorted.id = std::move(lc.id);
    for (size_t i : perm) {
      sorted.time.push_back(lc.time[i]);
      sorted.mag.push_back(lc.mag[i]);
      sorted.mag_err.push_back(lc.mag_err[i]);
      sorted.band.push_back(lc.band[i]);
    }
    // Observations sharing (time, band) with another: within each run of equal times,
    // sort the bands and count repeats (O(k log k), whatever the input).
    for (size_t a = 0; a < sorted.time.size();) {
      size_t b = a + 1;
      while (b < sorted.time.size() && sorted.time[b] == sorted.time[a]) ++b;
      if (b - a > 1) {
        run_bands.assign(sorted.band.begin() + static_cast<ptrdiff_t>(a), sorted.band.begin() + static_cast<ptrdiff_t>(b));
        std::sort(run_bands.begin(), run_bands.end());
        for (size_t k = 1; k < run_bands.size(); ++k) rep.same_time_pairs += run_bands[k] == run_bands[k - 1];
      }
      a = b;
    }
    rep.observations += static_cast<int64_t>(sorted.time.size());
    lc = std::move(sorted);
  }
  rep.stars = static_cast<int64_t>(set.curves.size());
  if (opt.progress) opt.progress(src.bytes_consumed(), src.total_bytes());
  return out;
}

LabelTable read_labels_from(LineSource src, const TableReadOptions& opt) {
  LabelTable out;
  out.file = src.name();
  out.bad_rows.max_examples = opt.max_examples;
  std::vector<std::string_view> fields;
  std::string scratch;
  const CsvHeader h = read_header(src, fields, scratch);
  const int c_id = require_column(h, src, "id", "id,Type");
  const int c_type = require_column(h, src, "Type", "id,Type");
  std::vector<std::string> known = opt.known_types;
  std::sort(known.begin(), known.end());
  IdMap seen;
  std::string_view line;
  while (src.next(line)) {
    if (trim(line).empty()) continue;
    try {
      split_row(line, src, h.names.size(), fields, scratch);
      const std::string_view id = fields[c_id], type = fields[c_type];
      if (id.empty()) throw DataError(src.name(), src.line_number(), "id", "empty id");
      if (type.empty()) throw DataError(src.name(), src.line_number(), "Type", "empty Type");
      if (!known.empty() && !std::binary_search(known.begin(), known.end(), type))
        throw DataError(src.name(), src.line_number(), "Type",
                        fmt::format("unknown class {}; expected one of: {}", quote_field(type), fmt::join(known, " ")));
      const auto [it, fresh] = seen.emplace(std::string(id), src.line_number());
      if (!fresh)
        throw DataError(src.name(), src.line_number(), "id",
                        fmt::format("duplicate id {} (first seen on line {})", quote_field(id), it->second));
      out.ids.emplace_back(id);
      out.types.emplace_back(type);
    } catch (const DataError& e) {
      out.bad_rows.handle(opt.on_bad_row, e);
    }
  }
  return out;
}

StarTable read_star_table_from(LineSource src, const TableReadOptions& opt) {
  StarTable out;
  out.file = src.name();
  out.bad_rows.max_examples = opt.max_examples;
  std::vector<std::string_view> fields;
  std::string scratch;
  const CsvHeader h = read_header(src, fields, scratch);
  const int c_id = require_column(h, src, "id", "id,Per[,more columns]");
  std::vector<int> numeric_pos, text_pos;
  std::vector<bool> positive;
  for (size_t i = 0; i < h.names.size(); ++i) {
    if (static_cast<int>(i) == c_id) continue;
    const std::string& n = h.names[i];
    if (std::find(opt.text_columns.begin(), opt.text_columns.end(), n) != opt.text_columns.end()) {
      text_pos.push_back(static_cast<int>(i));
      out.text_names.push_back(n);
    } else {
      numeric_pos.push_back(static_cast<int>(i));
      out.numeric_names.push_back(n);
      positive.push_back(std::find(opt.positive_columns.begin(), opt.positive_columns.end(), n) !=
                         opt.positive_columns.end());
    }
  }
  for (const auto& p : opt.positive_columns) require_column(h, src, p, "id,Per[,more columns]");
  out.numeric.resize(numeric_pos.size());
  out.text.resize(text_pos.size());
  IdMap seen;
  std::string_view line;
  std::vector<double> values(numeric_pos.size());
  while (src.next(line)) {
    if (trim(line).empty()) continue;
    try {
      split_row(line, src, h.names.size(), fields, scratch);
      const std::string_view id = fields[c_id];
      if (id.empty()) throw DataError(src.name(), src.line_number(), "id", "empty id");
      for (size_t c = 0; c < numeric_pos.size(); ++c) {
        values[c] = number_field(src, out.numeric_names[c], fields[numeric_pos[c]]);
        if (positive[c] && !(values[c] > 0))
          throw DataError(src.name(), src.line_number(), out.numeric_names[c],
                          fmt::format("expected a positive number, found {}", quote_field(fields[numeric_pos[c]])));
      }
      for (size_t c = 0; c < text_pos.size(); ++c)
        if (fields[text_pos[c]].empty())
          throw DataError(src.name(), src.line_number(), out.text_names[c], "empty field (missing value)");
      const auto [it, fresh] = seen.emplace(std::string(id), src.line_number());
      if (!fresh)
        throw DataError(src.name(), src.line_number(), "id",
                        fmt::format("duplicate id {} (first seen on line {})", quote_field(id), it->second));
      out.ids.emplace_back(id);
      for (size_t c = 0; c < numeric_pos.size(); ++c) out.numeric[c].push_back(values[c]);
      for (size_t c = 0; c < text_pos.size(); ++c) out.text[c].emplace_back(fields[text_pos[c]]);
    } catch (const DataError& e) {
      out.bad_rows.handle(opt.on_bad_row, e);
    }
  }
  return out;
}

}  // namespace

int band_rank(std::string_view band) {
  for (size_t i = 0; i < kBandOrder.size(); ++i)
    if (kBandOrder[i] == band) return static_cast<int>(i);
  return static_cast<int>(kBandOrder.size());
}

std::string LightCurveReadReport::summary(const std::vector<std::string>& band_names) const {
  std::string s = fmt::format("{}: {} stars, {} observations kept of {} rows; bands {}", file, stars, observations,
                              rows, fmt::join(band_names, ","));
  if (dropped_missing > 0) {
    s += fmt::format("\n  dropped {} missing-value observations (mag >= 99 or mag_err >= 99):", dropped_missing);
    for (size_t b = 0; b < dropped_missing_per_band.size() && b < band_names.size(); ++b)
      if (dropped_missing_per_band[b] > 0) s += fmt::format(" {} {}", band_names[b], dropped_missing_per_band[b]);
  }
  if (dropped_faint > 0) s += fmt::format("\n  dropped {} observations at the faint limit", dropped_faint);
  if (faint_kept > 0) s += fmt::format("\n  kept {} observations at or beyond the faint limit", faint_kept);
  if (same_time_pairs > 0)
    s += fmt::format("\n  kept {} observations that share id, time and band with another", same_time_pairs);
  for (const auto& e : dropped_examples) s += "\n    e.g. " + e;
  if (bad_rows.count > 0) {
    s += fmt::format("\n  {} bad rows SKIPPED, first {}:", bad_rows.count, bad_rows.examples.size());
    for (const auto& e : bad_rows.examples) s += "\n    " + e;
  }
  if (!ignored_columns.empty()) s += fmt::format("\n  ignored columns: {}", fmt::join(ignored_columns, ","));
  return s;
}

const std::vector<double>& StarTable::column(std::string_view name) const {
  for (size_t i = 0; i < numeric_names.size(); ++i)
    if (numeric_names[i] == name) return numeric[i];
  throw Error(fmt::format("{}: no numeric column '{}'", file, name));
}

bool StarTable::has_column(std::string_view name) const {
  return std::find(numeric_names.begin(), numeric_names.end(), name) != numeric_names.end();
}

LightCurveData read_lightcurves(const std::string& path, const LightCurveReadOptions& options) {
  return read_lightcurves_from(LineSource::open_file(path), options);
}
LightCurveData read_lightcurves_buffer(std::string_view text, const std::string& name,
                                       const LightCurveReadOptions& options) {
  return read_lightcurves_from(LineSource::from_buffer(text, name), options);
}
LabelTable read_labels(const std::string& path, const TableReadOptions& options) {
  return read_labels_from(LineSource::open_file(path), options);
}
LabelTable read_labels_buffer(std::string_view text, const std::string& name, const TableReadOptions& options) {
  return read_labels_from(LineSource::from_buffer(text, name), options);
}
StarTable read_star_table(const std::string& path, const TableReadOptions& options) {
  return read_star_table_from(LineSource::open_file(path), options);
}
StarTable read_star_table_buffer(std::string_view text, const std::string& name, const TableReadOptions& options) {
  return read_star_table_from(LineSource::from_buffer(text, name), options);
}

void write_lightcurves_csv(const std::string& path, const LightCurveSet& set) {
  FileWriter out(path);
  auto& buf = out.buf();
  fmt::format_to(std::back_inserter(buf), "id,time,mag,mag_err,band\n");
  for (const LightCurve& lc : set.curves) {
    VARSTAR_CHECK(lc.mag.size() == lc.time.size() && lc.mag_err.size() == lc.time.size() &&
                      lc.band.size() == lc.time.size(),
                  "light curve {}: arrays of different lengths", lc.id);
    for (size_t i = 0; i < lc.time.size(); ++i) {
      VARSTAR_CHECK(lc.band[i] >= 0 && static_cast<size_t>(lc.band[i]) < set.band_names.size(),
                    "light curve {}: band index {} out of range", lc.id, lc.band[i]);
      VARSTAR_CHECK(std::isfinite(lc.time[i]) && std::isfinite(lc.mag[i]) && std::isfinite(lc.mag_err[i]),
                    "light curve {}: observation {} is not finite", lc.id, i);
      append_csv_field(buf, lc.id);
      fmt::format_to(std::back_inserter(buf), ",{},{},{},", lc.time[i], lc.mag[i], lc.mag_err[i]);
      append_csv_field(buf, set.band_names[lc.band[i]]);
      buf.push_back('\n');
    }
    out.flush_if_full();
  }
  out.close();
}

void write_labels_csv(const std::string& path, const std::vector<std::string>& ids,
                      const std::vector<std::string>& types) {
  VARSTAR_CHECK(ids.size() == types.size(), "write_labels_csv: {} ids but {} types", ids.size(), types.size());
  FileWriter out(path);
  auto& buf = out.buf();
  fmt::format_to(std::back_inserter(buf), "id,Type\n");
  for (size_t i = 0; i < ids.size(); ++i) {
    append_csv_field(buf, ids[i]);
    buf.push_back(',');
    append_csv_field(buf, types[i]);
    buf.push_back('\n');
    out.flush_if_full();
  }
  out.close();
}

void write_star_table_csv(const std::string& path, const StarTable& table) {
  FileWriter out(path);
  auto& buf = out.buf();
  buf.append(std::string_view("id"));
  for (const auto& n : table.numeric_names) {
    buf.push_back(',');
    append_csv_field(buf, n);
  }
  for (const auto& n : table.text_names) {
    buf.push_back(',');
    append_csv_field(buf, n);
  }
  buf.push_back('\n');
  for (size_t r = 0; r < table.ids.size(); ++r) {
    append_csv_field(buf, table.ids[r]);
    for (const auto& col : table.numeric) {
      VARSTAR_CHECK(std::isfinite(col[r]), "{}: star {}: value not finite", path, table.ids[r]);
      fmt::format_to(std::back_inserter(buf), ",{}", col[r]);
    }
    for (const auto& col : table.text) {
      buf.push_back(',');
      append_csv_field(buf, col[r]);
    }
    buf.push_back('\n');
    out.flush_if_full();
  }
  out.close();
}

}  // namespace varstar::data
