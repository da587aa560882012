#pragma once
// Winograd minimal filtering F(m, r): m outputs of an r-tap correlation from
// n = m + r - 1 inputs with n multiplications instead of m * r:
//   y = AT [(G g) * (BT d)]     (AT: m x n, G: n x r, BT: n x n, * elementwise)
// and in 2-D, per tile, Y = AT_h [(G_h g G_w^T) * (BT_h d BT_w^T)] AT_w^T.
// The backward passes use the transposes of the same matrices (the adjoint
// of a linear map), so the gradients are those of the very function the
// forward computes. Tables from the Toom-Cook construction at the listed
// points plus infinity (Lavin and Gray 2016; scripts/winograd_tables.py
// derives them in exact fractions and estimates their float32 error); the
// 1-D identity of every table is checked in double precision by
// tests/engine/test_winograd.cpp.
#include <cstdint>
#include <type_traits>

namespace varstar {

struct Winograd1d {
  int m = 1, r = 1, n = 1;  // outputs, taps, inputs per tile
  const double* at = nullptr;  // (m, n)
  const double* g = nullptr;   // (n, r)
  const double* bt = nullptr;  // (n, n)
};

namespace winograd_tables {
inline constexpr double kOne[1][1] = {{1.0}};
// F(4,3), points 0, 1, -1, 2, -2.
inline constexpr double kF43_at[4][6] = {{1.0, 1.0, 1.0, 1.0, 1.0, 0.0}, {0.0, 1.0, -1.0, 2.0, -2.0, 0.0},
                                         {0.0, 1.0, 1.0, 4.0, 4.0, 0.0}, {0.0, 1.0, -1.0, 8.0, -8.0, 1.0}};
inline constexpr double kF43_g[6][3] = {{1.0 / 4, 0.0, 0.0},         {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                        {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                        {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0.0, 0.0, 1.0}};
inline constexpr double kF43_bt[6][6] = {{4.0, 0.0, -5.0, 0.0, 1.0, 0.0},  {0.0, -4.0, -4.0, 1.0, 1.0, 0.0},
                                         {0.0, 4.0, -4.0, -1.0, 1.0, 0.0}, {0.0, -2.0, -1.0, 2.0, 1.0, 0.0},
                                         {0.0, 2.0, -1.0, -2.0, 1.0, 0.0}, {0.0, 4.0, 0.0, -5.0, 0.0, 1.0}};
// F(4,5), points 0, 1, -1, 2, -2, 1/2, -1/2.
inline constexpr double kF45_at[4][8] = {{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0},
                                         {0.0, 1.0, -1.0, 2.0, -2.0, 1.0 / 2, -1.0 / 2, 0.0},
                                         {0.0, 1.0, 1.0, 4.0, 4.0, 1.0 / 4, 1.0 / 4, 0.0},
                                         {0.0, 1.0, -1.0, 8.0, -8.0, 1.0 / 8, -1.0 / 8, 1.0}};
inline constexpr double kF45_g[8][5] = {{-1.0, 0.0, 0.0, 0.0, 0.0},
                                        {-2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9},
                                        {-2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9},
                                        {1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45, 8.0 / 45},
                                        {1.0 / 90, -1.0 / 45, 2.0 / 45, -4.0 / 45, 8.0 / 45},
                                        {32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45},
                                        {32.0 / 45, -16.0 / 45, 8.0 / 45, -4.0 / 45, 2.0 / 45},
                                        {0.0, 0.0, 0.0, 0.0, 1.0}};
inline constexpr double kF45_bt[8][8] = {
    {-1.0, 0.0, 21.0 / 4, 0.0, -21.0 / 4, 0.0, 1.0, 0.0},
    {0.0, 1.0, 1.0, -17.0 / 4, -17.0 / 4, 1.0, 1.0, 0.0},
    {0.0, -1.0, 1.0, 17.0 / 4, -17.0 / 4, -1.0, 1.0, 0.0},
    {0.0, 1.0 / 2, 1.0 / 4, -5.0 / 2, -5.0 / 4, 2.0, 1.0, 0.0},
    {0.0, -1.0 / 2, 1.0 / 4, 5.0 / 2, -5.0 / 4, -2.0, 1.0, 0.0},
    {0.0, 2.0, 4.0, -5.0 / 2, -5.0, 1.0 / 2, 1.0, 0.0},
    {0.0, -2.0, 4.0, 5.0 / 2, -5.0, -1.0 / 2, 1.0, 0.0},
    {0.0, -1.0, 0.0, 21.0 / 4, 0.0, -21.0 / 4, 0.0, 1.0}};
// F(6,3), points 0, 1, -1, 2, -2, 1/2, -1/2: for 1-d convolutions. Its BT is
// F(4,5)'s (the same eight points), kF45_bt.
inline constexpr double kF63_at[6][8] = {
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0},
    {0.0, 1.0, -1.0, 2.0, -2.0, 1.0 / 2, -1.0 / 2, 0.0},
    {0.0, 1.0, 1.0, 4.0, 4.0, 1.0 / 4, 1.0 / 4, 0.0},
    {0.0, 1.0, -1.0, 8.0, -8.0, 1.0 / 8, -1.0 / 8, 0.0},
    {0.0, 1.0, 1.0, 16.0, 16.0, 1.0 / 16, 1.0 / 16, 0.0},
    {0.0, 1.0, -1.0, 32.0, -32.0, 1.0 / 32, -1.0 / 32, 1.0}};
inline constexpr double kF63_g[8][3] = {
    {-1.0, 0.0, 0.0},
    {-2.0 / 9, -2.0 / 9, -2.0 / 9},
    {-2.0 / 9, 2.0 / 9, -2.0 / 9},
    {1.0 / 90, 1.0 / 45, 2.0 / 45},
    {1.0 / 90, -1.0 / 45, 2.0 / 45},
    {32.0 / 45, 16.0 / 45, 8.0 / 45},
    {32.0 / 45, -16.0 / 45, 8.0 / 45},
    {0.0, 0.0, 1.0}};
// F(6,5), points 0, 1, -1, 2, -2, 1/2, -1/2, 3/2, -3/2: for 1-d convolutions
// (float32 error about 4x F(4,5)'s, still below F(4,5) x F(4,5)'s in 2-D).
inline constexpr double kF65_at[6][10] = {
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0},
    {0.0, 1.0, -1.0, 2.0, -2.0, 1.0 / 2, -1.0 / 2, 3.0 / 2, -3.0 / 2, 0.0},
    {0.0, 1.0, 1.0, 4.0, 4.0, 1.0 / 4, 1.0 / 4, 9.0 / 4, 9.0 / 4, 0.0},
    {0.0, 1.0, -1.0, 8.0, -8.0, 1.0 / 8, -1.0 / 8, 27.0 / 8, -27.0 / 8, 0.0},
    {0.0, 1.0, 1.0, 16.0, 16.0, 1.0 / 16, 1.0 / 16, 81.0 / 16, 81.0 / 16, 0.0},
    {0.0, 1.0, -1.0, 32.0, -32.0, 1.0 / 32, -1.0 / 32, 243.0 / 32, -243.0 / 32, 1.0}};
inline constexpr double kF65_g[10][5] = {
    {4.0 / 9, 0.0, 0.0, 0.0, 0.0},
    {8.0 / 45, 8.0 / 45, 8.0 / 45, 8.0 / 45, 8.0 / 45},
    {8.0 / 45, -8.0 / 45, 8.0 / 45, -8.0 / 45, 8.0 / 45},
    {2.0 / 315, 4.0 / 315, 8.0 / 315, 16.0 / 315, 32.0 / 315},
    {2.0 / 315, -4.0 / 315, 8.0 / 315, -16.0 / 315, 32.0 / 315},
    {-16.0 / 45, -8.0 / 45, -4.0 / 45, -2.0 / 45, -1.0 / 45},
    {-16.0 / 45, 8.0 / 45, -4.0 / 45, 2.0 / 45, -1.0 / 45},
    {-16.0 / 315, -8.0 / 105, -4.0 / 35, -6.0 / 35, -9.0 / 35},
    {-16.0 / 315, 8.0 / 105, -4.0 / 35, 6.0 / 35, -9.0 / 35},
    {0.0, 0.0, 0.0, 0.0, 1.0}};
inline constexpr double kF65_bt[10][10] = {
    {9.0 / 4, 0.0, -205.0 / 16, 0.0, 273.0 / 16, 0.0, -15.0 / 2, 0.0, 1.0, 0.0},
    {0.0, -9.0 / 4, -9.0 / 4, 169.0 / 16, 169.0 / 16, -13.0 / 2, -13.0 / 2, 1.0, 1.0, 0.0},
    {0.0, 9.0 / 4, -9.0 / 4, -169.0 / 16, 169.0 / 16, 13.0 / 2, -13.0 / 2, -1.0, 1.0, 0.0},
    {0.0, -9.0 / 8, -9.0 / 16, 49.0 / 8, 49.0 / 16, -7.0, -7.0 / 2, 2.0, 1.0, 0.0},
    {0.0, 9.0 / 8, -9.0 / 16, -49.0 / 8, 49.0 / 16, 7.0, -7.0 / 2, -2.0, 1.0, 0.0},
    {0.0, -9.0 / 2, -9.0, 61.0 / 8, 61.0 / 4, -29.0 / 8, -29.0 / 4, 1.0 / 2, 1.0, 0.0},
    {0.0, 9.0 / 2, -9.0, -61.0 / 8, 61.0 / 4, 29.0 / 8, -29.0 / 4, -1.0 / 2, 1.0, 0.0},
    {0.0, -3.0 / 2, -1.0, 63.0 / 8, 21.0 / 4, -63.0 / 8, -21.0 / 4, 3.0 / 2, 1.0, 0.0},
    {0.0, 3.0 / 2, -1.0, -63.0 / 8, 21.0 / 4, 63.0 / 8, -21.0 / 4, -3.0 / 2, 1.0, 0.0},
    {0.0, 9.0 / 4, 0.0, -205.0 / 16, 0.0, 273.0 / 16, 0.0, -15.0 / 2, 0.0, 1.0}};
}  // namespace winograd_tables

// A table as a type, for kernels that unroll it at compile time; descriptor
// is the same table for code that takes it at run time.
template <const auto& At, const auto& G, const auto& Bt>
struct WinogradTransform {
  static constexpr const auto& at = At;
  static constexpr const auto& g = G;
  static constexpr const auto& bt = Bt;
  static constexpr int m = static_cast<int>(std::extent_v<std::remove_reference_t<decltype(At)>, 0>);
  static constexpr int n = static_cast<int>(std::extent_v<std::remove_reference_t<decltype(At)>, 1>);
  static constexpr int r = static_cast<int>(std::extent_v<std::remove_reference_t<decltype(G)>, 1>);
  static_assert(n == m + r - 1);
  static constexpr Winograd1d descriptor{m, r, n, &At[0][0], &G[0][0], &Bt[0][0]};
};
// F(1,1): a kernel of one tap along a dimension (conv1d's height).
using WinogradIdentity = WinogradTransform<winograd_tables::kOne, winograd_tables::kOne, winograd_tables::kOne>;
using WinogradF43 = WinogradTransform<winograd_tables::kF43_at, winograd_tables::kF43_g, winograd_tables::kF43_bt>;
using WinogradF45 = WinogradTransform<winograd_tables::kF45_at, winograd_tables::kF45_g, winograd_tables::kF45_bt>;
using WinogradF63 = WinogradTransform<winograd_tables::kF63_at, winograd_tables::kF63_g, winograd_tables::kF45_bt>;
using WinogradF65 = WinogradTransform<winograd_tables::kF65_at, winograd_tables::kF65_g, winograd_tables::kF65_bt>;

// The transform used along a dimension with Taps taps (the one place that
// chooses): F(4, Taps) along both dimensions of a 2-d convolution, F(6, Taps)
// along a 1-d convolution's width (one dimension of rounding, so the longer
// tile stays as accurate as the 2-d pair), F(1,1) along its height.
template <int Taps>
struct WinogradChoice;
template <>
struct WinogradChoice<1> {
  using type = WinogradIdentity;
};
template <>
struct WinogradChoice<3> {
  using type = WinogradF43;
};
template <>
struct WinogradChoice<5> {
  using type = WinogradF45;
};
template <int Taps>
using WinogradForTaps = typename WinogradChoice<Taps>::type;

template <int Taps>
struct WinogradChoice1d;
template <>
struct WinogradChoice1d<3> {
  using type = WinogradF63;
};
template <>
struct WinogradChoice1d<5> {
  using type = WinogradF65;
};
template <int Taps>
using WinogradForTaps1d = typename WinogradChoice1d<Taps>::type;

// The same choices at run time; null when no table has `taps` taps.
inline const Winograd1d* winograd_for_taps(int64_t taps) {
  switch (taps) {
    case 1: return &WinogradForTaps<1>::descriptor;
    case 3: return &WinogradForTaps<3>::descriptor;
    case 5: return &WinogradForTaps<5>::descriptor;
    default: return nullptr;
  }
}
inline const Winograd1d* winograd_for_taps_1d(int64_t taps) {
  switch (taps) {
    case 3: return &WinogradForTaps1d<3>::descriptor;
    case 5: return &WinogradForTaps1d<5>::descriptor;
    default: return nullptr;
  }
}

}  // namespace varstar
