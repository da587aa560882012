// CUDA LSTM layer (kernels/lstm.h), three implementations (kernels/cuda/lstm_variants.h):
//   per step (default): one cuBLAS GEMM for the input projections of all
//     steps, then per step a recurrent GEMM and one fused pointwise kernel for
//     the gates, cell and hidden state; the backward pass mirrors it, and the
//     weight gradients are three large GEMMs at the end (cuDNN's and Haste's layout).
//   persistent: the same input projections, then one cooperative kernel runs
//     the whole recurrence. Block k owns hidden units [k U, (k + 1) U): it
//     keeps the 4U rows of W_hh for them in shared memory for all T steps
//     (forward) or the 4H x U columns (backward), each thread owns one
//     (sample, unit) pair and all four of its gates, so the cell update needs
//     no exchange; blocks meet at one grid barrier per step, where the new
//     hidden states (forward) or gate gradients (backward) become visible.
//     Shared-memory rows are padded by one float (no bank conflicts); values
//     other blocks wrote are read with __ldcg (L2, never a stale L1 line).
//   sample-local (kernels/cuda/lstm_sample_local.cu): the same input
//     projections, then one ordinary kernel in which block k owns SB samples
//     and ALL of W_hh (registers + shared memory) and runs their whole
//     recurrence with __syncthreads() only: samples are independent, so no
//     grid barrier (which costs microseconds per step) is needed. Hidden
//     sizes 64 and 128; the backward computes dgates the same way and leaves
//     the weight gradients to the three GEMMs, as the persistent one does.
// Selection: set_lstm_kernel() or VARSTAR_LSTM=per-step|persistent|sample-local
// (VARSTAR_LSTM_PERSISTENT=1 still means persistent); a variant that does not
// fit a shape queues nothing and the per-step kernels run instead.
// Bench: bench/dev/lstm.cu (bench_dev_lstm), with cuDNN's LSTM for comparison.
#include <cooperative_groups.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/lstm_variants.h"
#include "kernels/gemm.h"
#include "kernels/lstm.h"
#include "kernels/reduce.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;
constexpr unsigned kPersistentBlock = 256;

__global__ void bias_rows_kernel(float* __restrict__ gates, const float* __restrict__ b_ih,
                                 const float* __restrict__ b_hh, int64_t rows, int64_t g) {
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < rows * g; idx += int64_t{gridDim.x} * blockDim.x)
    gates[idx] = b_ih[idx % g] + b_hh[idx % g];
}

__global__ void cell_forward_kernel(float* __restrict__ gates, float* __restrict__ cell, float* __restrict__ y,
                                    LstmShape s, int64_t t) {
  const int64_t H = s.hidden, S = s.steps;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < s.batch * H; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = idx / H, j = idx % H, row = b * S + t;
    float* g = gates + row * 4 * H;
    const float c_prev = t > 0 ? cell[(row - 1) * H + j] : 0.f;
    lstm_cell_forward(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev, g[j], g[H + j], g[2 * H + j], g[3 * H + j],
                      cell[row * H + j], y[row * H + j]);
  }
}

__global__ void cell_backward_kernel(const float* __restrict__ dy, const float* __restrict__ gates,
                                     const float* __restrict__ cell, float* __restrict__ dgates,
                                     const float* __restrict__ dh_next, float* __restrict__ dc_next, LstmShape s,
                                     int64_t t) {
  const int64_t H = s.hidden, S = s.steps;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < s.batch * H; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = idx / H, j = idx % H, row = b * S + t;
    const float* g = gates + row * 4 * H;
    float* dg = dgates + row * 4 * H;
    const float c_prev = t > 0 ? cell[(row - 1) * H + j] : 0.f;
    float dc_prev;
    lstm_cell_backward(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev, cell[row * H + j], dy[row * H + j] + dh_next[idx],
                       dc_next[idx], dg[j], dg[H + j], dg[2 * H + j], dg[3 * H + j], dc_prev);
    dc_next[idx] = dc_prev;
  }
}

// h_prev[b, t] = y[b, t - 1], zero at t = 0.
__global__ void shift_hidden_kernel(const float* __restrict__ y, float* __restrict__ h_prev, LstmShape s) {
  const int64_t H = s.hidden, S = s.steps, total = s.batch * S * H;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < total; idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = (idx / H) % S;
    h_prev[idx] = t == 0 ? 0.f : y[idx - H];
  }
}

