#pragma once
// Element types of tensors: float32 everywhere, float64 on the CPU (gradient
// checks), int32 for class labels and pooling indices.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/error.h"

namespace varstar {

enum class DType : uint8_t { f32, f64, i32 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
  }
  return "?";
}

constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }

}  // namespace varstar

// Runs the statement with `scalar_t` bound to float or double according to a
// floating dtype; throws for others.
#define VARSTAR_DISPATCH_FLOATING(DTYPE, OPNAME, ...)                                      \
  [&] {                                                                                    \
    switch (DTYPE) {                                                                       \
      case ::varstar::DType::f32: { using scalar_t = float; return __VA_ARGS__(); }        \
      case ::varstar::DType::f64: { using scalar_t = double; return __VA_ARGS__(); }       \
      default:                                                                             \
        throw ::varstar::Error(fmt::format("{}: expected a floating tensor, got {}", OPNAME, \
                                           ::varstar::dtype_name(DTYPE)));                 \
    }                                                                                      \
  }()
