// Tests of engine/json_int.h: integers from files are taken only when they
// are JSON integers inside the target type's range.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "engine/json_int.h"

using varstar::json_integer;
using varstar::json_integers;
using nlohmann::json;

TEST_CASE("json_integer takes integers at both ends of the target's range") {
  CHECK(json_integer<int32_t>(json(std::numeric_limits<int32_t>::min())) == std::numeric_limits<int32_t>::min());
  CHECK(json_integer<int32_t>(json(std::numeric_limits<int32_t>::max())) == std::numeric_limits<int32_t>::max());
  CHECK(json_integer<uint64_t>(json::parse("18446744073709551615")) == std::numeric_limits<uint64_t>::max());
  CHECK(json_integer<int64_t>(json::parse("-9223372036854775808")) == std::numeric_limits<int64_t>::min());
  CHECK(json_integer<int>(json::parse("0")) == 0);
}

TEST_CASE("json_integer refuses what does not fit, floats and non-numbers") {
  const char* refused_as_int32[] = {"2147483648", "-2147483649", "18446744073709551615", "3.3e79", "-3.3e79",
                                    "2.5",        "2.0",         "1e3",                  "\"7\"",  "true",
                                    "null",       "[1]"};
  for (const char* text : refused_as_int32) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(json_integer<int32_t>(json::parse(text)), doctest::Contains("expected an integer"),
                         json::out_of_range);
  }
  CHECK_THROWS_AS(json_integer<uint64_t>(json::parse("-1")), json::out_of_range);
  CHECK_THROWS_AS(json_integer<int64_t>(json::parse("9223372036854775808")), json::out_of_range);
  // A long value is shortened in the message.
  CHECK_THROWS_WITH_AS(json_integer<int>(json(std::string(500, 'x'))), doctest::Contains("..."), json::out_of_range);
}

TEST_CASE("json_integers checks every element and the array itself") {
  CHECK(json_integers<int64_t>(json::parse("[1, -2, 3]")) == std::vector<int64_t>{1, -2, 3});
  CHECK(json_integers<int64_t>(json::parse("[]")).empty());
  CHECK_THROWS_AS(json_integers<int64_t>(json::parse("[1, 3.3e79]")), json::out_of_range);
  CHECK_THROWS_WITH_AS(json_integers<int64_t>(json::parse("{\"a\": 1}")), doctest::Contains("array of integers"),
                       json::type_error);
}
