// CPU convolution by Winograd minimal filtering (kernels/winograd_math.h):
// stride 1, 3 or 5 taps along the width and 1, 3 or 5 along the height
// (conv1d is the height-1 case). Per tile, the n_h x n_w transformed values
// are indexed xi = a * n_w + e, and each xi is one GEMM:
//   V[xi]: (tiles, C_in)  transformed input
//   U[xi]: (C_out, C_in)  transformed weights
//   M[xi] = V[xi] U[xi]^T: (tiles, C_out), turned back into output tiles.
// Channels are innermost so that the transforms run on kLanes channels at a
// time (one to four SIMD registers); the GEMMs run one per thread over xi. Samples go
// through in chunks of about winograd_chunk_tiles() tiles, so the transformed tensors
// stay small; the chunks do not depend on the thread count, so neither do
// the results. Bench: `varstar bench --models cnn2d` (VARSTAR_CONV_WINOGRAD=0
// in the environment runs the im2col path instead).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/conv.h"
#include "kernels/cpu/parallel.h"
#include "kernels/gemm.h"
#include "kernels/winograd_tile.h"

namespace varstar {
WinogradPolicy initial_winograd_policy() {
  const char* env = std::getenv("VARSTAR_CONV_WINOGRAD");
  if (env != nullptr && std::strcmp(env, "0") == 0) return WinogradPolicy::off;
  return WinogradPolicy::automatic;
}
}  // namespace varstar

namespace varstar::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int64_t kChunkQuantum = 4;

using winograd::make_plan;
using winograd::Plan;

std::atomic<WinogradPolicy>& policy() {
  static std::atomic<WinogradPolicy> p{initial_winograd_policy()};
  return p;
}

std::atomic<int64_t>& chunk_tiles_setting() {
  static std::atomic<int64_t> tiles{kDefaultChunkTiles};
  return tiles;
}

