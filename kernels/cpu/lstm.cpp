// CPU LSTM layer: input projections for all steps in one GEMM, then the
// recurrence. Batch rows are independent through time, so each thread runs
// the whole time loop for its slice of the batch with single-threaded GEMMs:
// no synchronisation per time step. The weight gradients are large GEMMs over
// all rows and steps at the end. The cells of a row run as one vectorised
// loop; float uses kernels/cpu/vector_math.h's sigmoid and tanh for that.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vector_math.h"
#include "kernels/gemm.h"
#include "kernels/lstm.h"

namespace varstar::cpu {

namespace {
// Rows per thread chunk: small batches stay on one thread.
constexpr int64_t kRowsPerChunk = 4;

// One row's H cells, forward: g (4H pre-activations, activated in place), c_prev -> c, h.
template <class T>
void cells_forward(T* __restrict g, const T* __restrict c_prev, T* __restrict c, T* __restrict h, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j)
    lstm_cell_forward<FastActivations>(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev[j], g[j], g[H + j],
                                       g[2 * H + j], g[3 * H + j], c[j], h[j]);
}

// One row's H cells, backward: dh (the gradient reaching h) and dc (reaching c,
// replaced by the gradient reaching c_prev) -> dg (4H pre-activation gradients).
template <class T>
void cells_backward(const T* __restrict g, const T* __restrict c_prev, const T* __restrict c, const T* __restrict dy,
                    const T* __restrict dh, T* __restrict dc, T* __restrict dg, int64_t H) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    T dc_prev;
    lstm_cell_backward<FastActivations>(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev[j], c[j], dy[j] + dh[j],
                                        dc[j], dg[j], dg[H + j], dg[2 * H + j], dg[3 * H + j], dc_prev);
    dc[j] = dc_prev;
  }
}
}  // namespace

template <class T>
void lstm_forward(const T* x, const T* w_ih, const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* gates, T* cell,
                  const LstmShape& s) {
  const int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  // gates (B*S, 4H) = b_ih + b_hh + x (B*S, I) @ w_ih^T
  for (int64_t r = 0; r < B * S; ++r)
    for (int64_t k = 0; k < G; ++k) gates[r * G + k] = b_ih[k] + b_hh[k];
  gemm<T>(false, true, B * S, G, I, T(1), x, I, w_ih, I, T(1), gates, G);
  const std::vector<T> zeros(H, T(0));  // the cell state before the first step
  parallel_for(B, kRowsPerChunk, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    for (int64_t t = 0; t < S; ++t) {
      T* gt = gates + (b0 * S + t) * G;  // row b at gt + (b - b0) * S * G
      if (t > 0) gemm<T>(false, true, rows, G, H, T(1), y + (b0 * S + t - 1) * H, S * H, w_hh, H, T(1), gt, S * G);
      for (int64_t b = b0; b < b1; ++b) {
        T* c = cell + (b * S + t) * H;
        cells_forward(gates + (b * S + t) * G, t > 0 ? c - H : zeros.data(), c, y + (b * S + t) * H, H);
      }
    }
  });
}

template <class T>
void lstm_backward(const T* dy, const T* x, const T* w_ih, const T* w_hh, const T* y, const T* gates, const T* cell,
                   T* dx, T* dw_ih, T* dw_hh, T* db, T* dgates, T* h_prev, T* state, const LstmShape& s) {
  const int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  T* dh_next = state;          // (B, H)
  T* dc_next = state + B * H;  // (B, H)
  std::fill(state, state + 2 * B * H, T(0));
  const std::vector<T> zeros(H, T(0));  // the cell state before the first step
  parallel_for(B, kRowsPerChunk, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    for (int64_t t = S - 1; t >= 0; --t) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = b * S + t;
        const T* c = cell + row * H;
        cells_backward(gates + row * G, t > 0 ? c - H : zeros.data(), c, dy + row * H, dh_next + b * H,
                       dc_next + b * H, dgates + row * G, H);
      }
      // dh_next (rows, H) = dgates[b0:b1, t] (rows, 4H) @ w_hh (4H, H)
      if (t > 0)
        gemm<T>(false, false, rows, H, G, T(1), dgates + (b0 * S + t) * G, S * G, w_hh, H, T(0), dh_next + b0 * H, H);
    }
  });
  // h_prev[:, t] = y[:, t - 1], zero at t = 0.
  for (int64_t b = 0; b < B; ++b) {
    std::fill(h_prev + b * S * H, h_prev + b * S * H + H, T(0));
    std::memcpy(h_prev + b * S * H + H, y + b * S * H, sizeof(T) * (S - 1) * H);
  }
  gemm<T>(true, false, G, I, B * S, T(1), dgates, G, x, I, T(0), dw_ih, I);
  gemm<T>(true, false, G, H, B * S, T(1), dgates, G, h_prev, H, T(0), dw_hh, H);
  std::fill(db, db + G, T(0));
  for (int64_t r = 0; r < B * S; ++r)
    for (int64_t k = 0; k < G; ++k) db[k] += dgates[r * G + k];
  if (dx != nullptr) gemm<T>(false, false, B * S, I, G, T(1), dgates, G, w_ih, I, T(0), dx, I);
}

#define VARSTAR_INSTANTIATE(T)                                                                                \
  template void lstm_forward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, const LstmShape&); \
  template void lstm_backward<T>(const T*, const T*, const T*, const T*, const T*, const T*, const T*, T*, T*, T*, \
                                 T*, T*, T*, T*, const LstmShape&);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
