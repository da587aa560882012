// Tests of data/csv: line splitting across read blocks, CSV and whitespace
// field splitting, strict number parsing, and the bad-row log.
#include <doctest/doctest.h>

#include <charconv>
#include <cstring>
#include <random>

#include "data/csv.h"
#include "tests/data/io/test_util.h"

using namespace varstar;
using namespace varstar::data;

TEST_CASE("LineSource returns every line across block boundaries, CRLF, BOM and a missing final newline") {
  const auto dir = test::scratch_dir("csv_lines");
  std::string text = "\xEF\xBB\xBF" "first\r\n";
  std::vector<std::string> expected{"first"};
  for (int i = 0; i < 5000; ++i) {  // lines of varying length, some longer than a block
    std::string line(static_cast<size_t>((i * 7919) % 300), static_cast<char>('a' + i % 26));
    if (i == 2500) line.assign(20000, 'x');
    expected.push_back(line);
    text += line + (i % 3 == 0 ? "\r\n" : "\n");
  }
  text += "last-without-newline";
  expected.push_back("last-without-newline");
  test::write_file(dir / "lines.txt", text);

  LineSource src = LineSource::open_file((dir / "lines.txt").string(), 4096);
  std::string_view line;
  size_t n = 0;
  while (src.next(line)) {
    REQUIRE(n < expected.size());
    CHECK(line == expected[n]);
    ++n;
    CHECK(src.line_number() == static_cast<int64_t>(n));
  }
  CHECK(n == expected.size());
  CHECK(src.last_line_unterminated());
  CHECK(src.bytes_consumed() == static_cast<int64_t>(text.size()));
}

TEST_CASE("LineSource reports a missing file and an over-long line as DataError") {
  const DataError e = test::catch_data_error([] { LineSource::open_file("/nonexistent/x.csv"); });
  CHECK(e.file() == "/nonexistent/x.csv");
  CHECK(std::string(e.what()).find("cannot open") != std::string::npos);

  const auto dir = test::scratch_dir("csv_longline");
  test::write_file(dir / "long.txt", "ok\n" + std::string(kMaxLineBytes + 10, 'z'));
  const DataError l = test::catch_data_error([&] {
    LineSource src = LineSource::open_file((dir / "long.txt").string(), 4096);
    std::string_view line;
    while (src.next(line)) {
    }
  });
  CHECK(l.line() == 2);
}

