// libFuzzer target for the catalog readers (data/catalog_io): any input must
// give rows or a DataError, never a crash, hang or unbounded allocation.
// The first byte picks the options (layout auto/cds/csv, bad-row policy,
// header auto-detection or a fixed number of lines to skip); the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/catalog_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace varstar::data;
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  CatalogReadOptions options;
  options.format = mode % 3 == 0 ? CatalogFormat::automatic : mode % 3 == 1 ? CatalogFormat::cds : CatalogFormat::csv;
  options.on_bad_row = (mode / 3) % 2 == 0 ? OnBadRow::skip : OnBadRow::error;
  options.skip_lines = (mode / 6) % 4 == 3 ? (mode >> 5) : -1;
  if ((mode / 6) % 4 == 2) options.known_types.clear();
  int64_t rows = 0;
  try {
    const CatalogReadReport report = read_catalog_buffer(text, "fuzz.txt", options, [&](CatalogRow&& row) {
      ++rows;
      if (row.id.empty() || row.type.empty()) __builtin_trap();  // the reader promises both
    });
    if (report.rows != rows) __builtin_trap();
    (void)report.summary();
  } catch (const varstar::DataError& e) {
    (void)e.what();
  }
  return 0;
}
