// Tests of data/catalog_io: a hand-typed Table2 snippet (AAS/CDS byte-by-byte
// header with notes) and CSV parsed to known values; the writers' round trip;
// the thesis's "skip 34 lines, split on blanks" on our own CDS output; and
// every kind of bad input reported with the right file, line and column.
#include <doctest/doctest.h>

#include <cmath>

#include "data/catalog_io.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;

namespace {

// A byte-by-byte header typed by hand in the AAS machine-readable-table style
// (Title/Authors/Table, a rule, the description, a Note block), 39 lines.
const std::string kHeader =
    "Title: The Zwicky Transient Facility Catalog of Periodic Variable Stars\n"
    "Authors: Chen X., Wang S., Deng L., de Grijs R., Yang M., Tian H.\n"
    "Table: The ZTF catalog of periodic variable stars\n"
    "================================================================================\n"
    "Byte-by-byte Description of file: apjsab9cae_table2.txt\n"
    "--------------------------------------------------------------------------------\n"
    "   Bytes Format Units   Label       Explanations\n"
    "--------------------------------------------------------------------------------\n"
    "   1- 22  A22    ---     ID          ZTF name\n"
    "  24- 30  I7     ---     SourceID    Source number\n"
    "  32- 40  F9.5   deg     RAdeg       Right ascension\n"
    "  42- 50  F9.5   deg     DEdeg       Declination\n"
    "  52- 63  F12.7  d       Per         Period\n"
    "  65- 70  F6.3   ---     R21         Amplitude ratio\n"
    "  72- 77  F6.3   rad     phi21       Phase difference\n"
    "  79- 91  F13.5  d       T_0         Epoch; the explanation of this column\n"
    "                                     continues on a second line\n"
    "  93- 98  F6.3   mag     gmag        Mean g\n"
    " 100-105  F6.3   mag     rmag        Mean r\n"
    " 107-118  F12.7  d       Per_g       Period g\n"
    " 120-131  F12.7  d       Per_r       Period r\n"
    " 133-137  I5     ---     Num_g       Detections g\n"
    " 139-143  I5     ---     Num_r       Detections r\n"
    " 145-150  F6.3   ---     R21_g       Ratio g\n"
    " 152-157  F6.3   ---     R21_r       Ratio r\n"
    " 159-164  F6.3   rad     phi21_g     Phase g\n"
    " 166-171  F6.3   rad     phi21_r     Phase r\n"
    " 173-178  F6.3   ---     R^2_g       Fit quality g\n"
    " 180-185  F6.3   ---     R^2_r       Fit quality r\n"
    " 187-192  F6.3   mag     Amp_g       Amplitude g\n"
    " 194-199  F6.3   mag     Amp_r       Amplitude r\n"
    " 201-209  F9.3   [-]     log(FAP_g)  FAP g\n"
    " 211-219  F9.3   [-]     log(FAP_r)  FAP r\n"
    " 221-225  A5     ---     Type        [BYDra/SR] Type (1)\n"
    " 227-232  F6.3   mag     Delta_min_g Minima g\n"
    " 234-239  F6.3   mag     Delta_min_r Minima r\n"
    "--------------------------------------------------------------------------------\n"
    "Note (1): Types as in Section 4.\n"
    "--------------------------------------------------------------------------------\n";
constexpr int64_t kHeaderLines = 39;

const std::string kRow1 =
    "ZTFJ000000.13+620605.8       1   0.00056  62.10163    1.9449979  0.312  4.512 2458362.80519 17.853 16.933    "
    "1.9449901    1.9450012    98   213  0.401  0.287  4.700  4.402  0.552  0.612  0.121  0.098    -8.210   -21.005 "
    "BYDra  0.000  0.000";
const std::string kRow2 =
    "ZTFJ000000.14+721413.7       2   0.00061  72.23716    0.2991500  0.105  3.120 2458350.71234 16.270 15.820    "
    "0.2991498    0.2991502    62   134  0.098  0.110  3.050  3.140  0.910  0.934  0.452  0.401   -35.400   -60.250 "
    "EW     0.012  0.009";
const std::string kRow3 =
    "ZTFJ000000.19+320847.2       3   0.00080  32.14645    0.2870590  0.221  2.871 2458371.40021 18.402 18.011    "
    "0.2870588    0.2870593    45    77  0.230  0.219  2.903  2.866  0.701  0.744  0.512  0.431    -4.120    -9.873 "
    "RRc    0.000  0.000";

std::vector<CatalogRow> read_all(std::string_view text, const CatalogReadOptions& options = {},
                                 CatalogReadReport* report = nullptr) {
  std::vector<CatalogRow> rows;
  CatalogReadReport r =
      read_catalog_buffer(text, "Table2.txt", options, [&](CatalogRow&& row) { rows.push_back(std::move(row)); });
  if (report != nullptr) *report = r;
  return rows;
}

void check_row1(const CatalogRow& r) {
  CHECK(r.id == "ZTFJ000000.13+620605.8");
  CHECK(r.source_id == 1);
  CHECK(r.ra_deg == 0.00056);
  CHECK(r.dec_deg == 62.10163);
  CHECK(r.period == 1.9449979);
  CHECK(r.r21 == 0.312);
  CHECK(r.phi21 == 4.512);
  CHECK(r.t0 == 2458362.80519);
  CHECK(r.gmag == 17.853);
  CHECK(r.rmag == 16.933);
  CHECK(r.period_g == 1.9449901);
  CHECK(r.period_r == 1.9450012);
  CHECK(r.num_g == 98);
  CHECK(r.num_r == 213);
  CHECK(r.r21_g == 0.401);
  CHECK(r.r21_r == 0.287);
  CHECK(r.phi21_g == 4.7);
  CHECK(r.phi21_r == 4.402);
  CHECK(r.r2_g == 0.552);
  CHECK(r.r2_r == 0.612);
  CHECK(r.amp_g == 0.121);
  CHECK(r.amp_r == 0.098);
  CHECK(r.log_fap_g == -8.21);
  CHECK(r.log_fap_r == -21.005);
  CHECK(r.type == "BYDra");
  CHECK(r.delta_min_g == 0.0);
  CHECK(r.delta_min_r == 0.0);
}

std::string table(const std::vector<std::string>& rows) {
  std::string t = kHeader;
  for (const auto& r : rows) t += r + "\n";
  return t;
}

}  // namespace