// Samples per chunk: the batch split into chunks of about
// winograd_chunk_tiles() tiles, rounded up to a multiple of kChunkQuantum
// samples (one sample per thread in the transforms).
int64_t chunk_samples(const ConvShape& s, const Plan& p) {
  const int64_t target = chunk_tiles_setting().load();
  const int64_t chunks = std::max<int64_t>(1, (s.batch * p.tiles + target / 2) / target);
  const int64_t samples = (s.batch + chunks - 1) / chunks;
  return std::min(s.batch, (samples + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum);
}

// Grow-only buffers of the calling thread, one per purpose.
enum Slot { kWeights, kWeightGrad, kInput, kProduct, kSlots };
template <class T>
T* buffer(Slot slot, size_t n) {
  thread_local std::vector<T> buffers[kSlots];
  std::vector<T>& b = buffers[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

template <const auto& Mat, int Dim>
inline constexpr int extent_of = static_cast<int>(std::extent_v<std::remove_reference_t<decltype(Mat)>, Dim>);

// The nonzero coefficients of a matrix (or of its transpose), row by row.
template <const auto& Mat, bool Transposed>
struct Terms {
  static constexpr int rows = extent_of<Mat, 0>, cols = extent_of<Mat, 1>;
  static constexpr int out_n = Transposed ? cols : rows, in_n = Transposed ? rows : cols;
  struct Table {
    int count[out_n] = {};
    int k[out_n][in_n] = {};
    double coef[out_n][in_n] = {};
  };
  static constexpr Table table = [] {
    Table t;
    for (int i = 0; i < out_n; ++i)
      for (int k = 0; k < in_n; ++k) {
        const double c = Transposed ? Mat[k][i] : Mat[i][k];
        if (c == 0.0) continue;
        t.k[i][t.count[i]] = k;
        t.coef[i][t.count[i]++] = c;
      }
    return t;
  }();
};

// One SIMD register of T (GCC/Clang vector extension): the transforms run
// on the kLanes channels of a block as kLanes / kPerVector<T> independent
// slices of this width. A kLanes-wide vector type, which AVX2 holds in two
// registers, GCC moved through the stack and general registers.
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
#else
constexpr int kVectorBytes = 16;
#endif
template <class T>
struct VectorOf {
  typedef T type __attribute__((vector_size(kVectorBytes)));
};
template <class T>
using Vector = typename VectorOf<T>::type;
template <class T>
inline constexpr int kPerVector = kVectorBytes / static_cast<int>(sizeof(T));
static_assert(kLanes % kPerVector<float> == 0 && kLanes % kPerVector<double> == 0);

// acc += c * src[0, kPerVector). Vectors go by reference only: passing them by
// value would change the calling convention between -march levels.
template <class T>
inline void add_scaled(Vector<T>& acc, std::type_identity_t<T> c, const T* src) {
  Vector<T> v;
  std::memcpy(&v, src, sizeof v);
  acc += c * v;
}

// Row I's terms from the K-th on, added into acc. Unrolled at compile time,
// so that each coefficient is a constant: against a loop over the table,
// 1.05-1.25x per layer on AVX2 (bench_dev_conv_cpu). GCC then shares the
// products c * in[k] between rows, rounding them apart from the sums.
template <class T, class M, int O0, int N, int I, int K = 0>
inline void add_terms(Vector<T> (&acc)[N], const T* in, int64_t is_k) {
  if constexpr (K < M::table.count[I]) {
    constexpr T c = static_cast<T>(M::table.coef[I][K]);
    const T* src = in + M::table.k[I][K] * is_k + O0 * kLanes;
    for (int o = 0; o < N; ++o) add_scaled(acc[o], c, src + o * kLanes);
    add_terms<T, M, O0, N, I, K + 1>(acc, in, is_k);
  }
}

// One matrix along one dimension of a tile, for pixels [O0, O0 + N) of the
// other dimension at once (N accumulators), on one slice of kPerVector lanes:
//   out[i*os_i + o*os_o + lane] = sum_k coef(i, k) * in[k*is_k + o*kLanes + lane]
template <class T, const auto& Mat, bool Transposed, int O0, int N, int I = 0>
inline void apply_along_group(const T* in, int64_t is_k, T* out, int64_t os_i, int64_t os_o) {
  using M = Terms<Mat, Transposed>;
  if constexpr (I < M::out_n) {
    Vector<T> acc[N] = {};
    add_terms<T, M, O0, N, I>(acc, in, is_k);
    for (int o = 0; o < N; ++o) std::memcpy(out + I * os_i + (O0 + o) * os_o, &acc[o], sizeof acc[o]);
    apply_along_group<T, Mat, Transposed, O0, N, I + 1>(in, is_k, out, os_i, os_o);
  }
}

// All Other pixels at once, except for a one-row matrix (the height of a
// 1-d convolution), which goes two pixels at a time. With all of them, the
// 1-d transforms ran 1.1-3x slower on one thread, where parallel_for inlines
// the loop into its caller (bench_dev_conv_cpu, OMP_NUM_THREADS=1; the
// 2-d transforms and two threads were unchanged).
template <class T, const auto& Mat, bool Transposed, int Other, int O0 = 0>
inline void apply_along(const T* in, int64_t is_k, T* out, int64_t os_i, int64_t os_o) {
  constexpr int kGroup = Terms<Mat, Transposed>::out_n == 1 ? 2 : Other;
  constexpr int n = Other - O0 < kGroup ? Other - O0 : kGroup;
  apply_along_group<T, Mat, Transposed, O0, n>(in, is_k, out, os_i, os_o);
  if constexpr (O0 + n < Other) apply_along<T, Mat, Transposed, Other, O0 + n>(in, is_k, out, os_i, os_o);
}

// A tile map: a matrix along the height, then one along the width, each
// maybe transposed: in (in_h, in_w, lanes), rows in_row apart -> out (out_h, out_w, lanes), dense.
template <const auto& MatH, const auto& MatW, bool Transposed>
struct TileMap {
  static constexpr int in_h = extent_of<MatH, Transposed ? 0 : 1>, out_h = extent_of<MatH, Transposed ? 1 : 0>;
  static constexpr int in_w = extent_of<MatW, Transposed ? 0 : 1>, out_w = extent_of<MatW, Transposed ? 1 : 0>;

  template <class T>
  static void run(const T* in, int64_t in_row, T* out) {
    alignas(64) T columns[in_w * out_h * kLanes];  // (in_w, out_h, lanes): column-major
    for (int slice = 0; slice < kLanes; slice += kPerVector<T>) {
      apply_along<T, MatH, Transposed, in_w>(in + slice, in_row, columns + slice, kLanes, out_h * kLanes);
      apply_along<T, MatW, Transposed, out_h>(columns + slice, out_h * kLanes, out + slice, kLanes, out_w * kLanes);
    }
  }
};

// The six maps of a pair of transforms (H along the height, W along the width).
template <class H, class W>
struct Maps {
  using input = TileMap<H::bt, W::bt, false>;        // BT d B
  using input_grad = TileMap<H::bt, W::bt, true>;    // B m BT
  using output = TileMap<H::at, W::at, false>;       // AT m A
  using output_grad = TileMap<H::at, W::at, true>;   // A dy AT
  using weight = TileMap<H::g, W::g, false>;         // G g GT
  using weight_grad = TileMap<H::g, W::g, true>;     // GT du G
};

// dst[0, nl) = src[0, nl); a constant size when the block is full, so that the copy inlines.
template <class T>
inline void copy_lanes(T* dst, const T* src, int nl) {
  if (nl == kLanes)
    std::memcpy(dst, src, sizeof(T) * kLanes);
  else
    std::memcpy(dst, src, sizeof(T) * nl);
}

int64_t blocks(int64_t channels) { return (channels + kLanes - 1) / kLanes; }
// Channels in block cb.
int lanes_in(int64_t channels, int64_t cb) {
  return static_cast<int>(std::min<int64_t>(kLanes, channels - cb * kLanes));
}

// Transformed weights U (xi, C_out, C_in) from weight (C_out, C_in, KH, KW).
template <class T, class Map>
void transform_weights(const T* weight, const ConvShape& s, const Plan& p, T* u) {
  const int64_t nb = blocks(s.c_in);
  parallel_for(s.c_out * nb, 1, [&](int64_t begin, int64_t end) {
    alignas(64) T taps[Map::in_h * Map::in_w * kLanes] = {};
    alignas(64) T out[Map::out_h * Map::out_w * kLanes];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t co = item / nb, c0 = (item % nb) * kLanes;
      const int nl = lanes_in(s.c_in, item % nb);
      for (int l = 0; l < nl; ++l) {
        const T* w = weight + (co * s.c_in + c0 + l) * s.kh * s.kw;
        for (int64_t k = 0; k < s.kh * s.kw; ++k) taps[k * kLanes + l] = w[k];
      }
      Map::run(taps, Map::in_w * kLanes, out);
      for (int64_t x = 0; x < p.xi; ++x) copy_lanes(u + (x * s.c_out + co) * s.c_in + c0, out + x * kLanes, nl);
    }
  });
}

// Weight gradient (C_out, C_in, KH, KW) from the transformed one dU (xi, C_out, C_in).
template <class T, class Map>
void untransform_weight_grad(const T* du, const ConvShape& s, const Plan& p, T* dweight) {
  const int64_t nb = blocks(s.c_in);
  parallel_for(s.c_out * nb, 1, [&](int64_t begin, int64_t end) {
    alignas(64) T values[Map::in_h * Map::in_w * kLanes] = {};
    alignas(64) T out[Map::out_h * Map::out_w * kLanes];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t co = item / nb, c0 = (item % nb) * kLanes;
      const int nl = lanes_in(s.c_in, item % nb);
      for (int64_t x = 0; x < p.xi; ++x) copy_lanes(values + x * kLanes, du + (x * s.c_out + co) * s.c_in + c0, nl);
      Map::run(values, Map::in_w * kLanes, out);
      for (int l = 0; l < nl; ++l) {
        T* dw = dweight + (co * s.c_in + c0 + l) * s.kh * s.kw;
        for (int64_t k = 0; k < s.kh * s.kw; ++k) dw[k] = out[k * kLanes + l];
      }
    }
  });
}

// Copies channels [c0, c0 + nl) of a (C, H, W) plane stack into plane (rows, cols, lanes), shifted by
// (top, left) and zero elsewhere.
template <class T>
void gather_planes(const T* src, int64_t c0, int nl, int64_t h, int64_t w, int64_t top, int64_t left, T* plane,
                   int64_t rows, int64_t cols) {
  std::fill(plane, plane + rows * cols * kLanes, T(0));
  const int64_t h_end = std::min(h, rows - top), w_end = std::min(w, cols - left);
  for (int l = 0; l < nl; ++l) {
    const T* channel = src + (c0 + l) * h * w;
    for (int64_t ih = 0; ih < h_end; ++ih) {
      T* row = plane + ((ih + top) * cols + left) * kLanes + l;
      const T* in = channel + ih * w;
      for (int64_t iw = 0; iw < w_end; ++iw) row[iw * kLanes] = in[iw];
    }
  }
}

// The inverse: channels [c0, c0 + nl) of dst (C, H, W) from plane (rows, cols, lanes) at (top, left);
// pixels outside the plane get zero, plus bias[c] when bias is not null.
template <class T>
void scatter_planes(const T* plane, int64_t rows, int64_t cols, int64_t top, int64_t left, int64_t c0, int nl,
                    int64_t h, int64_t w, const T* bias, T* dst) {
  for (int l = 0; l < nl; ++l) {
    T* channel = dst + (c0 + l) * h * w;
    const T b = bias != nullptr ? bias[c0 + l] : T(0);
    for (int64_t ih = 0; ih < h; ++ih) {
      T* out = channel + ih * w;
      const int64_t r = ih + top;
      for (int64_t iw = 0; iw < w; ++iw) {
        const int64_t c = iw + left;
        out[iw] = (r < rows && c < cols ? plane[(r * cols + c) * kLanes + l] : T(0)) + b;
      }
    }
  }
}

// Per-thread plane buffer, (rows, cols, lanes).
template <class T>
T* plane_buffer(size_t n) {
  thread_local std::vector<T> plane;
  if (plane.size() < n) plane.resize(n);
  return plane.data();
}

// A (B, C, H, W) tensor seen as planes of (rows, cols) with the data at (top, left):
// the padded input (top, left = the padding) or the output (whole tiles).
struct Planes {
  int64_t channels, h, w, top, left, rows, cols;
};

// Transformed tiles (xi, chunk_tiles, C) of the samples [b0, b0 + nb): tiles
// of Map::in_h x Map::in_w read every (step_h, step_w) (the output tile size).
// One sample per thread; all its channel blocks of a tile one after the
// other, so that each transformed value's row of C channels is written whole.
template <class T, class Map>
void transform_tensor(const T* src, int64_t b0, int64_t nb, const Planes& g, const Plan& p, T* dst) {
  const int64_t nbl = blocks(g.channels), chunk_tiles = nb * p.tiles, plane_size = g.rows * g.cols * kLanes;
  parallel_for(nb, 1, [&](int64_t begin, int64_t end) {
    T* planes = plane_buffer<T>(nbl * plane_size);
    alignas(64) T out[Map::out_h * Map::out_w * kLanes];
    for (int64_t b = begin; b < end; ++b) {
      for (int64_t cb = 0; cb < nbl; ++cb)
        gather_planes(src + (b0 + b) * g.channels * g.h * g.w, cb * kLanes, lanes_in(g.channels, cb), g.h, g.w, g.top,
                      g.left, planes + cb * plane_size, g.rows, g.cols);
      for (int64_t th = 0; th < p.tiles_h; ++th) {
        for (int64_t tw = 0; tw < p.tiles_w; ++tw) {
          const int64_t n = b * p.tiles + th * p.tiles_w + tw;
          for (int64_t cb = 0; cb < nbl; ++cb) {
            Map::run(planes + cb * plane_size + (th * p.step_h * g.cols + tw * p.step_w) * kLanes, g.cols * kLanes,
                     out);
            const int nl = lanes_in(g.channels, cb);
            for (int64_t x = 0; x < p.xi; ++x)
              copy_lanes(dst + (x * chunk_tiles + n) * g.channels + cb * kLanes, out + x * kLanes, nl);
          }
        }
      }
    }
  });
}

// The way back: products (xi, chunk_tiles, C) -> samples [b0, b0 + nb). Each
// tile's result is added into the plane at (th*step_h, tw*step_w): output
// tiles do not overlap, input-gradient tiles do.
template <class T, class Map>
void untransform_tensor(const T* prod, int64_t b0, int64_t nb, const Planes& g, const Plan& p, const T* bias, T* dst) {
  const int64_t nbl = blocks(g.channels), chunk_tiles = nb * p.tiles, plane_size = g.rows * g.cols * kLanes;
  parallel_for(nb, 1, [&](int64_t begin, int64_t end) {
    T* planes = plane_buffer<T>(nbl * plane_size);
    alignas(64) T values[Map::in_h * Map::in_w * kLanes] = {};
    alignas(64) T out[Map::out_h * Map::out_w * kLanes];
    for (int64_t b = begin; b < end; ++b) {
      std::fill(planes, planes + nbl * plane_size, T(0));
      for (int64_t th = 0; th < p.tiles_h; ++th) {
        for (int64_t tw = 0; tw < p.tiles_w; ++tw) {
          const int64_t n = b * p.tiles + th * p.tiles_w + tw;
          for (int64_t cb = 0; cb < nbl; ++cb) {
            const int nl = lanes_in(g.channels, cb);
            for (int64_t x = 0; x < p.xi; ++x)
              copy_lanes(values + x * kLanes, prod + (x * chunk_tiles + n) * g.channels + cb * kLanes, nl);
            Map::run(values, Map::in_w * kLanes, out);
            T* origin = planes + cb * plane_size + (th * p.step_h * g.cols + tw * p.step_w) * kLanes;
            for (int i = 0; i < Map::out_h; ++i) {
              T* row = origin + i * g.cols * kLanes;
              const T* res = out + i * Map::out_w * kLanes;
              for (int j = 0; j < Map::out_w * kLanes; ++j) row[j] += res[j];
            }
          }
        }
      }
      for (int64_t cb = 0; cb < nbl; ++cb)
        scatter_planes(planes + cb * plane_size, g.rows, g.cols, g.top, g.left, cb * kLanes, lanes_in(g.channels, cb),
                       g.h, g.w, bias, dst + (b0 + b) * g.channels * g.h * g.w);
    }
  });
}

Planes input_planes(const ConvShape& s, const Plan& p) {
  return {s.c_in, s.h, s.w, s.pad_h, s.pad_w, p.pad_rows, p.pad_cols};
}
Planes output_planes(const ConvShape& s, const Plan& p) {
  return {s.c_out, s.out_h, s.out_w, 0, 0, p.out_rows, p.out_cols};
}

// One GEMM per transformed value, one thread each. Not gemm_strided_batched:
// it threads products of this size one after another, 6-30% slower on the
// thesis layers (bench_dev_conv_cpu, both ways in one session).
template <class T>
void gemm_per_value(const Plan& p, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a,
                    int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c,
                    int64_t ldc, int64_t stride_c) {
  parallel_for(p.xi, 1, [&](int64_t begin, int64_t end) {
    for (int64_t x = begin; x < end; ++x)
      gemm<T>(trans_a, trans_b, m, n, k, T(1), a + x * stride_a, lda, b + x * stride_b, ldb, beta, c + x * stride_c,
              ldc);
  });
}

// The calling thread's buffers for one call: weights (xi, C_out, C_in), and
// per chunk of samples input-side (xi, tiles, C_in) and output-side (xi, tiles, C_out).
template <class T>
struct Workspace {
  T* weights;
  T* inputs;
  T* outputs;
  int64_t chunk;  // samples per chunk
};

template <class T>
Workspace<T> workspace(const ConvShape& s, const Plan& p) {
  const int64_t cs = chunk_samples(s, p);
  return {buffer<T>(kWeights, p.xi * s.c_out * s.c_in), buffer<T>(kInput, p.xi * cs * p.tiles * s.c_in),
          buffer<T>(kProduct, p.xi * cs * p.tiles * s.c_out), cs};
}

template <class T, class H, class W>
void forward(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s) {
  using M = Maps<H, W>;
  const Plan p = make_plan<H, W>(s);
  const Workspace<T> ws = workspace<T>(s, p);
  T *u = ws.weights, *v = ws.inputs, *m = ws.outputs;
  const int64_t cs = ws.chunk;
  transform_weights<T, typename M::weight>(weight, s, p, u);
  for (int64_t b0 = 0; b0 < s.batch; b0 += cs) {
    const int64_t nb = std::min(cs, s.batch - b0), nt = nb * p.tiles;
    transform_tensor<T, typename M::input>(x, b0, nb, input_planes(s, p), p, v);
    // M (nt, C_out) = V (nt, C_in) U^T
    gemm_per_value<T>(p, false, true, nt, s.c_out, s.c_in, v, s.c_in, nt * s.c_in, u, s.c_in, s.c_out * s.c_in, T(0),
                      m, s.c_out, nt * s.c_out);
    untransform_tensor<T, typename M::output>(m, b0, nb, output_planes(s, p), p, bias, y);
  }
}

// db[o] = the sum of dy over samples and pixels of channel o.
template <class T>
void bias_grad(const T* dy, T* dbias, const ConvShape& s) {
  const int64_t np = s.out_pixels();
  parallel_for(s.c_out, 1, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      T acc = 0;
      for (int64_t b = 0; b < s.batch; ++b) {
        const T* row = dy + (b * s.c_out + o) * np;
#pragma omp simd reduction(+ : acc)
        for (int64_t q = 0; q < np; ++q) acc += row[q];
      }
      dbias[o] = acc;
    }
  });
}

