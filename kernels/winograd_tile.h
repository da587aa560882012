#pragma once
// Winograd convolution one tile per thread: the CUDA path
// (kernels/cuda/conv_winograd.cu) as stages, each a function of one element
// index written once for host and device, and the order in which they and
// the GEMMs run (forward, backward_input, backward_weight below), written
// once for any executor. The CUDA executor launches each stage as a
// grid-stride kernel and each GEMM set as one cuBLAS strided-batched call;
// tests/engine/test_winograd.cpp runs the same code with a loop and the CPU's
// GEMM, in double, against the direct convolution. Tables:
// kernels/winograd_math.h.
//
// A chunk of samples [b0, b0 + nb) has nt = nb * tiles tiles, tile
// t = (b - b0) * tiles + th * tiles_w + tw; xi = a * n_w + e indexes the
// n_h x n_w transformed values of a tile. Layouts (row-major):
//   U  (xi, C_out, C_in)  transformed weights
//   V  (xi, C_in, nt)     transformed input tiles
//   M  (xi, C_out, nt)    M[xi] = U[xi] V[xi], one GEMM per xi
// Tiles run along the rows, so consecutive threads (consecutive tiles) touch
// consecutive addresses. The backward passes apply the transposed tables and
// GEMMs: they are the exact gradients of the forward's arithmetic.
#include <algorithm>
#include <type_traits>

#include "kernels/common.h"
#include "kernels/conv_math.h"
#include "kernels/winograd_math.h"

namespace varstar {

// Channels in and out from which `automatic` policies take the Winograd path.
inline constexpr int64_t kMinWinogradChannels = 16;

// Whether a table pair exists for the shape: stride 1, 1, 3 or 5 taps along
// the height and 3 or 5 along the width.
inline bool winograd_fits(const ConvShape& s) {
  return s.stride_h == 1 && s.stride_w == 1 && s.kw != 1 && winograd_for_taps(s.kh) != nullptr &&
         winograd_for_taps(s.kw) != nullptr;
}

// The transform along the width of a shape that fits (kernels/winograd_math.h chooses).
inline const Winograd1d* winograd_along_width(const ConvShape& s) {
  return s.kh == 1 ? winograd_for_taps_1d(s.kw) : winograd_for_taps(s.kw);
}

// Whether an `automatic` policy takes it: enough channels and at least one whole tile.
inline bool winograd_worthwhile(const ConvShape& s) {
  return winograd_fits(s) && s.c_in >= kMinWinogradChannels && s.c_out >= kMinWinogradChannels &&
         s.out_h >= winograd_for_taps(s.kh)->m && s.out_w >= winograd_along_width(s)->m;
}

namespace winograd {

struct Plan {
  int64_t tiles_h = 0, tiles_w = 0, tiles = 0;  // per sample
  int64_t step_h = 0, step_w = 0;                // outputs per tile along each dimension
  int64_t pad_rows = 0, pad_cols = 0;            // input plane covering every tile
  int64_t out_rows = 0, out_cols = 0;            // output plane of whole tiles
  int64_t xi = 0;                                // transformed values per tile
};

template <class H, class W>
Plan make_plan(const ConvShape& s) {
  Plan p;
  p.step_h = H::m;
  p.step_w = W::m;
  p.tiles_h = (s.out_h + H::m - 1) / H::m;
  p.tiles_w = (s.out_w + W::m - 1) / W::m;
  p.tiles = p.tiles_h * p.tiles_w;
  p.out_rows = p.tiles_h * H::m;
  p.out_cols = p.tiles_w * W::m;
  p.pad_rows = p.out_rows + H::r - 1;
  p.pad_cols = p.out_cols + W::r - 1;
  p.xi = int64_t{H::n} * W::n;
  return p;
}

// A table (or its transpose) as a value, so that device code can hold a
// constexpr copy and unroll over it; zero entries then cost nothing.
template <int Rows, int Cols>
struct Coefficients {
  double v[Rows][Cols];
};

template <const auto& Mat, bool Transposed>
constexpr auto coefficients() {
  using M = std::remove_reference_t<decltype(Mat)>;
  constexpr int rows = static_cast<int>(std::extent_v<M, 0>), cols = static_cast<int>(std::extent_v<M, 1>);
  Coefficients<Transposed ? cols : rows, Transposed ? rows : cols> c{};
  for (int i = 0; i < rows; ++i)
    for (int k = 0; k < cols; ++k) {
      if constexpr (Transposed) c.v[k][i] = Mat[i][k];
      else c.v[i][k] = Mat[i][k];
    }
  return c;
}

// Which table of a transform type (kernels/winograd_math.h's WinogradTransform).
enum class Table { at, g, bt };

template <class Transform, Table Which, bool Transposed>
constexpr auto table_coefficients() {
  if constexpr (Which == Table::at) return coefficients<Transform::at, Transposed>();
  else if constexpr (Which == Table::g) return coefficients<Transform::g, Transposed>();
  else return coefficients<Transform::bt, Transposed>();
}

// out = MH in MW^T on one tile in registers, MH and MW table Which of H and
// W (each maybe transposed): along the height first, then along the width, as
// the CPU path.
template <class T, class H, class W, Table Which, bool Transposed>
struct TileTransform {
  using HCoefficients = decltype(table_coefficients<H, Which, Transposed>());
  using WCoefficients = decltype(table_coefficients<W, Which, Transposed>());
  static constexpr int out_h = static_cast<int>(std::extent_v<decltype(HCoefficients::v), 0>);
  static constexpr int in_h = static_cast<int>(std::extent_v<decltype(HCoefficients::v), 1>);
  static constexpr int out_w = static_cast<int>(std::extent_v<decltype(WCoefficients::v), 0>);
  static constexpr int in_w = static_cast<int>(std::extent_v<decltype(WCoefficients::v), 1>);

