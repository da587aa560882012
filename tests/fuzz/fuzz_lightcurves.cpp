// libFuzzer target for the light-curve, label and star-table CSV readers
// (data/lightcurve_io): any input must give data or a DataError, never a
// crash, hang or unbounded allocation. The first byte picks the reader and
// the options; the rest is the file.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/lightcurve_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace varstar::data;
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const OnBadRow policy = (mode / 3) % 2 == 0 ? OnBadRow::skip : OnBadRow::error;
  try {
    switch (mode % 3) {
      case 0: {
        LightCurveReadOptions options;
        options.on_bad_row = policy;
        options.sentinels.drop_faint = (mode / 6) % 2 == 1;
        const LightCurveData d = read_lightcurves_buffer(text, "lc.csv", options);
        int64_t n = 0;
        for (const auto& c : d.set.curves) {
          if (c.mag.size() != c.time.size() || c.band.size() != c.time.size()) __builtin_trap();
          for (size_t i = 0; i < c.time.size(); ++i) {
            if (!std::isfinite(c.time[i]) || c.mag[i] >= 99 || !(c.mag_err[i] >= 0)) __builtin_trap();
            if (c.band[i] < 0 || static_cast<size_t>(c.band[i]) >= d.set.band_names.size()) __builtin_trap();
            if (i > 0 && c.time[i] < c.time[i - 1]) __builtin_trap();
          }
          n += static_cast<int64_t>(c.time.size());
        }
        if (n != d.report.observations) __builtin_trap();
        (void)d.report.summary(d.set.band_names);
        break;
      }
      case 1: {
        TableReadOptions options;
        options.on_bad_row = policy;
        const LabelTable t = read_labels_buffer(text, "labels.csv", options);
        if (t.ids.size() != t.types.size()) __builtin_trap();
        break;
      }
      default: {
        TableReadOptions options;
        options.on_bad_row = policy;
        const StarTable t = read_star_table_buffer(text, "catalog.csv", options);
        for (const auto& col : t.numeric)
          if (col.size() != t.ids.size()) __builtin_trap();
        for (double p : t.column("Per"))
          if (!(p > 0)) __builtin_trap();
        break;
      }
    }
  } catch (const varstar::DataError& e) {
    (void)e.what();
  }
  return 0;
}