// The input gradient (dx not null) and the weight and bias gradients
// (dweight not null), each chunk of dy transformed once for both:
//   dV (nt, C_in) = dM (nt, C_out) U, turned back into dx;
//   dU (C_out, C_in) += dM^T (C_out, nt) V (nt, C_in), chunk after chunk.
// dV and then V share one buffer. Each gradient's arithmetic and its order
// do not depend on whether the other is computed.
template <class T, class H, class W>
void backward(const T* dy, const T* x, const T* weight, T* dx, T* dweight, T* dbias, const ConvShape& s) {
  using M = Maps<H, W>;
  const Plan p = make_plan<H, W>(s);
  const Workspace<T> ws = workspace<T>(s, p);
  T *u = ws.weights, *dv_then_v = ws.inputs, *dm = ws.outputs;
  T* du = dweight != nullptr ? buffer<T>(kWeightGrad, p.xi * s.c_out * s.c_in) : nullptr;
  const int64_t cs = ws.chunk;
  if (dx != nullptr) transform_weights<T, typename M::weight>(weight, s, p, u);
  for (int64_t b0 = 0; b0 < s.batch; b0 += cs) {
    const int64_t nb = std::min(cs, s.batch - b0), nt = nb * p.tiles;
    transform_tensor<T, typename M::output_grad>(dy, b0, nb, output_planes(s, p), p, dm);
    if (dx != nullptr) {
      gemm_per_value<T>(p, false, false, nt, s.c_in, s.c_out, dm, s.c_out, nt * s.c_out, u, s.c_in,
                        s.c_out * s.c_in, T(0), dv_then_v, s.c_in, nt * s.c_in);
      untransform_tensor<T, typename M::input_grad>(dv_then_v, b0, nb, input_planes(s, p), p,
                                                    static_cast<const T*>(nullptr), dx);
    }
    if (dweight != nullptr) {
      transform_tensor<T, typename M::input>(x, b0, nb, input_planes(s, p), p, dv_then_v);
      gemm_per_value<T>(p, true, false, s.c_out, s.c_in, nt, dm, s.c_out, nt * s.c_out, dv_then_v, s.c_in,
                        nt * s.c_in, b0 == 0 ? T(0) : T(1), du, s.c_in, s.c_out * s.c_in);
    }
  }
  if (dweight != nullptr) {
    untransform_weight_grad<T, typename M::weight_grad>(du, s, p, dweight);
    if (dbias != nullptr) bias_grad(dy, dbias, s);
  }
}

}  // namespace