// ---- persistent kernels ------------------------------------------------------------

// gates (B, T, 4H): pre-activations from the input projection (with both
// biases) in, activated gates out; y, cell (B, T, H) out. Shared memory:
// w_sub (4U, H + 1) = rows g*H + j0 + u of W_hh, then h (B, H + 1).
__global__ void __launch_bounds__(kPersistentBlock)
    lstm_persistent_forward_kernel(float* __restrict__ gates, const float* __restrict__ w_hh, float* __restrict__ y,
                                   float* __restrict__ cell, LstmShape s, int units) {
  namespace cg = cooperative_groups;
  cg::grid_group grid = cg::this_grid();
  extern __shared__ float smem[];
  const int H = static_cast<int>(s.hidden), B = static_cast<int>(s.batch), T = static_cast<int>(s.steps);
  const int U = units, ld = H + 1;
  float* w_sub = smem;
  float* h = smem + 4 * U * ld;
  const int j0 = blockIdx.x * U;
  for (int idx = threadIdx.x; idx < 4 * U * H; idx += blockDim.x) {
    const int r = idx / H, k = idx % H, q = r / U, u = r % U;
    w_sub[r * ld + k] = w_hh[static_cast<int64_t>(q * H + j0 + u) * H + k];
  }
  for (int t = 0; t < T; ++t) {
    if (t > 0) {
      for (int idx = threadIdx.x; idx < B * H; idx += blockDim.x) {
        const int b = idx / H, k = idx % H;
        h[b * ld + k] = __ldcg(y + (static_cast<int64_t>(b) * T + t - 1) * H + k);
      }
    }
    __syncthreads();
    for (int p = threadIdx.x; p < B * U; p += blockDim.x) {
      const int b = p / U, u = p % U, j = j0 + u;
      const int64_t row = static_cast<int64_t>(b) * T + t;
      float* g = gates + row * 4 * H;
      float acc0 = g[j], acc1 = g[H + j], acc2 = g[2 * H + j], acc3 = g[3 * H + j];
      if (t > 0) {
        const float* hb = h + b * ld;
        const float* w0 = w_sub + (0 * U + u) * ld;
        const float* w1 = w_sub + (1 * U + u) * ld;
        const float* w2 = w_sub + (2 * U + u) * ld;
        const float* w3 = w_sub + (3 * U + u) * ld;
#pragma unroll 4
        for (int k = 0; k < H; ++k) {
          const float hv = hb[k];
          acc0 += hv * w0[k];
          acc1 += hv * w1[k];
          acc2 += hv * w2[k];
          acc3 += hv * w3[k];
        }
      }
      const float c_prev = t > 0 ? __ldcg(cell + (row - 1) * H + j) : 0.f;
      float gi, gf, gg, go, c, hv;
      lstm_cell_forward(acc0, acc1, acc2, acc3, c_prev, gi, gf, gg, go, c, hv);
      g[j] = gi;
      g[H + j] = gf;
      g[2 * H + j] = gg;
      g[3 * H + j] = go;
      cell[row * H + j] = c;
      y[row * H + j] = hv;
    }
    grid.sync();  // every block's h_t is written (and visible) before any block reads it
  }
}

