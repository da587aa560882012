// ZTF periodic-variable catalog (Chen et al. 2020 Table 2) readers and writers; see catalog_io.h.
#include "data/catalog_io.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/hash.h"

namespace varstar::data {

namespace {

constexpr size_t kColumns = kTable2Columns.size();
constexpr size_t kIdColumn = 0, kSourceIdColumn = 1, kTypeColumn = 24;

// One column of the CDS layout varstar writes: Fortran-style format (A: text,
// I: integer, F: fixed-point with `decimals`), units and explanation.
struct ColumnSpec {
  char kind;
  int width;
  int decimals;
  std::string_view units;
  std::string_view explanation;
};

constexpr std::array<ColumnSpec, kColumns> kSpecs = {{
    {'A', 22, 0, "---", "ZTF identifier (ZTFJhhmmss.ss+ddmmss.s)"},
    {'I', 7, 0, "---", "Sequential source number"},
    {'F', 9, 5, "deg", "Right ascension (J2000)"},
    {'F', 9, 5, "deg", "Declination (J2000)"},
    {'F', 12, 7, "d", "Adopted period"},
    {'F', 6, 3, "---", "Fourier amplitude ratio a2/a1"},
    {'F', 6, 3, "rad", "Fourier phase difference phi2 - 2 phi1"},
    {'F', 13, 5, "d", "Reference epoch (HJD)"},
    {'F', 6, 3, "mag", "Mean ZTF g magnitude"},
    {'F', 6, 3, "mag", "Mean ZTF r magnitude"},
    {'F', 12, 7, "d", "Period from the g-band light curve"},
    {'F', 12, 7, "d", "Period from the r-band light curve"},
    {'I', 5, 0, "---", "Number of g-band detections"},
    {'I', 5, 0, "---", "Number of r-band detections"},
    {'F', 6, 3, "---", "Fourier amplitude ratio a2/a1, g band"},
    {'F', 6, 3, "---", "Fourier amplitude ratio a2/a1, r band"},
    {'F', 6, 3, "rad", "Fourier phase difference, g band"},
    {'F', 6, 3, "rad", "Fourier phase difference, r band"},
    {'F', 6, 3, "---", "Coefficient of determination of the g-band fit"},
    {'F', 6, 3, "---", "Coefficient of determination of the r-band fit"},
    {'F', 6, 3, "mag", "Amplitude, g band"},
    {'F', 6, 3, "mag", "Amplitude, r band"},
    {'F', 9, 3, "[-]", "log10 false-alarm probability, g band"},
    {'F', 9, 3, "[-]", "log10 false-alarm probability, r band"},
    {'A', 5, 0, "---", "Type (BYDra CEP CEPII DSCT EA EW Mira RR RRc RSCVN SR)"},
    {'F', 6, 3, "mag", "Depth difference of the two minima, g band"},
    {'F', 6, 3, "mag", "Depth difference of the two minima, r band"},
}};

// Members behind the numeric columns (nullptr where the column is of the other kind).
using DoubleMember = double CatalogRow::*;
using IntMember = int32_t CatalogRow::*;
constexpr std::array<DoubleMember, kColumns> kDoubleMembers = {
    nullptr, nullptr, &CatalogRow::ra_deg, &CatalogRow::dec_deg, &CatalogRow::period, &CatalogRow::r21,
    &CatalogRow::phi21, &CatalogRow::t0, &CatalogRow::gmag, &CatalogRow::rmag, &CatalogRow::period_g,
    &CatalogRow::period_r, nullptr, nullptr, &CatalogRow::r21_g, &CatalogRow::r21_r, &CatalogRow::phi21_g,
    &CatalogRow::phi21_r, &CatalogRow::r2_g, &CatalogRow::r2_r, &CatalogRow::amp_g, &CatalogRow::amp_r,
    &CatalogRow::log_fap_g, &CatalogRow::log_fap_r, nullptr, &CatalogRow::delta_min_g,
    &CatalogRow::delta_min_r};
constexpr std::array<IntMember, kColumns> kIntMembers = {
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    nullptr, nullptr, nullptr, &CatalogRow::num_g, &CatalogRow::num_r, nullptr, nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

struct ByteRange {
  size_t begin, end;  // 0-based, end exclusive
};

using Widths = std::array<int, kColumns>;

Widths default_widths() {
  Widths w{};
  for (size_t c = 0; c < kColumns; ++c) w[c] = kSpecs[c].width;
  return w;
}

std::array<ByteRange, kColumns> ranges_for(const Widths& widths) {
  std::array<ByteRange, kColumns> r{};
  size_t pos = 0;
  for (size_t c = 0; c < kColumns; ++c) {
    if (c > 0) ++pos;  // one blank between fields
    r[c] = {pos, pos + static_cast<size_t>(widths[c])};
    pos = r[c].end;
  }
  return r;
}

std::string all_labels() {
  return fmt::format("{}", fmt::join(kTable2Columns, " "));
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool is_rule(std::string_view s) {  // a line of dashes or equals signs
  s = trim(s);
  return s.size() >= 3 && (s.find_first_not_of('-') == std::string_view::npos ||
                           s.find_first_not_of('=') == std::string_view::npos);
}
bool looks_like_cds_header(std::string_view s) {
  return starts_with(s, "Title:") || starts_with(s, "Authors:") || starts_with(s, "Table:") ||
         starts_with(s, "Byte-by-byte") || starts_with(s, "J/") || is_rule(s);
}

class CatalogParser {
 public:
  CatalogParser(LineSource& src, const CatalogReadOptions& opt, CatalogReadReport& rep, const CatalogSink& sink)
      : src_(src), opt_(opt), rep_(rep), sink_(sink) {
    rep_.bad_rows.max_examples = opt.max_examples;
    known_ = opt.known_types;
    std::sort(known_.begin(), known_.end());
  }

  void run_cds() {
    rep_.format = CatalogFormat::cds;
    std::string_view line;
    if (opt_.skip_lines >= 0) {
      for (int64_t i = 0; i < opt_.skip_lines; ++i)
        if (!src_.next(line))
          throw DataError(src_.name(), src_.line_number(), "",
                          fmt::format("file ends inside the {} header lines to skip", opt_.skip_lines));
      rep_.header_lines = opt_.skip_lines;
    } else {
      if (!src_.next(line)) return finish();
      if (looks_like_cds_header(line) || line.find("Byte-by-byte") != std::string_view::npos) {
        std::string first_data;
        const bool has_data = parse_header(line, first_data);
        if (!has_data) return finish();
        rep_.header_lines = src_.line_number() - 1;
        cds_row(first_data);
      } else {
        rep_.header_lines = 0;
        cds_row(line);
      }
    }
    while (src_.next(line)) cds_row(line);
    finish();
  }

  void run_csv() {
    rep_.format = CatalogFormat::csv;
    std::string_view line;
    std::vector<std::string_view> fields;
    std::string scratch;
    CsvWhere where{&src_.name(), 0};
    do {
      if (!src_.next(line)) throw DataError(src_.name(), 0, "", "empty file: expected a CSV header line");
    } while (trim(line).empty());
    rep_.header_lines = src_.line_number();
    where.line = src_.line_number();
    split_csv(line, fields, scratch, where);
    std::array<int, kColumns> position{};
    position.fill(-1);
    for (size_t i = 0; i < fields.size(); ++i) {
      const int c = table2_column_index(fields[i]);
      if (c < 0) {
        rep_.ignored_columns.emplace_back(fields[i]);
        continue;
      }
      if (position[c] >= 0)
        throw DataError(src_.name(), where.line, std::string(fields[i]), "column appears twice in the header");
      position[c] = static_cast<int>(i);
    }
    for (size_t c = 0; c < kColumns; ++c)
      if (position[c] < 0)
        throw DataError(src_.name(), where.line, std::string(kTable2Columns[c]),
                        fmt::format("missing column; a catalog CSV needs all of: {}", all_labels()));
    const size_t expected = fields.size();
    std::array<std::string_view, kColumns> row_fields;
    while (src_.next(line)) {
      if (trim(line).empty()) continue;
      where.line = src_.line_number();
      try {
        split_csv(line, fields, scratch, where);
        if (fields.size() != expected) {
          std::string what = fmt::format("expected {} comma-separated fields as in the header, found {}",
                                         expected, fields.size());
          if (src_.last_line_unterminated()) what += "; the file ends inside this line (truncated?)";
          throw DataError(src_.name(), where.line, "", what);
        }
        for (size_t c = 0; c < kColumns; ++c) row_fields[c] = fields[static_cast<size_t>(position[c])];
        deliver(row_fields.data());
      } catch (const DataError& e) {
        flush_all();
        rep_.bad_rows.handle(opt_.on_bad_row, e);
      }
      report_progress();
    }
    finish();
  }

 private:
  // Consumes the CDS header starting at `line`; stores the first data line in
  // `first_data` and returns false when the file ends before any data.
  bool parse_header(std::string_view line, std::string& first_data) {
    constexpr int64_t kMaxHeaderLines = 100000;
    // 1. up to "Byte-by-byte Description"
    while (!starts_with(trim(line), "Byte-by-byte")) {
      if (!src_.next(line) || src_.line_number() > kMaxHeaderLines)
        throw DataError(src_.name(), src_.line_number(), "",
                        "header without a 'Byte-by-byte Description' block; give the number of header "
                        "lines to skip (--skip-lines) or use the CSV layout");
    }
    const int64_t bbb_line = src_.line_number();
    // 2. past the "Bytes Format Units Label Explanations" line and the rule under it
    bool seen_labels = false;
    for (;;) {
      if (!src_.next(line))
        throw DataError(src_.name(), src_.line_number(), "", "file ends inside the byte-by-byte header");
      if (!seen_labels && line.find("Label") != std::string_view::npos && line.find("Bytes") != std::string_view::npos)
        seen_labels = true;
      else if (seen_labels && is_rule(line))
        break;
      else if (src_.line_number() > bbb_line + 5)
        throw DataError(src_.name(), src_.line_number(), "",
                        "expected the 'Bytes Format Units Label Explanations' line of the byte-by-byte header");
    }
    // 3. column lines up to the closing rule
    ranges_.clear();
    for (;;) {
      if (!src_.next(line))
        throw DataError(src_.name(), src_.line_number(), "", "file ends inside the byte-by-byte header");
      if (is_rule(line)) break;
      parse_column_line(line);
      if (ranges_.size() > 1000) throw DataError(src_.name(), src_.line_number(), "", "too many header columns");
    }
    if (ranges_.size() != kColumns)
      throw DataError(src_.name(), src_.line_number(), "",
                      fmt::format("the byte-by-byte header describes {} columns, expected {} ({})",
                                  ranges_.size(), kColumns, all_labels()));
    // 4. optional "Note" blocks, each closed by a rule; then data
    for (;;) {
      if (!src_.next(line)) return false;
      if (starts_with(line, "Note")) {
        do {
          if (!src_.next(line)) return false;
        } while (!is_rule(line));
        continue;
      }
      if (trim(line).empty() || is_rule(line)) continue;
      first_data.assign(line);
      return true;
    }
  }

  // "  1- 22  A22   ---     ID          ZTF identifier"; continuation lines are ignored.
  void parse_column_line(std::string_view line) {
    std::array<std::string_view, 8> t;
    const size_t n = split_whitespace(line, t.data(), t.size());
    if (n < 4) return;
    int64_t b0 = 0, b1 = 0;
    size_t next = 1;
    const std::string_view first = t[0];
    const size_t dash = first.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_int64(first, b0)) return;
      b1 = b0;
    } else if (dash + 1 == first.size()) {
      if (!parse_int64(first.substr(0, dash), b0) || !parse_int64(t[1], b1)) return;
      next = 2;
    } else {
      if (!parse_int64(first.substr(0, dash), b0) || !parse_int64(first.substr(dash + 1), b1)) return;
    }
    if (next + 2 >= n) return;
    const std::string_view format = t[next];
    if (format.empty() || std::string_view("AIFE").find(format[0]) == std::string_view::npos) return;
    if (b0 < 1 || b1 < b0 || b1 > 100000)
      throw DataError(src_.name(), src_.line_number(), "", fmt::format("bad byte range {}-{} in the header", b0, b1));
    ranges_.push_back({static_cast<size_t>(b0 - 1), static_cast<size_t>(b1)});
    rep_.header_labels.emplace_back(t[next + 2]);
  }

  void cds_row(std::string_view line) {
    if (trim(line).empty()) return;
    try {
      std::array<std::string_view, kColumns> f;
      const size_t n = split_whitespace(line, f.data(), kColumns);
      if (n != kColumns) {
        if (ranges_.size() == kColumns && line.size() > ranges_.back().begin) {
          for (size_t c = 0; c < kColumns; ++c) {
            const ByteRange r = ranges_[c];
            f[c] = trim(r.begin < line.size() ? line.substr(r.begin, r.end - r.begin) : std::string_view());
            if (f[c].empty())
              throw DataError(src_.name(), src_.line_number(), std::string(kTable2Columns[c]),
                              fmt::format("blank field (missing value) in bytes {}-{}", r.begin + 1, r.end));
          }
        } else {
          std::string what = fmt::format("expected {} fields separated by blanks ({}), found {}", kColumns,
                                         all_labels(), n > kColumns ? "more" : std::to_string(n));
          if (src_.last_line_unterminated()) what += "; the file ends inside this line (truncated?)";
          throw DataError(src_.name(), src_.line_number(),
                          n < kColumns ? std::string(kTable2Columns[n]) : std::string(), what);
        }
      }
      if (src_.last_line_unterminated() && ranges_.size() == kColumns && line.size() < ranges_.back().end)
        throw DataError(src_.name(), src_.line_number(), std::string(kTable2Columns[kColumns - 1]),
                        fmt::format("last line is {} bytes, shorter than the {}-byte record, and has no "
                                    "line terminator: the file appears truncated",
                                    line.size(), ranges_.back().end));
      deliver(f.data());
    } catch (const DataError& e) {
      flush_all();
      rep_.bad_rows.handle(opt_.on_bad_row, e);
    }
    report_progress();
  }

  [[noreturn]] void bad(size_t column, const std::string& what) {
    throw DataError(src_.name(), src_.line_number(), std::string(kTable2Columns[column]), what);
  }

  // Converts the 27 fields (in kTable2Columns order) and hands the row to the sink.
  void deliver(const std::string_view* f) {
    CatalogRow row;
    if (f[kIdColumn].empty()) bad(kIdColumn, "empty ID");
    if (!parse_int64(f[kSourceIdColumn], row.source_id)) bad(kSourceIdColumn, describe_bad_number(f[kSourceIdColumn], true));
    for (size_t c = 2; c < kColumns; ++c) {
      if (kDoubleMembers[c] != nullptr) {
        if (!parse_double(f[c], row.*kDoubleMembers[c])) bad(c, describe_bad_number(f[c], false));
      } else if (kIntMembers[c] != nullptr) {
        if (!parse_int32(f[c], row.*kIntMembers[c])) bad(c, describe_bad_number(f[c], true));
      }
    }
    const std::string_view type = f[kTypeColumn];
    if (type.empty()) bad(kTypeColumn, "empty Type");
    if (!known_.empty() && !std::binary_search(known_.begin(), known_.end(), type))
      bad(kTypeColumn, fmt::format("unknown class {}; expected one of: {}", quote_field(type), fmt::join(known_, " ")));
    row.id.assign(f[kIdColumn]);
    row.type.assign(type);
    if (!opt_.check_duplicate_ids) {
      ++rep_.rows;
      sink_(std::move(row));
      return;
    }
    // Queue the row; its slot in the id index is prefetched now and probed a few rows later.
    Pending& p = queue_[(queue_head_ + queue_size_) % kQueue];
    p.hash = hash_string(row.id);
    p.line = src_.line_number();
    p.row = std::move(row);
    ids_.prefetch(p.hash);
    if (++queue_size_ == kQueue) flush_one();
  }

  // Checks the oldest queued row for a duplicate ID and delivers it.
  void flush_one() {
    Pending& p = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % kQueue;
    --queue_size_;
    const int64_t first = ids_.insert_hash(p.hash, p.line);
    if (first != 0) {
      rep_.bad_rows.handle(opt_.on_bad_row,
                           DataError(src_.name(), p.line, "ID",
                                     fmt::format("duplicate ID {} (first seen on line {})", quote_field(p.row.id), first)));
      return;
    }
    ++rep_.rows;
    sink_(std::move(p.row));
  }

  // Delivers every queued row (before a bad row is reported, and at the end: errors stay in file order).
  void flush_all() {
    while (queue_size_ > 0) flush_one();
  }

  void report_progress() {
    if (!opt_.progress) return;
    constexpr int64_t kEvery = int64_t{4} << 20;
    if (src_.bytes_consumed() - last_progress_ >= kEvery) {
      last_progress_ = src_.bytes_consumed();
      opt_.progress(last_progress_, src_.total_bytes());
    }
  }

  void finish() {
    flush_all();
    rep_.lines = src_.line_number();
    if (opt_.progress) opt_.progress(src_.bytes_consumed(), src_.total_bytes());
  }

  LineSource& src_;
  const CatalogReadOptions& opt_;
  CatalogReadReport& rep_;
  const CatalogSink& sink_;
  std::vector<std::string> known_;
  std::vector<ByteRange> ranges_;
  IdLineMap ids_;
  struct Pending {
    CatalogRow row;
    uint64_t hash = 0;
    int64_t line = 0;
  };
  static constexpr size_t kQueue = 8;
  std::array<Pending, kQueue> queue_;
  size_t queue_head_ = 0, queue_size_ = 0;
  int64_t last_progress_ = 0;
};

CatalogFormat sniff_format(std::string_view head, const std::string& name) {
  // First non-blank line decides: a CSV header starts with the ID column and has commas.
  size_t pos = 0;
  while (pos < head.size()) {
    size_t nl = head.find('\n', pos);
    std::string_view line = trim(head.substr(pos, nl == std::string_view::npos ? head.size() - pos : nl - pos));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) {
      if (line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF) line.remove_prefix(3);
      if (line.find(',') != std::string_view::npos && !looks_like_cds_header(line)) return CatalogFormat::csv;
      return CatalogFormat::cds;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  (void)name;
  return CatalogFormat::cds;
}

CatalogReadReport read_from(LineSource src, CatalogFormat format, const CatalogReadOptions& options,
                            const CatalogSink& sink) {
  CatalogReadReport report;
  report.file = src.name();
  CatalogParser parser(src, options, report, sink);
  if (format == CatalogFormat::csv) parser.run_csv();
  else parser.run_cds();
  return report;
}

}  // namespace

CatalogFormat parse_catalog_format(std::string_view text) {
  if (text == "auto") return CatalogFormat::automatic;
  if (text == "cds") return CatalogFormat::cds;
  if (text == "csv") return CatalogFormat::csv;
  throw Error(fmt::format("catalog format must be auto, cds or csv, not '{}'", text));
}

std::string_view to_string(CatalogFormat format) {
  switch (format) {
    case CatalogFormat::cds: return "cds";
    case CatalogFormat::csv: return "csv";
    default: return "auto";
  }
}

int table2_column_index(std::string_view label) {
  for (size_t c = 0; c < kColumns; ++c)
    if (kTable2Columns[c] == label) return static_cast<int>(c);
  return -1;
}

double catalog_value(const CatalogRow& row, size_t column) {
  VARSTAR_CHECK(column < kColumns, "catalog column {} out of range", column);
  if (kDoubleMembers[column] != nullptr) return row.*kDoubleMembers[column];
  if (kIntMembers[column] != nullptr) return row.*kIntMembers[column];
  if (column == kSourceIdColumn) return static_cast<double>(row.source_id);
  throw Error(fmt::format("catalog column {} is not numeric", kTable2Columns[column]));
}

std::string CatalogReadReport::summary() const {
  std::string s = fmt::format("{}: {} layout, {} rows read ({} header lines, {} lines)", file, to_string(format),
                              rows, header_lines, lines);
  if (bad_rows.count > 0) {
    s += fmt::format("; {} bad rows SKIPPED, first {}:", bad_rows.count, bad_rows.examples.size());
    for (const auto& e : bad_rows.examples) s += "\n  " + e;
  }
  if (!ignored_columns.empty()) s += fmt::format("\n  ignored CSV columns: {}", fmt::join(ignored_columns, " "));
  return s;
}

CatalogReadReport read_catalog(const std::string& path, const CatalogReadOptions& options, const CatalogSink& sink) {
  CatalogFormat format = options.format;
  if (format == CatalogFormat::automatic) {
    LineSource probe = LineSource::open_file(path, 1 << 16);
    std::string head;
    std::string_view line;
    for (int i = 0; i < 64 && probe.next(line); ++i) {
      head.append(line);
      head.push_back('\n');
      if (!trim(line).empty()) break;
    }
    format = sniff_format(head, path);
  }
  return read_from(LineSource::open_file(path), format, options, sink);
}

CatalogReadReport read_catalog_buffer(std::string_view text, const std::string& name,
                                      const CatalogReadOptions& options, const CatalogSink& sink) {
  CatalogFormat format = options.format;
  if (format == CatalogFormat::automatic) format = sniff_format(text.substr(0, 1 << 16), name);
  return read_from(LineSource::from_buffer(text, name), format, options, sink);
}

Catalog read_catalog(const std::string& path, const CatalogReadOptions& options) {
  Catalog catalog;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (!ec) catalog.rows.reserve(static_cast<size_t>(bytes / 200));  // ~240 bytes per CDS row; grows once if short
  catalog.report = read_catalog(path, options, [&](CatalogRow&& row) { catalog.rows.push_back(std::move(row)); });
  return catalog;
}

// ---- writers ------------------------------------------------------------------------

static std::string header_for(const CdsWriteOptions& options, const Widths& widths) {
  const std::string rule(80, '-');
  std::string h;
  h += fmt::format("Title: {}\n", options.title);
  h += fmt::format("Authors: {}\n", options.authors);
  h += fmt::format("Byte-by-byte Description of file: {}\n", options.file_name);
  h += rule + "\n";
  h += "   Bytes Format Units   Label       Explanations\n";
  h += rule + "\n";
  const auto ranges = ranges_for(widths);
  for (size_t c = 0; c < kColumns; ++c) {
    const ColumnSpec& s = kSpecs[c];
    const std::string format = s.kind == 'F' ? fmt::format("F{}.{}", widths[c], s.decimals)
                                             : fmt::format("{}{}", s.kind, widths[c]);
    h += fmt::format("{:>4}-{:>3}  {:<6} {:<7} {:<11} {}\n", ranges[c].begin + 1, ranges[c].end, format, s.units,
                     kTable2Columns[c], s.explanation);
  }
  h += rule + "\n";
  return h;
}

std::string cds_header(const CdsWriteOptions& options) { return header_for(options, default_widths()); }

void write_catalog_cds(const std::string& path, std::span<const CatalogRow> rows, const CdsWriteOptions& options) {
  // Widths: the layout's, widened where a value needs more (the header says so).
  Widths widths = default_widths();
  for (size_t r = 0; r < rows.size(); ++r) {
    const CatalogRow& row = rows[r];
    for (size_t c = 0; c < kColumns; ++c) {
      const ColumnSpec& s = kSpecs[c];
      size_t need = 0;
      if (s.kind == 'A') {
        const std::string& text = c == kIdColumn ? row.id : row.type;
        if (text.empty() || text.find_first_of(" \t\r\n") != std::string::npos)
          throw Error(fmt::format("{}: row {}: {} {} is empty or contains blanks; the CDS layout cannot hold it",
                                  path, r + 1, kTable2Columns[c], quote_field(text)));
        need = text.size();
      } else if (s.kind == 'I') {
        need = fmt::formatted_size("{}", c == kSourceIdColumn ? row.source_id : int64_t{row.*kIntMembers[c]});
      } else {
        const double v = row.*kDoubleMembers[c];
        if (!std::isfinite(v))
          throw Error(fmt::format("{}: row {} (ID {}): {} is {}, not a finite number", path, r + 1, row.id,
                                  kTable2Columns[c], v));
        need = fmt::formatted_size("{:.{}f}", v, s.decimals);
      }
      widths[c] = std::max(widths[c], static_cast<int>(need));
    }
  }
  FileWriter out(path);
  auto& buf = out.buf();
  const std::string header = header_for(options, widths);
  buf.append(header.data(), header.data() + header.size());
  for (const CatalogRow& row : rows) {
    for (size_t c = 0; c < kColumns; ++c) {
      const ColumnSpec& s = kSpecs[c];
      if (c > 0) buf.push_back(' ');
      if (s.kind == 'A')
        fmt::format_to(std::back_inserter(buf), "{:<{}}", c == kIdColumn ? row.id : row.type, widths[c]);
      else if (s.kind == 'I')
        fmt::format_to(std::back_inserter(buf), "{:>{}}", c == kSourceIdColumn ? row.source_id : int64_t{row.*kIntMembers[c]},
                       widths[c]);
      else
        fmt::format_to(std::back_inserter(buf), "{:>{}.{}f}", row.*kDoubleMembers[c], widths[c], s.decimals);
    }
    buf.push_back('\n');
    out.flush_if_full();
  }
  out.close();
}

void append_csv_field(fmt::memory_buffer& out, std::string_view field) {
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' ' || field.front() == '\t' ||
                                         field.back() == '\t'));
  if (!quote) {
    out.append(field.data(), field.data() + field.size());
    return;
  }
  out.push_back('"');
  for (char ch : field) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

void write_catalog_csv(const std::string& path, std::span<const CatalogRow> rows) {
  FileWriter out(path);
  auto& buf = out.buf();
  for (size_t c = 0; c < kColumns; ++c) {
    if (c > 0) buf.push_back(',');
    buf.append(kTable2Columns[c].data(), kTable2Columns[c].data() + kTable2Columns[c].size());
  }
  buf.push_back('\n');
  for (size_t r = 0; r < rows.size(); ++r) {
    const CatalogRow& row = rows[r];
    for (size_t c = 0; c < kColumns; ++c) {
      if (c > 0) buf.push_back(',');
      if (c == kIdColumn) append_csv_field(buf, row.id);
      else if (c == kTypeColumn) append_csv_field(buf, row.type);
      else if (c == kSourceIdColumn) fmt::format_to(std::back_inserter(buf), "{}", row.source_id);
      else if (kIntMembers[c] != nullptr) fmt::format_to(std::back_inserter(buf), "{}", row.*kIntMembers[c]);
      else {
        const double v = row.*kDoubleMembers[c];
        if (!std::isfinite(v))
          throw Error(fmt::format("{}: row {} (ID {}): {} is {}, not a finite number", path, r + 1, row.id,
                                  kTable2Columns[c], v));
        fmt::format_to(std::back_inserter(buf), "{}", v);
      }
    }
    buf.push_back('\n');
    out.flush_if_full();
  }
  out.close();
}

}  // namespace varstar::data