  VARSTAR_HD static void run(const T (&in)[in_h][in_w], T (&out)[out_h][out_w]) {
    constexpr auto h = table_coefficients<H, Which, Transposed>();
    constexpr auto w = table_coefficients<W, Which, Transposed>();
    T mid[out_h][in_w];
VARSTAR_UNROLL
    for (int i = 0; i < out_h; ++i)
VARSTAR_UNROLL
      for (int k = 0; k < in_w; ++k) {
        T acc = 0;
VARSTAR_UNROLL
        for (int a = 0; a < in_h; ++a)
          if (h.v[i][a] != 0.0) acc += static_cast<T>(h.v[i][a]) * in[a][k];
        mid[i][k] = acc;
      }
VARSTAR_UNROLL
    for (int i = 0; i < out_h; ++i)
VARSTAR_UNROLL
      for (int j = 0; j < out_w; ++j) {
        T acc = 0;
VARSTAR_UNROLL
        for (int e = 0; e < in_w; ++e)
          if (w.v[j][e] != 0.0) acc += static_cast<T>(w.v[j][e]) * mid[i][e];
        out[i][j] = acc;
      }
  }
};

// The stages; apply(i, ...) is the work of element index i. H transforms
// along the height, W along the width.
template <class T, class H, class W>
struct Stages {
  static constexpr int nh = H::n, nw = W::n, mh = H::m, mw = W::m, rh = H::r, rw = W::r;

  // Tile t of a chunk starting at sample b0 -> (sample, first row, first column) of its outputs.
  struct TileOrigin {
    int64_t b, row, col;
  };
  VARSTAR_HD static TileOrigin origin(const Plan& p, int64_t b0, int64_t t) {
    const int64_t tile = t % p.tiles;
    return {b0 + t / p.tiles, tile / p.tiles_w * mh, tile % p.tiles_w * mw};
  }

  // A tile's n_h x n_w transformed values, value xi in plane xi: values[xi * plane + i].
  VARSTAR_HD static void load_values(const T* values, int64_t plane, int64_t i, T (&tile)[nh][nw]) {
VARSTAR_UNROLL
    for (int a = 0; a < nh; ++a)
VARSTAR_UNROLL
      for (int e = 0; e < nw; ++e) tile[a][e] = values[(a * nw + e) * plane + i];
  }
  VARSTAR_HD static void store_values(const T (&tile)[nh][nw], T* values, int64_t plane, int64_t i) {
VARSTAR_UNROLL
    for (int a = 0; a < nh; ++a)
VARSTAR_UNROLL
      for (int e = 0; e < nw; ++e) values[(a * nw + e) * plane + i] = tile[a][e];
  }

