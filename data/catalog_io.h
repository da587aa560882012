#pragma once
// Reading and writing the ZTF catalog of periodic variables (Chen et al. 2020,
// ApJS 249, 18; the thesis's Table2.txt) in two layouts:
//  - CDS/AAS machine-readable text: a byte-by-byte header, then one star per
//    line, fields separated by blanks (the thesis scripts skip 34 header lines
//    and split on whitespace). The reader finds the end of the header itself
//    (or skips exactly CatalogReadOptions::skip_lines) and splits on runs of
//    blanks; when a row has blank fields it falls back to the header's byte
//    ranges to name the empty column.
//  - CSV with a header naming the 27 columns of kTable2Columns (any order;
//    extra columns are ignored and listed in the report).
// Both readers stream: rows go to a sink one at a time, memory stays bounded
// (one 4 MiB block plus a 16-byte-per-id duplicate index).
// Every malformed row, missing column, non-numeric field, NaN/inf, unknown
// Type, duplicate ID or truncated last line is a DataError naming file, line,
// column and what was expected; with OnBadRow::skip the row is counted and the
// first examples are kept in the report instead.
#include <array>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv.h"
#include "data/types.h"

namespace varstar::data {

enum class CatalogFormat { automatic, cds, csv };
CatalogFormat parse_catalog_format(std::string_view text);  // "auto" | "cds" | "csv"
std::string_view to_string(CatalogFormat format);

// The 11 types of Chen et al. (2020), the default set of accepted Type values.
inline constexpr std::array<std::string_view, 11> kChenTypes = {
    "BYDra", "CEP", "CEPII", "DSCT", "EA", "EW", "Mira", "RR", "RRc", "RSCVN", "SR"};

struct CatalogReadOptions {
  CatalogFormat format = CatalogFormat::automatic;
  OnBadRow on_bad_row = OnBadRow::error;
  // CDS only: number of header lines before the first data row; -1 finds the
  // end of the byte-by-byte header (or none when the first line is data).
  int64_t skip_lines = -1;
  // Accepted Type values; an empty list accepts any non-empty Type.
  std::vector<std::string> known_types{kChenTypes.begin(), kChenTypes.end()};
  bool check_duplicate_ids = true;
  size_t max_examples = 10;
  ReadProgressFn progress;  // called about every 4 MiB
};

struct CatalogReadReport {
  std::string file;
  CatalogFormat format = CatalogFormat::automatic;  // the layout found
  int64_t header_lines = 0;                          // lines before the first data row
  int64_t lines = 0;                                 // lines read, header included
  int64_t rows = 0;                                  // rows delivered to the sink
  BadRowLog bad_rows;                                // rows skipped (OnBadRow::skip)
  std::vector<std::string> header_labels;            // labels of the CDS byte-by-byte header
  std::vector<std::string> ignored_columns;          // CSV columns not in kTable2Columns
  std::string summary() const;                       // one paragraph for the terminal
};

using CatalogSink = std::function<void(CatalogRow&&)>;

// Streams the rows of `path` to `sink` in file order.
CatalogReadReport read_catalog(const std::string& path, const CatalogReadOptions& options,
                               const CatalogSink& sink);
// The same over an in-memory text; `name` stands for the file name in errors.
CatalogReadReport read_catalog_buffer(std::string_view text, const std::string& name,
                                      const CatalogReadOptions& options, const CatalogSink& sink);

struct Catalog {
  std::vector<CatalogRow> rows;
  CatalogReadReport report;
};
// Reads every row into memory (~300 bytes per star).
Catalog read_catalog(const std::string& path, const CatalogReadOptions& options = {});

struct CdsWriteOptions {
  std::string title = "The Zwicky Transient Facility catalog of periodic variable stars";
  std::string authors = "Chen X., Wang S., Deng L., de Grijs R., Yang M., Tian H.";
  std::string file_name = "Table2.txt";  // named in the byte-by-byte header
};
// Writes the 34-line byte-by-byte header and one fixed-width line per row.
// Columns are as wide as the layout says (cds_header()), or wider where a
// value needs it (the header then gives the wider format and byte ranges).
// Throws Error for an empty ID or Type, one with blanks, or a non-finite number.
void write_catalog_cds(const std::string& path, std::span<const CatalogRow> rows,
                       const CdsWriteOptions& options = {});
// Writes a header with the 27 kTable2Columns labels, then one row per star;
// numbers in shortest round-trip form.
void write_catalog_csv(const std::string& path, std::span<const CatalogRow> rows);

// The CDS header text of the default layout (34 lines, each ending in '\n').
std::string cds_header(const CdsWriteOptions& options = {});
inline constexpr int64_t kCdsHeaderLines = 34;

// Column access by kTable2Columns index (0..26). Numeric columns only:
// ID (0) and Type (24) throw Error.
double catalog_value(const CatalogRow& row, size_t column);
// Index of `label` in kTable2Columns, or -1.
int table2_column_index(std::string_view label);

// Appends one CSV field to `out`, quoted when it contains ',', '"', or edge blanks.
void append_csv_field(fmt::memory_buffer& out, std::string_view field);

}  // namespace varstar::data