// dgates (B, T, 4H) out: the pre-activation gradients of every step, from dy,
// the activated gates and the cells. Shared memory: w_col (U, 4H + 1) =
// W_hh[:, j0 + u] transposed, dg (B, 4H + 1) the gate gradients of step t,
// dh and dc (B, U) the gradients reaching this block's units from step t + 1.
__global__ void __launch_bounds__(kPersistentBlock)
    lstm_persistent_backward_kernel(const float* __restrict__ dy, const float* __restrict__ gates,
                                    const float* __restrict__ cell, const float* __restrict__ w_hh,
                                    float* __restrict__ dgates, LstmShape s, int units) {
  namespace cg = cooperative_groups;
  cg::grid_group grid = cg::this_grid();
  extern __shared__ float smem[];
  const int H = static_cast<int>(s.hidden), B = static_cast<int>(s.batch), T = static_cast<int>(s.steps);
  const int G = 4 * H, U = units, ldg = G + 1;
  float* w_col = smem;
  float* dg = w_col + U * ldg;
  float* dh = dg + B * ldg;
  float* dc = dh + B * U;
  const int j0 = blockIdx.x * U;
  for (int idx = threadIdx.x; idx < U * G; idx += blockDim.x) {
    const int u = idx / G, r = idx % G;
    w_col[u * ldg + r] = w_hh[static_cast<int64_t>(r) * H + j0 + u];
  }
  for (int p = threadIdx.x; p < B * U; p += blockDim.x) {
    dh[p] = 0.f;
    dc[p] = 0.f;
  }
  __syncthreads();
  for (int t = T - 1; t >= 0; --t) {
    for (int p = threadIdx.x; p < B * U; p += blockDim.x) {
      const int b = p / U, u = p % U, j = j0 + u;
      const int64_t row = static_cast<int64_t>(b) * T + t;
      const float* g = gates + row * G;
      float* d = dgates + row * G;
      const float c_prev = t > 0 ? cell[(row - 1) * H + j] : 0.f;
      float dpi, dpf, dpg, dpo, dc_prev;
      lstm_cell_backward(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c_prev, cell[row * H + j], dy[row * H + j] + dh[p],
                         dc[p], dpi, dpf, dpg, dpo, dc_prev);
      d[j] = dpi;
      d[H + j] = dpf;
      d[2 * H + j] = dpg;
      d[3 * H + j] = dpo;
      dc[p] = dc_prev;
    }
    grid.sync();  // all gate gradients of step t are written before any block reads them
    if (t == 0) break;
    for (int idx = threadIdx.x; idx < B * G; idx += blockDim.x) {
      const int b = idx / G, r = idx % G;
      dg[b * ldg + r] = __ldcg(dgates + (static_cast<int64_t>(b) * T + t) * G + r);
    }
    __syncthreads();
    for (int p = threadIdx.x; p < B * U; p += blockDim.x) {
      const int b = p / U, u = p % U;
      const float* db = dg + b * ldg;
      const float* w = w_col + u * ldg;
      float acc = 0.f;
#pragma unroll 4
      for (int r = 0; r < G; ++r) acc += db[r] * w[r];
      dh[p] = acc;  // dh_{t-1} for this block's units
    }
    __syncthreads();
  }
}

// The variant lstm_forward/lstm_backward use when none was chosen (set_lstm_kernel
// or VARSTAR_LSTM). sample_local: 6.5x (256 -> 64) and 3.8x (64 -> 128) faster
// than per_step in a graph for the thesis layers on an H200 (docs/PERFORMANCE.md);
// shapes it does not fit run per_step.
constexpr LstmKernel kDefaultLstmKernel = LstmKernel::sample_local;

std::atomic<int> g_lstm_kernel{-1};
std::atomic<int> g_persistent_units{0};
std::atomic<int64_t> g_persistent_launches{0};

struct Plan {
  bool ok = false;
  int units = 0, blocks = 0;
  size_t smem = 0;
};

// Chooses units per block and checks shared memory and co-residency.
template <class Kernel>
Plan plan_persistent(Kernel kernel, const LstmShape& s, bool backward) {
  Plan plan;
  if (s.batch < 1 || s.hidden < 1 || s.steps < 1 || s.batch * s.hidden > (int64_t{1} << 24)) return plan;
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  int sms = 0, smem_optin = 0;
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const int64_t H = s.hidden, B = s.batch;
  const int requested = g_persistent_units.load();
  for (int units : {requested, 8, 4, 16, 2, 1}) {
    if (units <= 0 || H % units != 0) continue;
    const int64_t blocks = H / units;
    const int64_t floats = backward ? units * (4 * H + 1) + B * (4 * H + 1) + 2 * B * units
                                    : 4 * units * (H + 1) + B * (H + 1);
    const size_t smem = static_cast<size_t>(floats) * sizeof(float);
    if (blocks > sms || smem > static_cast<size_t>(smem_optin)) continue;
    VARSTAR_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    int per_sm = 0;
    VARSTAR_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kPersistentBlock, smem));
    if (static_cast<int64_t>(per_sm) * sms < blocks) continue;
    plan.ok = true;
    plan.units = units;
    plan.blocks = static_cast<int>(blocks);
    plan.smem = smem;
    return plan;
  }
  return plan;
}