  // i in [0, C_out * C_in), the (co, ci) pair: U[., co, ci] from weight (C_out, C_in, KH, KW).
  struct TransformWeight {
    static constexpr const char* name = "winograd_transform_weight";
    VARSTAR_HD static void apply(int64_t i, const T* weight, T* u, ConvShape s) {
      T g[rh][rw];
VARSTAR_UNROLL
      for (int a = 0; a < rh; ++a)
VARSTAR_UNROLL
        for (int e = 0; e < rw; ++e) g[a][e] = weight[i * (rh * rw) + a * rw + e];
      T out[nh][nw];
      TileTransform<T, H, W, Table::g, false>::run(g, out);
      store_values(out, u, s.c_out * s.c_in, i);
    }
  };

  // i in [0, C_out * C_in): dweight[co, ci] (overwritten) from dU.
  struct UntransformWeightGrad {
    static constexpr const char* name = "winograd_untransform_weight_grad";
    VARSTAR_HD static void apply(int64_t i, const T* du, T* dweight, ConvShape s) {
      T in[nh][nw];
      load_values(du, s.c_out * s.c_in, i, in);
      T g[rh][rw];
      TileTransform<T, H, W, Table::g, true>::run(in, g);
VARSTAR_UNROLL
      for (int a = 0; a < rh; ++a)
VARSTAR_UNROLL
        for (int e = 0; e < rw; ++e) dweight[i * (rh * rw) + a * rw + e] = g[a][e];
    }
  };

  // i = c * nt + t in [0, C_in * nt): V[., c, t] from the input window of tile t (zero outside x).
  struct TransformInput {
    static constexpr const char* name = "winograd_transform_input";
    VARSTAR_HD static void apply(int64_t i, const T* x, T* v, ConvShape s, Plan p, int64_t b0, int64_t nt) {
      const int64_t c = i / nt;
      const TileOrigin o = origin(p, b0, i % nt);
      const T* plane = x + (o.b * s.c_in + c) * s.h * s.w;
      T d[nh][nw];
VARSTAR_UNROLL
      for (int a = 0; a < nh; ++a) {
        const int64_t row = o.row - s.pad_h + a;
VARSTAR_UNROLL
        for (int e = 0; e < nw; ++e) {
          const int64_t col = o.col - s.pad_w + e;
          d[a][e] = row >= 0 && row < s.h && col >= 0 && col < s.w ? plane[row * s.w + col] : T(0);
        }
      }
      T out[nh][nw];
      TileTransform<T, H, W, Table::bt, false>::run(d, out);
      store_values(out, v, s.c_in * nt, i);
    }
  };

  // i = co * nt + t in [0, C_out * nt): dM[., co, t] from dy's outputs of tile t (zero past the edge).
  struct TransformOutputGrad {
    static constexpr const char* name = "winograd_transform_output_grad";
    VARSTAR_HD static void apply(int64_t i, const T* dy, T* dm, ConvShape s, Plan p, int64_t b0, int64_t nt) {
      const int64_t co = i / nt;
      const TileOrigin o = origin(p, b0, i % nt);
      const T* plane = dy + (o.b * s.c_out + co) * s.out_h * s.out_w;
      T g[mh][mw];
VARSTAR_UNROLL
      for (int a = 0; a < mh; ++a)
VARSTAR_UNROLL
        for (int e = 0; e < mw; ++e) {
          const int64_t row = o.row + a, col = o.col + e;
          g[a][e] = row < s.out_h && col < s.out_w ? plane[row * s.out_w + col] : T(0);
        }
      T out[nh][nw];
      TileTransform<T, H, W, Table::at, true>::run(g, out);
      store_values(out, dm, s.c_out * nt, i);
    }
  };

  // i = co * nt + t in [0, C_out * nt): the outputs of tile t in channel co
  // from M, plus bias[co] (bias may be null); outputs past the edge are dropped.
  struct UntransformOutput {
    static constexpr const char* name = "winograd_untransform_output";
    VARSTAR_HD static void apply(int64_t i, const T* m, const T* bias, T* y, ConvShape s, Plan p, int64_t b0,
                                 int64_t nt) {
      const int64_t co = i / nt;
      const TileOrigin o = origin(p, b0, i % nt);
      T in[nh][nw];
      load_values(m, s.c_out * nt, i, in);
      T out[mh][mw];
      TileTransform<T, H, W, Table::at, false>::run(in, out);
      const T b = bias != nullptr ? bias[co] : T(0);
      T* plane = y + (o.b * s.c_out + co) * s.out_h * s.out_w;
VARSTAR_UNROLL
      for (int a = 0; a < mh; ++a)
VARSTAR_UNROLL
        for (int e = 0; e < mw; ++e) {
          const int64_t row = o.row + a, col = o.col + e;
          if (row < s.out_h && col < s.out_w) plane[row * s.out_w + col] = out[a][e] + b;
        }
    }
  };