TEST_CASE("split_csv: quotes, escaped quotes, blanks, empty and trailing fields") {
  std::vector<std::string_view> f;
  std::string scratch;
  const std::string file = "t.csv";
  split_csv(R"(a, b ,"c,d","e""f",,"")", f, scratch, {&file, 1});
  REQUIRE(f.size() == 6);
  CHECK(f[0] == "a");
  CHECK(f[1] == "b");
  CHECK(f[2] == "c,d");
  CHECK(f[3] == "e\"f");
  CHECK(f[4] == "");
  CHECK(f[5] == "");
  split_csv("x,", f, scratch, {&file, 2});
  REQUIRE(f.size() == 2);
  CHECK(f[1] == "");
  const DataError e = test::catch_data_error([&] { split_csv(R"(a,"unterminated)", f, scratch, {&file, 7}); });
  CHECK(e.line() == 7);
  CHECK(e.column() == "field 2");
  const DataError g = test::catch_data_error([&] { split_csv(R"("a"x,b)", f, scratch, {&file, 8}); });
  CHECK(g.line() == 8);
}

TEST_CASE("split_whitespace splits on runs of blanks and tabs and flags extra fields") {
  std::string_view f[4];
  CHECK(split_whitespace("  a \t bb   c  ", f, 4) == 3);
  CHECK(f[0] == "a");
  CHECK(f[1] == "bb");
  CHECK(f[2] == "c");
  CHECK(split_whitespace("1 2 3 4 5", f, 4) == 5);
  CHECK(split_whitespace("   ", f, 4) == 0);
}

TEST_CASE("parse_double accepts decimal forms and rejects NaN, inf, junk and empty") {
  double v = 0;
  CHECK(parse_double("1.9449979", v));
  CHECK(v == 1.9449979);
  CHECK(parse_double("+2.5e-3", v));
  CHECK(v == 0.0025);
  CHECK(parse_double("-0.5", v));
  CHECK(v == -0.5);
  CHECK(parse_double(".5", v));
  CHECK(v == 0.5);
  for (const char* bad : {"", "nan", "NaN", "-inf", "inf", "Infinity", "1.5x", "1,5", "+-1", "0x10", "1e999", " 1"})
    CHECK_MESSAGE(!parse_double(bad, v), bad);
  int64_t i = 0;
  CHECK(parse_int64("781602", i));
  CHECK(i == 781602);
  CHECK(!parse_int64("12.5", i));
  CHECK(!parse_int64("99999999999999999999", i));
  int32_t j = 0;
  CHECK(!parse_int32("3000000000", j));
  CHECK(describe_bad_number("", false).find("empty field") != std::string::npos);
  CHECK(describe_bad_number("nan", false).find("not allowed") != std::string::npos);
  CHECK(describe_bad_number("12.5", true).find("expected an integer") != std::string::npos);
  CHECK(describe_bad_number("abc", false) == "expected a number, found 'abc'");
}

TEST_CASE("BadRowLog throws under error and counts with examples under skip") {
  BadRowLog log;
  log.max_examples = 2;
  const DataError e("f.csv", 3, "mag", "bad");
  CHECK_THROWS_AS(log.handle(OnBadRow::error, e), DataError);
  for (int k = 0; k < 5; ++k) log.handle(OnBadRow::skip, e);
  CHECK(log.count == 5);
  CHECK(log.examples.size() == 2);
  CHECK(log.examples[0] == "f.csv:3 (column mag): bad");
}

TEST_CASE("parse_double's fast decimal path gives from_chars's value, bit for bit") {
  std::mt19937_64 rng(99);
  char buf[64];
  int checked = 0;
  for (int k = 0; k < 200000; ++k) {
    const int int_digits = static_cast<int>(rng() % 12), frac_digits = static_cast<int>(rng() % 12);
    size_t n = 0;
    if (rng() % 3 == 0) buf[n++] = '-';
    for (int i = 0; i < int_digits; ++i) buf[n++] = static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || rng() % 2) buf[n++] = '.';
    for (int i = 0; i < frac_digits; ++i) buf[n++] = static_cast<char>('0' + rng() % 10);
    const std::string_view text(buf, n);
    double expect = 0;
    const auto [p, ec] = std::from_chars(buf, buf + n, expect);
    const bool valid = ec == std::errc() && p == buf + n;
    double got = 0;
    REQUIRE_MESSAGE(parse_double(text, got) == valid, text);
    if (valid) {
      CHECK_MESSAGE(std::memcmp(&got, &expect, sizeof got) == 0, text);
      ++checked;
    }
  }
  CHECK(checked > 150000);
}

TEST_CASE("split_whitespace agrees with a byte-by-byte split on long lines with blanks at every offset") {
  std::mt19937 rng(7);
  for (int k = 0; k < 20000; ++k) {
    std::string line;
    const size_t len = rng() % 300;
    for (size_t i = 0; i < len; ++i) {
      const uint32_t r = rng() % 10;
      line.push_back(r < 3 ? ' ' : r == 3 ? '\t' : static_cast<char>('a' + r));
    }
    std::vector<std::string_view> expect;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      const size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (i > start) expect.emplace_back(line.data() + start, i - start);
    }
    std::vector<std::string_view> got(expect.size() + 2);
    const size_t n = split_whitespace(line, got.data(), expect.size() + 1);
    REQUIRE(n == expect.size());
    for (size_t i = 0; i < n; ++i) CHECK(got[i] == expect[i]);
    if (!expect.empty()) CHECK(split_whitespace(line, got.data(), expect.size() - 1) == expect.size());
  }
}