bool env_persistent() {
  const char* v = std::getenv("VARSTAR_LSTM_PERSISTENT");
  return v != nullptr && v[0] == '1';
}

LstmKernel env_lstm_kernel() {
  const char* v = std::getenv("VARSTAR_LSTM");
  if (v != nullptr && v[0] != '\0') {
    if (std::strcmp(v, "per-step") == 0) return LstmKernel::per_step;
    if (std::strcmp(v, "persistent") == 0) return LstmKernel::persistent;
    if (std::strcmp(v, "sample-local") == 0) return LstmKernel::sample_local;
    throw std::invalid_argument(std::string("VARSTAR_LSTM must be per-step, persistent or sample-local, not '") + v +
                                "'");
  }
  return env_persistent() ? LstmKernel::persistent : kDefaultLstmKernel;
}
}  // namespace

namespace detail {
// gates (B*S, 4H) = b_ih + b_hh + x W_ih^T.
void lstm_input_projection(const float* x, const float* w_ih, const float* b_ih, const float* b_hh, float* gates,
                           const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, I = s.input, G = 4 * s.hidden;
  if (B * S * G == 0) return;
  bias_rows_kernel<<<detail::grid_for(B * S * G, kBlock), kBlock, 0, stream>>>(gates, b_ih, b_hh, B * S, G);
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_bias_rows");
  gemm(false, true, B * S, G, I, 1.f, x, I, w_ih, I, 1.f, gates, G, stream);
}

// The weight and input gradients from dgates (B*S, 4H): the three large GEMMs.
void lstm_weight_gradients(const float* x, const float* w_ih, const float* y, float* dx, float* dw_ih, float* dw_hh,
                           float* db, const float* dgates, float* h_prev, const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  if (B * S * H > 0) {
    shift_hidden_kernel<<<detail::grid_for(B * S * H, kBlock), kBlock, 0, stream>>>(y, h_prev, s);
    VARSTAR_CUDA_CHECK_LAUNCH("lstm_shift_hidden");
  }
  gemm(true, false, G, I, B * S, 1.f, dgates, G, x, I, 0.f, dw_ih, I, stream);
  gemm(true, false, G, H, B * S, 1.f, dgates, G, h_prev, H, 0.f, dw_hh, H, stream);
  sum_dim(dgates, db, 1, B * S, G, stream);
  if (dx != nullptr) gemm(false, false, B * S, I, G, 1.f, dgates, G, w_ih, I, 0.f, dx, I, stream);
}

}  // namespace detail

void set_lstm_kernel(LstmKernel kernel) { g_lstm_kernel = static_cast<int>(kernel); }
LstmKernel lstm_kernel() {
  int v = g_lstm_kernel.load();
  if (v < 0) {
    v = static_cast<int>(env_lstm_kernel());
    g_lstm_kernel = v;
  }
  return static_cast<LstmKernel>(v);
}
void set_use_persistent_lstm(bool use) { set_lstm_kernel(use ? LstmKernel::persistent : LstmKernel::per_step); }
bool use_persistent_lstm() { return lstm_kernel() == LstmKernel::persistent; }
void set_persistent_lstm_units(int units) { g_persistent_units = units; }
int64_t persistent_lstm_launches() { return g_persistent_launches.load(); }

void lstm_forward_per_step(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
                           float* y, float* gates, float* cell, const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, H = s.hidden, G = 4 * H;
  detail::lstm_input_projection(x, w_ih, b_ih, b_hh, gates, s, stream);
  if (B * H == 0) return;
  for (int64_t t = 0; t < S; ++t) {
    if (t > 0) gemm(false, true, B, G, H, 1.f, y + (t - 1) * H, S * H, w_hh, H, 1.f, gates + t * G, S * G, stream);
    cell_forward_kernel<<<detail::grid_for(B * H, kBlock), kBlock, 0, stream>>>(gates, cell, y, s, t);
    VARSTAR_CUDA_CHECK_LAUNCH("lstm_cell_forward");
  }
}