  // i = c * nt + t in [0, C_in * nt): the input-window gradient of tile t,
  // from dV, into patches (C_in, nt, n_h, n_w). Windows overlap; GatherInputGrad adds them.
  struct UntransformInputGrad {
    static constexpr const char* name = "winograd_untransform_input_grad";
    VARSTAR_HD static void apply(int64_t i, const T* dv, T* patches, ConvShape s, int64_t nt) {
      T in[nh][nw];
      load_values(dv, s.c_in * nt, i, in);
      T out[nh][nw];
      TileTransform<T, H, W, Table::bt, true>::run(in, out);
      T* patch = patches + i * (nh * nw);
VARSTAR_UNROLL
      for (int a = 0; a < nh; ++a)
VARSTAR_UNROLL
        for (int e = 0; e < nw; ++e) patch[a * nw + e] = out[a][e];
    }
  };

  // First and last tile (along one dimension) whose window of n inputs, m apart, covers padded position q.
  VARSTAR_HD static void covering(int64_t q, int n, int m, int64_t tiles, int64_t& first, int64_t& last) {
    const int64_t lowest = q - (n - 1);
    first = lowest <= 0 ? 0 : (lowest + m - 1) / m;
    last = std::min<int64_t>(tiles - 1, q / m);
  }

  // i in [0, nb * C_in * H * W): dx of the chunk's samples (overwritten), the
  // patches that cover each input element added in tile order.
  struct GatherInputGrad {
    static constexpr const char* name = "winograd_gather_input_grad";
    VARSTAR_HD static void apply(int64_t i, const T* patches, T* dx, ConvShape s, Plan p, int64_t b0, int64_t nt) {
      const int64_t iw = i % s.w, ih = i / s.w % s.h, c = i / (s.w * s.h) % s.c_in, b = i / (s.w * s.h * s.c_in);
      const int64_t qh = ih + s.pad_h, qw = iw + s.pad_w;
      int64_t th0, th1, tw0, tw1;
      covering(qh, nh, mh, p.tiles_h, th0, th1);
      covering(qw, nw, mw, p.tiles_w, tw0, tw1);
      T acc = 0;
      for (int64_t th = th0; th <= th1; ++th)
        for (int64_t tw = tw0; tw <= tw1; ++tw) {
          const int64_t t = b * p.tiles + th * p.tiles_w + tw;
          acc += patches[((c * nt + t) * nh + (qh - th * mh)) * nw + (qw - tw * mw)];
        }
      dx[(b0 * s.c_in) * s.h * s.w + i] = acc;
    }
  };
};

// Samples per chunk so that V and M (and the input-gradient patches) of a
// chunk take at most max_floats floats: at least 1.
template <class H, class W>
int64_t chunk_samples(const ConvShape& s, int64_t max_floats) {
  const Plan p = make_plan<H, W>(s);
  const int64_t per_sample = p.xi * p.tiles * (s.c_in + s.c_out) + p.xi * p.tiles * s.c_in;
  return std::clamp<int64_t>(max_floats / std::max<int64_t>(1, per_sample), 1, std::max<int64_t>(1, s.batch));
}

// The passes, for an executor E with
//   run<Stage>(n, args...)  Stage::apply(i, args...) for every i in [0, n)
//   gemm(ta, tb, m, n, k, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch)
//                           row-major C[j] = op(A[j]) op(B[j]) + beta C[j], alpha 1
//   allocate(count)         scratch of `count` T with data()
// and chunks of at most `chunk` samples.
template <class T, class H, class W, class E>
void forward(E& exec, const T* x, const T* weight, const T* bias, T* y, const ConvShape& s, int64_t chunk) {
  using S = Stages<T, H, W>;
  const Plan p = make_plan<H, W>(s);
  auto u = exec.allocate(p.xi * s.c_out * s.c_in);
  auto v = exec.allocate(p.xi * s.c_in * chunk * p.tiles);
  auto m = exec.allocate(p.xi * s.c_out * chunk * p.tiles);
  exec.template run<typename S::TransformWeight>(s.c_out * s.c_in, weight, u.data(), s);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t nt = std::min(chunk, s.batch - b0) * p.tiles;
    exec.template run<typename S::TransformInput>(s.c_in * nt, x, v.data(), s, p, b0, nt);
    // M[xi] (C_out, nt) = U[xi] (C_out, C_in) V[xi] (C_in, nt)
    exec.gemm(false, false, s.c_out, nt, s.c_in, u.data(), s.c_in, s.c_out * s.c_in, v.data(), nt, s.c_in * nt,
              T(0), m.data(), nt, s.c_out * nt, p.xi);
    exec.template run<typename S::UntransformOutput>(s.c_out * nt, m.data(), bias, y, s, p, b0, nt);
  }
}

template <class T, class H, class W, class E>
void backward_input(E& exec, const T* dy, const T* weight, T* dx, const ConvShape& s, int64_t chunk) {
  using S = Stages<T, H, W>;
  const Plan p = make_plan<H, W>(s);
  auto u = exec.allocate(p.xi * s.c_out * s.c_in);
  auto dv = exec.allocate(p.xi * s.c_in * chunk * p.tiles);
  auto dm = exec.allocate(p.xi * s.c_out * chunk * p.tiles);
  auto patches = exec.allocate(p.xi * s.c_in * chunk * p.tiles);
  exec.template run<typename S::TransformWeight>(s.c_out * s.c_in, weight, u.data(), s);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t nb = std::min(chunk, s.batch - b0), nt = nb * p.tiles;
    exec.template run<typename S::TransformOutputGrad>(s.c_out * nt, dy, dm.data(), s, p, b0, nt);
    // dV[xi] (C_in, nt) = U[xi]^T (C_in, C_out) dM[xi] (C_out, nt)
    exec.gemm(true, false, s.c_in, nt, s.c_out, u.data(), s.c_in, s.c_out * s.c_in, dm.data(), nt, s.c_out * nt,
              T(0), dv.data(), nt, s.c_in * nt, p.xi);
    exec.template run<typename S::UntransformInputGrad>(s.c_in * nt, dv.data(), patches.data(), s, nt);
    exec.template run<typename S::GatherInputGrad>(nb * s.c_in * s.h * s.w, patches.data(), dx, s, p, b0, nt);
  }
}

