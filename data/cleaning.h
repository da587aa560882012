#pragma once
// The thesis's cleaning of the ZTF catalog, rule by rule as its scripts do it
// (pandas; see docs/DATA.md), and the same report for light-curve input.
// Catalog rules, applied in this order (a row is counted under the first rule
// that removes it; the set kept does not depend on the order):
//   1. detections:  keep Num_g > 50 and Num_r > 50
//   2. fit quality: keep R^2_g > 0.3 and R^2_r > 0.3
//   3. FAP:         keep log(FAP_g) < -3 and log(FAP_r) < -3
//   4. zero:        drop rows with a 0 in any of the used columns (CNN-LSTM
//                   scripts: Per R21 phi21 rmag Amp_r)
//   5. class set:   map Type through the ClassMap (CEPII -> CEP, ...); drop
//                   the types the set leaves out
// Light-curve rules: too few observations; class set.
// The report holds rows in, removed by each rule, rows out, and the same per
// source type and per target class; printable as a table and as JSON.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "data/classes.h"
#include "data/types.h"

namespace varstar::data {

// Columns the thesis scripts check for zeros: the CNN-LSTM path
// (Per R21 phi21 rmag Amp_r) and the 5-class all-stars 2D-CNN path
// (Per T_0 gmag rmag Amp_g Amp_r R^2_g R^2_r).
std::vector<std::string> zero_columns_cnn_lstm();
std::vector<std::string> zero_columns_2d_cnn();
// "cnn-lstm" | "2d-cnn" | "none" | comma-separated Table2 column names.
std::vector<std::string> parse_zero_columns(std::string_view spec);

struct CatalogCleaningOptions {
  bool quality_filters = true;  // rules 1-3
  int32_t min_detections = 50;  // Num_g, Num_r must exceed this
  double min_r2 = 0.3;          // R^2_g, R^2_r must exceed this
  double max_log_fap = -3.0;    // log(FAP_g), log(FAP_r) must be below this
  std::vector<std::string> zero_columns = zero_columns_cnn_lstm();
  ClassMap classes = ClassMap::thesis10();
};

struct LightCurveCleaningOptions {
  int64_t min_observations = 10;  // fewer kept observations (all bands) than this: dropped
  ClassMap classes = ClassMap::identity();
};

struct CleaningReport {
  struct Rule {
    std::string name;  // short, e.g. "detections"
    std::string text;  // what it removes, e.g. "Num_g <= 50 or Num_r <= 50"
    int64_t removed = 0;
  };
  struct TypeRow {
    std::string type;              // source Type
    int64_t in = 0;
    std::vector<int64_t> removed;  // per rule
    std::string target;            // its class ("" when the class set drops it)
    int64_t out = 0;
  };
  std::string input;      // what was cleaned (file names)
  std::string class_set;  // ClassMap::describe()
  int64_t rows_in = 0;
  int64_t rows_out = 0;
  std::vector<Rule> rules;
  std::vector<TypeRow> types;                           // sorted by type
  std::vector<std::pair<std::string, int64_t>> classes;  // rows out per class, sorted
  std::vector<std::string> notes;                        // reader reports, warnings

  std::string table() const;
  nlohmann::json json() const;
};

// Streaming catalog cleaner: call accept() on each row in file order.
class CatalogCleaner {
 public:
  explicit CatalogCleaner(CatalogCleaningOptions options, std::string input = {});
  // True when the row is kept; then row.type holds its target class.
  // Throws Error for a Type the class set does not know.
  bool accept(CatalogRow& row);
  // The report so far, with its per-class totals filled in.
  CleaningReport report() const;

 private:
  CatalogCleaningOptions opt_;
  std::vector<size_t> zero_cols_;
  CleaningReport rep_;
  std::map<std::string, CleaningReport::TypeRow, std::less<>> types_;
  CleaningReport::TypeRow& type_row(const std::string& type);
  bool remove(CleaningReport::TypeRow& t, size_t rule);
};

// Light-curve cleaner: accept() per star with its source Type.
class LightCurveCleaner {
 public:
  explicit LightCurveCleaner(LightCurveCleaningOptions options, std::string input = {});
  // True when kept; then `type` holds the target class.
  bool accept(const LightCurve& curve, std::string& type);
  CleaningReport report() const;

 private:
  LightCurveCleaningOptions opt_;
  CleaningReport rep_;
  std::map<std::string, CleaningReport::TypeRow, std::less<>> types_;
};

}  // namespace varstar::data
