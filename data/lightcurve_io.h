#pragma once
// Light-curve input and output, the layout of ../shared/data and of
// `varstar simulate`:
//   lightcurves.csv  id,time,mag,mag_err,band   one observation per line
//                    (time in days, magnitudes in mag, any band names)
//   labels.csv       id,Type                    one star per line
//   catalog.csv      id,Per[,more columns]      one star per line (period in days)
// Columns are found by their header names (any order; extra columns ignored
// and listed in the report).
//
// Missing-value sentinels: an observation with mag >= 99 or mag_err >= 99
// (SDSS Stripe 82 writes 99.99 for "no measurement") is dropped and counted
// per band in the report, with its first examples; never silently. Values at
// or fainter than SentinelPolicy::faint_limit (EROS clips at 25.0) are kept
// and counted; set drop_faint to drop them instead.
// Every malformed row, missing column, non-numeric field, NaN/inf, negative
// error, duplicate id (labels, catalog) or unknown class is a DataError naming
// file, line and column; OnBadRow::skip counts such rows and keeps the first examples.
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv.h"
#include "data/types.h"

namespace varstar::data {

struct SentinelPolicy {
  double missing_mag_at_least = 99.0;  // mag >= this: missing value, dropped
  double missing_err_at_least = 99.0;  // mag_err >= this: missing value, dropped
  double faint_limit = 25.0;           // mag >= this: at the survey's faint limit, counted
  bool drop_faint = false;             // true: drop those too (counted)
};

struct LightCurveReadOptions {
  OnBadRow on_bad_row = OnBadRow::error;
  SentinelPolicy sentinels;
  size_t max_examples = 10;
  size_t max_bands = 64;  // more distinct band names than this is a DataError
  ReadProgressFn progress;
};

struct LightCurveReadReport {
  std::string file;
  int64_t rows = 0;                 // data lines read (bad rows included)
  int64_t observations = 0;         // observations kept
  int64_t stars = 0;
  int64_t dropped_missing = 0;      // sentinel observations dropped
  int64_t dropped_faint = 0;        // faint-limit observations dropped (drop_faint)
  int64_t faint_kept = 0;           // faint-limit observations kept
  int64_t same_time_pairs = 0;      // observations sharing (id, time, band) with an earlier one (kept)
  std::vector<int64_t> dropped_missing_per_band;  // indexed like LightCurveSet::band_names
  std::vector<std::string> dropped_examples;      // first few dropped observations
  std::vector<std::string> ignored_columns;
  BadRowLog bad_rows;
  std::string summary(const std::vector<std::string>& band_names) const;
};

struct LightCurveData {
  LightCurveSet set;  // curves in order of first appearance, each sorted by time (stable)
  LightCurveReadReport report;
};

// Bands are ordered by wavelength when known (u U B b g V G r R i I z y Y J H K Ks),
// unknown names after them in order of first appearance.
LightCurveData read_lightcurves(const std::string& path, const LightCurveReadOptions& options = {});
LightCurveData read_lightcurves_buffer(std::string_view text, const std::string& name,
                                       const LightCurveReadOptions& options = {});

struct TableReadOptions {
  OnBadRow on_bad_row = OnBadRow::error;
  size_t max_examples = 10;
  // Labels: accepted Type values (empty: any non-empty Type).
  std::vector<std::string> known_types;
  // Star tables: columns that must be present and > 0 (the period).
  std::vector<std::string> positive_columns{"Per"};
  // Star tables: columns kept as text instead of parsed as numbers.
  std::vector<std::string> text_columns{"Type"};
};

struct LabelTable {
  std::string file;
  std::vector<std::string> ids;
  std::vector<std::string> types;
  BadRowLog bad_rows;
};

// One row per star: an `id` column and named numeric (and text) columns.
struct StarTable {
  std::string file;
  std::vector<std::string> ids;
  std::vector<std::string> numeric_names;
  std::vector<std::vector<double>> numeric;  // numeric[c][row]
  std::vector<std::string> text_names;
  std::vector<std::vector<std::string>> text;  // text[c][row]
  BadRowLog bad_rows;
  // The numeric column `name`; throws Error when absent.
  const std::vector<double>& column(std::string_view name) const;
  bool has_column(std::string_view name) const;
};

LabelTable read_labels(const std::string& path, const TableReadOptions& options = {});
LabelTable read_labels_buffer(std::string_view text, const std::string& name, const TableReadOptions& options = {});
StarTable read_star_table(const std::string& path, const TableReadOptions& options = {});
StarTable read_star_table_buffer(std::string_view text, const std::string& name,
                                 const TableReadOptions& options = {});

// Writers (numbers in shortest round-trip form; text quoted when needed).
void write_lightcurves_csv(const std::string& path, const LightCurveSet& set);
void write_labels_csv(const std::string& path, const std::vector<std::string>& ids,
                      const std::vector<std::string>& types);
void write_star_table_csv(const std::string& path, const StarTable& table);

// Index of each band name in the canonical wavelength order (for sorting); unknown: large.
int band_rank(std::string_view band);

}  // namespace varstar::data