TEST_CASE("a hand-typed Table2 snippet with a byte-by-byte header parses to the typed values") {
  CatalogReadReport rep;
  const auto rows = read_all(table({kRow1, kRow2, kRow3}), {}, &rep);
  REQUIRE(rows.size() == 3);
  check_row1(rows[0]);
  CHECK(rows[1].type == "EW");
  CHECK(rows[1].period == 0.29915);
  CHECK(rows[1].delta_min_g == 0.012);
  CHECK(rows[1].log_fap_r == -60.25);
  CHECK(rows[2].id == "ZTFJ000000.19+320847.2");
  CHECK(rows[2].num_r == 77);
  CHECK(rows[2].type == "RRc");
  CHECK(rep.format == CatalogFormat::cds);
  CHECK(rep.header_lines == kHeaderLines);
  CHECK(rep.rows == 3);
  REQUIRE(rep.header_labels.size() == 27);
  CHECK(rep.header_labels[18] == "R^2_g");

  // The thesis scripts' way: skip a fixed number of lines, split on blanks.
  CatalogReadOptions skip;
  skip.skip_lines = kHeaderLines;
  const auto same = read_all(table({kRow1, kRow2, kRow3}), skip);
  REQUIRE(same.size() == 3);
  check_row1(same[0]);
}

TEST_CASE("headerless whitespace rows and CSV with the Table2 column names parse to the same values") {
  const auto rows = read_all(kRow1 + "\n" + kRow2);
  REQUIRE(rows.size() == 2);
  check_row1(rows[0]);

  // CSV with the columns in another order and one extra column.
  const std::string csv =
      "Type,ID,SourceID,RAdeg,DEdeg,Per,R21,phi21,T_0,gmag,rmag,Per_g,Per_r,Num_g,Num_r,R21_g,R21_r,phi21_g,"
      "phi21_r,R^2_g,R^2_r,Amp_g,Amp_r,log(FAP_g),log(FAP_r),Delta_min_g,Delta_min_r,note\n"
      "BYDra,ZTFJ000000.13+620605.8,1,0.00056,62.10163,1.9449979,0.312,4.512,2458362.80519,17.853,16.933,"
      "1.9449901,1.9450012,98,213,0.401,0.287,4.7,4.402,0.552,0.612,0.121,0.098,-8.21,-21.005,0,0,\"a, b\"\n";
  CatalogReadReport rep;
  const auto c = read_all(csv, {}, &rep);
  REQUIRE(c.size() == 1);
  check_row1(c[0]);
  CHECK(rep.format == CatalogFormat::csv);
  REQUIRE(rep.ignored_columns.size() == 1);
  CHECK(rep.ignored_columns[0] == "note");
}