void set_conv_winograd(WinogradPolicy p) { policy().store(p); }
WinogradPolicy conv_winograd() { return policy().load(); }
void set_winograd_chunk_tiles(int64_t tiles) { chunk_tiles_setting().store(std::max<int64_t>(1, tiles)); }
int64_t winograd_chunk_tiles() { return chunk_tiles_setting().load(); }

bool winograd_suits(const ConvShape& s) {
  switch (conv_winograd()) {
    case WinogradPolicy::off: return false;
    case WinogradPolicy::automatic: return winograd_worthwhile(s);
    case WinogradPolicy::always: return winograd_fits(s);
  }
  return false;
}

template <class T>
void conv2d_forward_winograd(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s) {
  winograd::with_transforms(s, [&]<class H, class W>() { forward<T, H, W>(x, weight, bias, y, s); });
}

template <class T>
void conv2d_backward_winograd(const T* dy, const T* x, const T* weight, T* dx, T* dweight, T* dbias,
                              const ConvShape& s) {
  winograd::with_transforms(s, [&]<class H, class W>() { backward<T, H, W>(dy, x, weight, dx, dweight, dbias, s); });
}

template <class T>
void conv2d_backward_input_winograd(const T* dy, const T* weight, T* dx, const ConvShape& s) {
  conv2d_backward_winograd<T>(dy, nullptr, weight, dx, nullptr, nullptr, s);
}

template <class T>
void conv2d_backward_weight_winograd(const T* dy, const T* x, T* dweight, T* dbias, const ConvShape& s) {
  conv2d_backward_winograd<T>(dy, x, nullptr, nullptr, dweight, dbias, s);
}

#define VARSTAR_INSTANTIATE(T)                                                                            \
  template void conv2d_forward_winograd<T>(const T*, const T*, const T*, T*, const ConvShape&);           \
  template void conv2d_backward_winograd<T>(const T*, const T*, const T*, T*, T*, T*, const ConvShape&);  \
  template void conv2d_backward_input_winograd<T>(const T*, const T*, T*, const ConvShape&);              \
  template void conv2d_backward_weight_winograd<T>(const T*, const T*, T*, T*, const ConvShape&);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
