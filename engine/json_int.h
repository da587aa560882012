// Integers read from JSON that a file supplies (cache headers, model files,
// checkpoints, run results, tree models). nlohmann's get<int64_t>() casts a
// float such as 3.3e79 straight to the integer type, which is undefined
// behaviour, and turns 2.5 into 2 without a word. json_integer accepts only a
// JSON integer inside T's range; anything else throws
// nlohmann::json::out_of_range, so the readers' existing handlers report it as
// a damaged file.
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace varstar {

template <std::integral T>
T json_integer(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  } else if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  }
  std::string found = j.dump();
  if (found.size() > 40) found = found.substr(0, 37) + "...";
  throw nlohmann::json::out_of_range::create(
      406, fmt::format("expected an integer in [{}, {}], found {}", std::numeric_limits<T>::min(),
                       std::numeric_limits<T>::max(), found),
      &j);
}

// A JSON array of integers, each checked as json_integer checks one.
template <std::integral T>
std::vector<T> json_integers(const nlohmann::json& j) {
  if (!j.is_array())
    throw nlohmann::json::type_error::create(302, fmt::format("expected an array of integers, found {}", j.type_name()),
                                             &j);
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(json_integer<T>(v));
  return out;
}

}  // namespace varstar