// dweight only (overwritten); the bias gradient is the caller's.
template <class T, class H, class W, class E>
void backward_weight(E& exec, const T* dy, const T* x, T* dweight, const ConvShape& s, int64_t chunk) {
  using S = Stages<T, H, W>;
  const Plan p = make_plan<H, W>(s);
  auto du = exec.allocate(p.xi * s.c_out * s.c_in);
  auto v = exec.allocate(p.xi * s.c_in * chunk * p.tiles);
  auto dm = exec.allocate(p.xi * s.c_out * chunk * p.tiles);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t nt = std::min(chunk, s.batch - b0) * p.tiles;
    exec.template run<typename S::TransformInput>(s.c_in * nt, x, v.data(), s, p, b0, nt);
    exec.template run<typename S::TransformOutputGrad>(s.c_out * nt, dy, dm.data(), s, p, b0, nt);
    // dU[xi] (C_out, C_in) += dM[xi] (C_out, nt) V[xi]^T (nt, C_in), chunk after chunk
    exec.gemm(false, true, s.c_out, s.c_in, nt, dm.data(), nt, s.c_out * nt, v.data(), nt, s.c_in * nt,
              b0 == 0 ? T(0) : T(1), du.data(), s.c_in, s.c_out * s.c_in, p.xi);
  }
  exec.template run<typename S::UntransformWeightGrad>(s.c_out * s.c_in, du.data(), dweight, s);
}

// Calls f.template operator()<H, W>() with the transforms for (kh, kw)
// (kernels/winograd_math.h's choice); precondition: winograd_fits(s).
template <class F>
decltype(auto) with_transforms(const ConvShape& s, F&& f) {
  auto along_w = [&]<class H>() -> decltype(auto) {
    if (s.kw == 3) return f.template operator()<H, WinogradForTaps<3>>();
    return f.template operator()<H, WinogradForTaps<5>>();
  };
  if (s.kh == 1) {
    if (s.kw == 3) return f.template operator()<WinogradForTaps<1>, WinogradForTaps1d<3>>();
    return f.template operator()<WinogradForTaps<1>, WinogradForTaps1d<5>>();
  }
  if (s.kh == 3) return along_w.template operator()<WinogradForTaps<3>>();
  return along_w.template operator()<WinogradForTaps<5>>();
}

}  // namespace winograd
}  // namespace varstar
