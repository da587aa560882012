#pragma once
// Number checks for options whose errors read plainly: "--epochs: must be at
// least 1, got 0" (CLI11's PositiveNumber prints its range up to the largest
// double). The name is what --help shows after the type (INT:POSITIVE).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <string>

namespace varstar::app {

// Accepts numbers v with v >= low (or v > low when `strict`).
inline CLI::Validator number_check(double low, bool strict, const std::string& name) {
  return CLI::Validator(
      [low, strict](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return fmt::format("not a number: '{}'", text);
        if (strict ? v > low : v >= low) return "";
        return fmt::format("must be {} {}, got {}", strict ? "above" : "at least", low, text);
      },
      name);
}

inline const CLI::Validator kAtLeastOne = number_check(1, false, "POSITIVE");
inline const CLI::Validator kNonNegative = number_check(0, false, "NONNEGATIVE");
inline const CLI::Validator kAboveZero = number_check(0, true, "POSITIVE");

}  // namespace varstar::app