TEST_CASE("writers: CSV round-trips exactly; CDS has 34 header lines and round-trips to its decimals") {
  const auto rows = read_all(table({kRow1, kRow2, kRow3}));
  const auto dir = test::scratch_dir("catalog_writers");
  const std::string csv = (dir / "t.csv").string(), cds = (dir / "Table2.txt").string();
  write_catalog_csv(csv, rows);
  write_catalog_cds(cds, rows);

  const Catalog from_csv = read_catalog(csv);
  REQUIRE(from_csv.rows.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    for (size_t c = 0; c < kTable2Columns.size(); ++c)
      if (c != 0 && c != 24) CHECK(catalog_value(from_csv.rows[i], c) == catalog_value(rows[i], c));
  check_row1(from_csv.rows[0]);

  const Catalog from_cds = read_catalog(cds);
  CHECK(from_cds.report.header_lines == kCdsHeaderLines);
  REQUIRE(from_cds.rows.size() == 3);
  check_row1(from_cds.rows[0]);  // every value of row 1 has no more decimals than its format
  CatalogReadOptions thesis;
  thesis.skip_lines = 34;
  const Catalog skipped = read_catalog(cds, thesis);
  REQUIRE(skipped.rows.size() == 3);
  CHECK(skipped.rows[2].period == 0.287059);

  // The written header is the hand-typed one's layout: the same rows re-parse with the typed header.
  const std::string text = test::read_file(cds);
  const size_t data_start = [&] {
    size_t pos = 0;
    for (int i = 0; i < 34; ++i) pos = text.find('\n', pos) + 1;
    return pos;
  }();
  CHECK(text.substr(data_start, kRow1.size()) == kRow1);

  CatalogRow bad = rows[0];
  bad.id = "has blank";
  CHECK_THROWS_AS(write_catalog_cds(cds, std::vector<CatalogRow>{bad}), Error);
  bad = rows[0];
  bad.period = 123456.0;  // wider than F12.7: the column widens, the header says so
  bad.source_id = 123456789012345678;
  write_catalog_cds(cds, std::vector<CatalogRow>{bad, rows[1]});
  CHECK(test::read_file(cds).find("  24- 41  I18    ---     SourceID") != std::string::npos);
  CHECK(test::read_file(cds).find("F14.7  d       Per ") != std::string::npos);
  const Catalog wide = read_catalog(cds);
  REQUIRE(wide.rows.size() == 2);
  CHECK(wide.rows[0].period == 123456.0);
  CHECK(wide.rows[0].source_id == 123456789012345678);
  CHECK(wide.rows[1].log_fap_r == -60.25);
  bad.rmag = std::nan("");
  CHECK_THROWS_AS(write_catalog_cds(cds, std::vector<CatalogRow>{bad}), Error);
}

TEST_CASE("bad catalog input names file, line and column") {
  const int64_t first = kHeaderLines + 1;
  auto error_for = [](const std::string& text) {
    return test::catch_data_error([&] { read_all(text); });
  };
  auto replace_field = [](std::string row, size_t begin, size_t end, const std::string& value) {
    std::string padded(end - begin, ' ');
    padded.replace(padded.size() - value.size(), value.size(), value);
    return row.replace(begin, end - begin, padded);
  };

  SUBCASE("non-numeric period") {
    const DataError e = error_for(table({kRow1, replace_field(kRow2, 51, 63, "abc")}));
    CHECK(e.file() == "Table2.txt");
    CHECK(e.line() == first + 1);
    CHECK(e.column() == "Per");
    CHECK(e.detail() == "expected a number, found 'abc'");
  }
  SUBCASE("NaN and inf") {
    DataError e = error_for(table({kRow1, kRow2, replace_field(kRow3, 193, 199, "NaN")}));
    CHECK(e.line() == first + 2);
    CHECK(e.column() == "Amp_r");
    CHECK(e.detail().find("not allowed") != std::string::npos);
    e = error_for(table({replace_field(kRow1, 200, 209, "-inf")}));
    CHECK(e.column() == "log(FAP_g)");
  }
  SUBCASE("non-integer detection count") {
    const DataError e = error_for(table({replace_field(kRow1, 132, 137, "98.5")}));
    CHECK(e.column() == "Num_g");
    CHECK(e.detail().find("expected an integer") != std::string::npos);
  }
  SUBCASE("unknown class") {
    const DataError e = error_for(table({kRow1, replace_field(kRow2, 220, 225, "FOO")}));
    CHECK(e.line() == first + 1);
    CHECK(e.column() == "Type");
    CHECK(e.detail().find("unknown class 'FOO'") != std::string::npos);
  }
  SUBCASE("duplicate ID") {
    const DataError e = error_for(table({kRow1, kRow2, kRow1}));
    CHECK(e.line() == first + 2);
    CHECK(e.column() == "ID");
    CHECK(e.detail().find("first seen on line " + std::to_string(first)) != std::string::npos);
  }
  SUBCASE("blank field found through the byte ranges") {
    const DataError e = error_for(table({kRow1, replace_field(kRow2, 64, 70, "")}));
    CHECK(e.line() == first + 1);
    CHECK(e.column() == "R21");
    CHECK(e.detail().find("blank field") != std::string::npos);
  }
  SUBCASE("truncated file") {
    const std::string text = table({kRow1, kRow2}) + kRow3.substr(0, 150);  // no final newline
    const DataError e = error_for(text);
    CHECK(e.line() == first + 2);
    CHECK(e.detail().find("truncated") != std::string::npos);
    // Cut inside the last field: 27 fields remain but the record is short.
    const DataError f = error_for(table({kRow1}) + kRow2.substr(0, kRow2.size() - 2));
    CHECK(f.line() == first + 1);
    CHECK(f.detail().find("truncated") != std::string::npos);
  }
  SUBCASE("too few fields without a header names the first missing column") {
    const DataError e = error_for(kRow1 + "\nZTFJ1 2 3.0\n");
    CHECK(e.line() == 2);
    CHECK(e.column() == "DEdeg");
  }
  SUBCASE("header describing the wrong number of columns") {
    std::string h = kHeader;
    const size_t at = h.find(" 234-239");
    h.erase(at, h.find('\n', at) - at + 1);
    const DataError e = error_for(h + kRow1 + "\n");
    CHECK(e.detail().find("describes 26 columns, expected 27") != std::string::npos);
  }
  SUBCASE("CSV missing a column and with a short row") {
    const DataError e = error_for("ID,SourceID,Per\nx,1,2\n");
    CHECK(e.line() == 1);
    CHECK(e.column() == "RAdeg");
    CatalogReadOptions csv;
    csv.format = CatalogFormat::csv;
    std::string header = "ID";
    for (size_t c = 1; c < kTable2Columns.size(); ++c) {
      header += ',';
      header += kTable2Columns[c];
    }
    const DataError f = test::catch_data_error([&] { read_all(header + "\n\nx,1,2\n", csv); });
    CHECK(f.line() == 3);
    CHECK(f.detail().find("expected 27 comma-separated fields") != std::string::npos);
  }
}

TEST_CASE("OnBadRow::skip keeps the good rows and reports the count and first examples") {
  CatalogReadOptions skip;
  skip.on_bad_row = OnBadRow::skip;
  skip.max_examples = 1;
  std::string bad2 = kRow2;
  bad2.replace(51, 12, "         abc");
  CatalogReadReport rep;
  const auto rows = read_all(table({kRow1, bad2, kRow3, kRow1}), skip, &rep);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].type == "RRc");
  CHECK(rep.rows == 2);
  CHECK(rep.bad_rows.count == 2);
  REQUIRE(rep.bad_rows.examples.size() == 1);
  CHECK(rep.bad_rows.examples[0] == "Table2.txt:41 (column Per): expected a number, found 'abc'");
  CHECK(rep.summary().find("2 bad rows SKIPPED") != std::string::npos);
}