void lstm_backward_per_step(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                            const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                            float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream) {
  const int64_t B = s.batch, S = s.steps, H = s.hidden, G = 4 * H;
  float* dh_next = state;
  float* dc_next = state + B * H;
  if (B * H > 0) {
    VARSTAR_CUDA_CHECK(cudaMemsetAsync(state, 0, sizeof(float) * 2 * B * H, stream));
    for (int64_t t = S - 1; t >= 0; --t) {
      cell_backward_kernel<<<detail::grid_for(B * H, kBlock), kBlock, 0, stream>>>(dy, gates, cell, dgates, dh_next,
                                                                                   dc_next, s, t);
      VARSTAR_CUDA_CHECK_LAUNCH("lstm_cell_backward");
      if (t > 0) gemm(false, false, B, H, G, 1.f, dgates + t * G, S * G, w_hh, H, 0.f, dh_next, H, stream);
    }
  }
  detail::lstm_weight_gradients(x, w_ih, y, dx, dw_ih, dw_hh, db, dgates, h_prev, s, stream);
}

bool lstm_forward_persistent(const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                             const float* b_hh, float* y, float* gates, float* cell, const LstmShape& s,
                             cuda_stream stream) {
  const Plan plan = plan_persistent(lstm_persistent_forward_kernel, s, false);
  if (!plan.ok) return false;
  detail::lstm_input_projection(x, w_ih, b_ih, b_hh, gates, s, stream);
  LstmShape shape = s;
  int units = plan.units;
  void* args[] = {&gates, const_cast<float**>(&w_hh), &y, &cell, &shape, &units};
  VARSTAR_CUDA_CHECK(cudaLaunchCooperativeKernel(lstm_persistent_forward_kernel,
                                                 dim3(plan.blocks), dim3(kPersistentBlock), args, plan.smem, stream));
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_persistent_forward");
  ++g_persistent_launches;
  return true;
}

bool lstm_backward_persistent(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                              const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                              float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream) {
  (void)state;
  const Plan plan = plan_persistent(lstm_persistent_backward_kernel, s, true);
  if (!plan.ok) return false;
  LstmShape shape = s;
  int units = plan.units;
  void* args[] = {const_cast<float**>(&dy), const_cast<float**>(&gates), const_cast<float**>(&cell),
                  const_cast<float**>(&w_hh), &dgates, &shape, &units};
  VARSTAR_CUDA_CHECK(cudaLaunchCooperativeKernel(lstm_persistent_backward_kernel,
                                                 dim3(plan.blocks), dim3(kPersistentBlock), args, plan.smem, stream));
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_persistent_backward");
  ++g_persistent_launches;
  detail::lstm_weight_gradients(x, w_ih, y, dx, dw_ih, dw_hh, db, dgates, h_prev, s, stream);
  return true;
}

void lstm_forward(const float* x, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, float* y,
                  float* gates, float* cell, const LstmShape& s, cuda_stream stream) {
  switch (lstm_kernel()) {
    case LstmKernel::persistent:
      if (lstm_forward_persistent(x, w_ih, w_hh, b_ih, b_hh, y, gates, cell, s, stream)) return;
      break;
    case LstmKernel::sample_local:
      if (lstm_forward_sample_local(x, w_ih, w_hh, b_ih, b_hh, y, gates, cell, s, stream)) return;
      break;
    case LstmKernel::per_step:
      break;
  }
  lstm_forward_per_step(x, w_ih, w_hh, b_ih, b_hh, y, gates, cell, s, stream);
}

void lstm_backward(const float* dy, const float* x, const float* w_ih, const float* w_hh, const float* y,
                   const float* gates, const float* cell, float* dx, float* dw_ih, float* dw_hh, float* db,
                   float* dgates, float* h_prev, float* state, const LstmShape& s, cuda_stream stream) {
  switch (lstm_kernel()) {
    case LstmKernel::persistent:
      if (lstm_backward_persistent(dy, x, w_ih, w_hh, y, gates, cell, dx, dw_ih, dw_hh, db, dgates, h_prev, state, s,
                                   stream))
        return;
      break;
    case LstmKernel::sample_local:
      if (lstm_backward_sample_local(dy, x, w_ih, w_hh, y, gates, cell, dx, dw_ih, dw_hh, db, dgates, h_prev, state, s,
                                     stream))
        return;
      break;
    case LstmKernel::per_step:
      break;
  }
  lstm_backward_per_step(dy, x, w_ih, w_hh, y, gates, cell, dx, dw_ih, dw_hh, db, dgates, h_prev, state, s, stream);
}

}  // namespace varstar::cuda