TEST_CASE("known_types can be widened and duplicate checks turned off") {
  CatalogReadOptions any;
  any.known_types.clear();
  any.check_duplicate_ids = false;
  std::string odd = kRow2;
  odd.replace(220, 5, "LPV  ");
  const auto rows = read_all(table({kRow1, odd, kRow1}), any);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].type == "LPV");
}

TEST_CASE("duplicate IDs are found in file order, before a later malformed row, across many rows") {
  std::string bad3 = kRow3;
  bad3.replace(51, 12, "         xyz");
  const DataError e = test::catch_data_error([&] { read_all(table({kRow1, kRow2, kRow1, bad3})); });
  CHECK(e.line() == kHeaderLines + 3);
  CHECK(e.column() == "ID");
  // Many distinct IDs, then a repeat of an early one.
  std::vector<std::string> rows;
  for (int i = 0; i < 3000; ++i) {
    std::string r = kRow2;
    const std::string id = "ZTFJ" + std::to_string(1000000 + i);
    r.replace(0, id.size(), id);
    rows.push_back(r);
  }
  rows.push_back(rows[17]);
  rows.push_back(kRow3);
  CatalogReadOptions skip;
  skip.on_bad_row = OnBadRow::skip;
  CatalogReadReport rep;
  const auto got = read_all(table(rows), skip, &rep);
  CHECK(got.size() == 3001);
  CHECK(got.back().type == "RRc");
  CHECK(rep.bad_rows.count == 1);
  CHECK(rep.bad_rows.examples[0].find("first seen on line " + std::to_string(kHeaderLines + 18)) != std::string::npos);
}
