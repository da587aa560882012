// The sample-local persistent LSTM recurrence (kernels/cuda/lstm_variants.h):
// the recurrences of different samples are independent, so block k takes SB
// samples [k SB, (k + 1) SB) and ALL of W_hh (4H, H), and runs every time step
// of them with only __syncthreads(): no grid barrier, no cooperative launch.
// Grid ceil(B / SB) blocks of 4H threads; H is a template parameter (64, 128).
//
// Forward: thread r owns gate row r of W_hh: its first R weights in registers
// (a fully unrolled local array, compile-time indices only), the other H - R
// in shared memory laid out [k - R][r] (thread r at step k reads
// w_s[(k - R) 4H + r]: consecutive words, no bank conflict). Per step: h_{t-1}
// of the SB samples sits in shared memory (read as broadcast float4s); thread r
// adds dot(W_hh[r, :], h_b) to the input pre-activation gates[b, t, r]
// (prefetched a step ahead), writes it to shared memory; after a barrier,
// thread (b, j) = (tid / H, tid % H) runs lstm_cell_forward for unit j of
// sample b (c_{t-1} kept in its register), writes gates/cell/y in the layout
// of the per-step kernels and h_t to shared memory; barrier.
// Backward: only the pre-activation gradients dgates (B, T, 4H); the weight
// and input gradients are the three large GEMMs of weight_gradients. Thread
// (q, k) = (tid / H, tid % H) owns column k of gate block q: W_hh[q H + i, k]
// for i < H (registers for i < R, shared memory [i - R][tid] beyond), and
// forms the partial dh_{t}[b, k] over its block; thread (b, j) sums the four
// partials, adds dy, runs lstm_cell_backward (dc carried in its register) as
// cell_backward_kernel does, writes dgates and keeps them in shared memory for
// the next reduction. Two barriers per step in both directions.
//
// Register / shared-memory budget (R = 64 weights in registers for both H):
//   H = 64:  256 threads, all 64 weights in registers (no weight smem; the
//            FMAs then read one broadcast h float4 per 4 weights, nothing else),
//            smem (SB (H + 4H)) floats forward, 2 SB 4H backward: <= 8 KiB.
//   H = 128: 512 threads; 65536 registers / 512 = 128 per thread at most
//            (__launch_bounds__(512, 1) caps ptxas there): 64 weights + about
//            40 others; smem 64 x 512 x 4 B = 128 KiB of weights + 2.5-16 KiB.
//            Needs the opt-in shared memory of sm_80/sm_90 (163/227 KiB);
//            RTX cards (sm_86/89/120: 99 KiB per block) do not fit H = 128,
//            and the caller falls back to the per-step kernels.
//   ptxas -v (CUDA 13.0, registers per thread, no spills unless said):
//     H = 64:  forward 140/146/160 (SB 1/2/4), backward 148/150/150 on sm_90
//              (135-168 on sm_86/89/120): 256 x 168 = 43008 of 65536, 1 block/SM.
//     H = 128: 128 (the cap) everywhere; backward SB = 4 spills 28 bytes on
//              sm_90 (20 on sm_86/89), a few L1-resident loads per step.
// SB (samples per block) in {1, 2, 4}: the smallest whose grid fits one wave
// of co-resident blocks (B = 32: SB = 1, 32 blocks); A = 4 / SB accumulators
// per sample keep four independent FMA chains per thread.
// Bench: bench/dev/lstm.cu ("sample-local S1/S2/S4/auto" and "/graph").
#include <algorithm>
#include <atomic>
#include <climits>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/lstm_variants.h"
#include "kernels/lstm.h"

namespace varstar::cuda {

namespace {

// Weights per thread kept in registers (the rest in shared memory): all of
// them for H = 64; for H = 128 half, which with ~40 other live values meets
// the 128-register cap of 512 threads (see the ptxas figures above).
constexpr int kRegisterWeights = 64;

std::atomic<int> g_local_samples{0};
std::atomic<int64_t> g_local_launches{0};

// pre-activation of one gate row for SB samples: acc[b] += sum_k w(k) * v_b[k],
// with w(k) in registers for k < R and in w_s[(k - R) * G + col] beyond.
// v: (SB, ld) in shared memory (broadcast reads), 16-byte aligned rows.
template <int H, int SB, int R, int G>
__device__ __forceinline__ void dot_rows(const float (&w)[R], const float* __restrict__ w_s, int col,
                                         const float* __restrict__ v, int ld, float (&out)[SB]) {
  constexpr int A = 4 / SB;  // accumulators per sample: 4 independent FMA chains per thread
  float acc[SB][A];
#pragma unroll
  for (int b = 0; b < SB; ++b)
#pragma unroll
    for (int a = 0; a < A; ++a) acc[b][a] = 0.f;
#pragma unroll
  for (int k = 0; k < R; k += 4) {
#pragma unroll
    for (int b = 0; b < SB; ++b) {
      const float4 h4 = *reinterpret_cast<const float4*>(v + b * ld + k);
      acc[b][0 % A] = fmaf(w[k + 0], h4.x, acc[b][0 % A]);
      acc[b][1 % A] = fmaf(w[k + 1], h4.y, acc[b][1 % A]);
      acc[b][2 % A] = fmaf(w[k + 2], h4.z, acc[b][2 % A]);
      acc[b][3 % A] = fmaf(w[k + 3], h4.w, acc[b][3 % A]);
    }
  }
#pragma unroll 4
  for (int k = R; k < H; k += 4) {
    const float w0 = w_s[(k - R + 0) * G + col], w1 = w_s[(k - R + 1) * G + col];
    const float w2 = w_s[(k - R + 2) * G + col], w3 = w_s[(k - R + 3) * G + col];
#pragma unroll
    for (int b = 0; b < SB; ++b) {
      const float4 h4 = *reinterpret_cast<const float4*>(v + b * ld + k);
      acc[b][0 % A] = fmaf(w0, h4.x, acc[b][0 % A]);
      acc[b][1 % A] = fmaf(w1, h4.y, acc[b][1 % A]);
      acc[b][2 % A] = fmaf(w2, h4.z, acc[b][2 % A]);
      acc[b][3 % A] = fmaf(w3, h4.w, acc[b][3 % A]);
    }
  }
#pragma unroll
  for (int b = 0; b < SB; ++b) {
    float sum = acc[b][0];
#pragma unroll
    for (int a = 1; a < A; ++a) sum += acc[b][a];
    out[b] = sum;
  }
}

// gates (B, T, 4H): input pre-activations (both biases included) in, activated
// gates out; y, cell (B, T, H) out. Shared memory (floats): w_s (H - R, 4H),
// h_s (SB, H) = h_{t-1}, pre_s (SB, 4H) = the pre-activations of step t.
template <int H, int SB, int R>
__global__ void __launch_bounds__(4 * H, 1)
    lstm_local_forward_kernel(float* __restrict__ gates, const float* __restrict__ w_hh, float* __restrict__ y,
                              float* __restrict__ cell, int B, int T) {
  constexpr int G = 4 * H;
  static_assert(H % 32 == 0 && R % 4 == 0 && R <= H && (H - R) % 4 == 0, "layout");
  static_assert(SB == 1 || SB == 2 || SB == 4, "samples per block");
  extern __shared__ float4 smem4[];
  float* w_s = reinterpret_cast<float*>(smem4);
  float* h_s = w_s + (H - R) * G;
  float* pre_s = h_s + SB * H;
  const int r = threadIdx.x;
  const int b0 = blockIdx.x * SB;
  const int nb = min(SB, B - b0);  // samples of this block (>= 1)
  float w[R];
#pragma unroll
  for (int k = 0; k < R; ++k) w[k] = __ldg(w_hh + static_cast<int64_t>(r) * H + k);
  for (int k = R; k < H; ++k) w_s[(k - R) * G + r] = __ldg(w_hh + static_cast<int64_t>(r) * H + k);
  for (int i = r; i < SB * H; i += G) h_s[i] = 0.f;  // h_{-1} = 0; rows of absent samples stay 0
  // Cell thread (cb, j) = (r / H, r % H) for r < SB H; its c_{t-1} (c_{-1} = 0).
  const int cb = r / H, j = r % H;
  const bool cell_thread = cb < nb;  // r < nb H
  float c_state = 0.f;
  // This thread's input pre-activation gates[b0 + b, t, r], loaded one step ahead.
  float gin[SB];
#pragma unroll
  for (int b = 0; b < SB; ++b) gin[b] = b < nb ? gates[static_cast<int64_t>(b0 + b) * T * G + r] : 0.f;
  __syncthreads();
  for (int t = 0; t < T; ++t) {
    float pre[SB];
#pragma unroll
    for (int b = 0; b < SB; ++b) pre[b] = gin[b];
    if (t + 1 < T) {
      // Row t + 1 is written only by step t + 1's cell phase, two barriers after this load.
#pragma unroll
      for (int b = 0; b < SB; ++b)
        if (b < nb) gin[b] = gates[(static_cast<int64_t>(b0 + b) * T + t + 1) * G + r];
    }
    if (t > 0) {
      float dot[SB];
      dot_rows<H, SB, R, G>(w, w_s, r, h_s, H, dot);
#pragma unroll
      for (int b = 0; b < SB; ++b) pre[b] += dot[b];
    }
#pragma unroll
    for (int b = 0; b < SB; ++b) pre_s[b * G + r] = pre[b];
    __syncthreads();  // pre_s complete; every read of h_s (h_{t-1}) done
    if (cell_thread) {
      const float* p = pre_s + cb * G;
      const int64_t row = static_cast<int64_t>(b0 + cb) * T + t;
      float gi, gf, gg, go, c, hv;
      lstm_cell_forward(p[j], p[H + j], p[2 * H + j], p[3 * H + j], c_state, gi, gf, gg, go, c, hv);
      float* g = gates + row * G;
      g[j] = gi;
      g[H + j] = gf;
      g[2 * H + j] = gg;
      g[3 * H + j] = go;
      cell[row * H + j] = c;
      y[row * H + j] = hv;
      h_s[cb * H + j] = hv;
      c_state = c;
    }
    __syncthreads();  // h_t complete; every read of pre_s done
  }
}

// The per-step inputs of one cell thread's backward step.
struct CellInputs {
  float gi = 0.f, gf = 0.f, gg = 0.f, go = 0.f, c_prev = 0.f, c = 0.f, dy = 0.f;
};

template <int H>
__device__ __forceinline__ CellInputs load_cell_inputs(const float* __restrict__ dy, const float* __restrict__ gates,
                                                       const float* __restrict__ cell, int64_t b, int T, int t, int j) {
  constexpr int G = 4 * H;
  const int64_t row = b * T + t;
  const float* g = gates + row * G;
  CellInputs in;
  in.gi = __ldg(g + j);
  in.gf = __ldg(g + H + j);
  in.gg = __ldg(g + 2 * H + j);
  in.go = __ldg(g + 3 * H + j);
  in.c = __ldg(cell + row * H + j);
  in.c_prev = t > 0 ? __ldg(cell + (row - 1) * H + j) : 0.f;
  in.dy = __ldg(dy + row * H + j);
  return in;
}

// dgates (B, T, 4H) out: the pre-activation gradients of every step, from dy
// (B, T, H), the activated gates (B, T, 4H) and the cells (B, T, H). Shared
// memory (floats): w_s (H - R, 4H), dg_s (SB, 4H) = dgates of step t,
// part_s (SB, 4H): part_s[b, q H + k] = sum_i W_hh[q H + i, k] dg_s[b, q H + i].
template <int H, int SB, int R>
__global__ void __launch_bounds__(4 * H, 1)
    lstm_local_backward_kernel(const float* __restrict__ dy, const float* __restrict__ gates,
                               const float* __restrict__ cell, const float* __restrict__ w_hh,
                               float* __restrict__ dgates, int B, int T) {
  constexpr int G = 4 * H;
  static_assert(H % 32 == 0 && R % 4 == 0 && R <= H && (H - R) % 4 == 0, "layout");
  static_assert(SB == 1 || SB == 2 || SB == 4, "samples per block");
  extern __shared__ float4 smem4[];
  float* w_s = reinterpret_cast<float*>(smem4);
  float* dg_s = w_s + (H - R) * G;
  float* part_s = dg_s + SB * G;
  const int tid = threadIdx.x;
  const int q = tid / H, k = tid % H;  // reduction role: column k of gate block q
  const int b0 = blockIdx.x * SB;
  const int nb = min(SB, B - b0);
  float w[R];
#pragma unroll
  for (int i = 0; i < R; ++i) w[i] = __ldg(w_hh + static_cast<int64_t>(q * H + i) * H + k);
  for (int i = R; i < H; ++i) w_s[(i - R) * G + tid] = __ldg(w_hh + static_cast<int64_t>(q * H + i) * H + k);
  // Zero: dh_{T-1} = 0 (part_s), and absent samples' rows stay 0 throughout.
  for (int i = tid; i < 2 * SB * G; i += G) dg_s[i] = 0.f;
  // Cell role: (cb, j) = (tid / H, tid % H) for tid < nb H; dc carried in a register.
  const int cb = tid / H, j = tid % H;
  const bool cell_thread = cb < nb;
  const int64_t sample = b0 + cb;
  float dc = 0.f;
  CellInputs in;
  if (cell_thread) in = load_cell_inputs<H>(dy, gates, cell, sample, T, T - 1, j);
  __syncthreads();
  for (int t = T - 1; t >= 0; --t) {
    if (cell_thread) {
      const float* p = part_s + cb * G;
      const float dh_next = ((p[j] + p[H + j]) + p[2 * H + j]) + p[3 * H + j];  // 0 at t = T - 1
      float dpi, dpf, dpg, dpo, dc_prev;
      lstm_cell_backward(in.gi, in.gf, in.gg, in.go, in.c_prev, in.c, in.dy + dh_next, dc, dpi, dpf, dpg, dpo,
                         dc_prev);
      dc = dc_prev;
      float* d = dgates + (sample * T + t) * G;
      d[j] = dpi;
      d[H + j] = dpf;
      d[2 * H + j] = dpg;
      d[3 * H + j] = dpo;
      float* ds = dg_s + cb * G;
      ds[j] = dpi;
      ds[H + j] = dpf;
      ds[2 * H + j] = dpg;
      ds[3 * H + j] = dpo;
      if (t > 0) in = load_cell_inputs<H>(dy, gates, cell, sample, T, t - 1, j);  // prefetch step t - 1
    }
    __syncthreads();  // dg_s of step t complete; every read of part_s done
    if (t == 0) break;
    // dh_{t-1}[b, k] = sum over gate rows r of dgates[b, t, r] W_hh[r, k]; this thread's block q of it.
    // dg_s + q H: a warp lies in one gate block (H a multiple of 32), so its reads are broadcasts.
    float part[SB];
    dot_rows<H, SB, R, G>(w, w_s, tid, dg_s + q * H, G, part);
#pragma unroll
    for (int b = 0; b < SB; ++b) part_s[b * G + tid] = part[b];
    __syncthreads();  // part_s complete; every read of dg_s done
  }
}

// Shared memory of one block in bytes.
size_t local_smem_bytes(int H, int sb, bool backward) {
  const size_t G = 4 * static_cast<size_t>(H);
  const size_t weights = static_cast<size_t>(H - std::min(H, kRegisterWeights)) * G;
  const size_t rest = backward ? 2 * sb * G : sb * (static_cast<size_t>(H) + G);
  return (weights + rest) * sizeof(float);
}

// The launches pass these typed pointers (cudaLaunchKernel's template form), so
// the parameter types travel with them (tests/emu's emulator needs them).
using LocalForwardKernel = void (*)(float*, const float*, float*, float*, int, int);
using LocalBackwardKernel = void (*)(const float*, const float*, const float*, const float*, float*, int, int);

// One of the two directions' kernels (the other null).
struct LocalKernel {
  LocalForwardKernel forward = nullptr;
  LocalBackwardKernel backward = nullptr;
  const void* address() const {
    return forward != nullptr ? reinterpret_cast<const void*>(forward) : reinterpret_cast<const void*>(backward);
  }
};

// The kernel of hidden size H, SB samples per block (null: not instantiated).
LocalKernel local_kernel(int H, int sb, bool backward) {
#define VARSTAR_LOCAL_KERNEL(HH, SS)                                                                     \
  if (H == HH && sb == SS) {                                                                           \
    constexpr int R = std::min(HH, kRegisterWeights);                                                  \
    return backward ? LocalKernel{nullptr, lstm_local_backward_kernel<HH, SS, R>}                      \
                    : LocalKernel{lstm_local_forward_kernel<HH, SS, R>, nullptr};                      \
  }
  VARSTAR_LOCAL_KERNEL(64, 1)
  VARSTAR_LOCAL_KERNEL(64, 2)
  VARSTAR_LOCAL_KERNEL(64, 4)
  VARSTAR_LOCAL_KERNEL(128, 1)
  VARSTAR_LOCAL_KERNEL(128, 2)
  VARSTAR_LOCAL_KERNEL(128, 4)
#undef VARSTAR_LOCAL_KERNEL
  return {};
}

struct LocalPlan {
  bool ok = false;
  LocalKernel kernel;
  int samples = 0;  // SB
  unsigned blocks = 0, threads = 0;
  size_t smem = 0;
};

// Chooses SB (set_sample_local_lstm_samples, else the smallest of 1, 2, 4
// whose grid is one wave of co-resident blocks, else the largest that fits)
// and checks shared memory, registers and residency. Queues no work.
LocalPlan plan_local(const LstmShape& s, bool backward) {
  LocalPlan plan;
  if (s.batch < 1 || s.steps < 1 || s.batch > INT_MAX / 4 || s.steps > INT_MAX) return plan;
  if (s.hidden != 64 && s.hidden != 128) return plan;
  const int H = static_cast<int>(s.hidden);
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  int sms = 0, smem_optin = 0;
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  VARSTAR_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  const int requested = g_local_samples.load();
  const int candidates_auto[] = {1, 2, 4};
  const int candidates_forced[] = {requested};
  const int* begin = requested > 0 ? candidates_forced : candidates_auto;
  const int* end = requested > 0 ? candidates_forced + 1 : candidates_auto + 3;
  const unsigned threads = 4 * static_cast<unsigned>(H);
  for (const int* sb = begin; sb != end; ++sb) {
    const LocalKernel local = local_kernel(H, *sb, backward);
    const void* kernel = local.address();
    if (kernel == nullptr) continue;
    const size_t smem = local_smem_bytes(H, *sb, backward);
    if (smem > static_cast<size_t>(smem_optin)) continue;
    VARSTAR_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    cudaFuncAttributes attr{};
    VARSTAR_CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
    if (attr.maxThreadsPerBlock < static_cast<int>(threads)) continue;
    int per_sm = 0;
    VARSTAR_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(threads), smem));
    if (per_sm < 1) continue;
    const int64_t blocks = (s.batch + *sb - 1) / *sb;
    plan.ok = true;
    plan.kernel = local;
    plan.samples = *sb;
    plan.blocks = static_cast<unsigned>(blocks);
    plan.threads = threads;
    plan.smem = smem;
    if (blocks <= static_cast<int64_t>(per_sm) * sms) break;  // one wave: stop at the smallest such SB
  }
  return plan;
}
}  // namespace

void set_sample_local_lstm_samples(int samples) { g_local_samples = samples; }
int64_t sample_local_lstm_launches() { return g_local_launches.load(); }

bool lstm_forward_sample_local(const float* x, const float* w_ih, const float* w_hh, const float* b_ih,
                               const float* b_hh, float* y, float* gates, float* cell, const LstmShape& s,
                               cuda_stream stream) {
  const LocalPlan plan = plan_local(s, false);
  if (!plan.ok) return false;
  detail::lstm_input_projection(x, w_ih, b_ih, b_hh, gates, s, stream);
  int B = static_cast<int>(s.batch), T = static_cast<int>(s.steps);
  void* args[] = {&gates, const_cast<float**>(&w_hh), &y, &cell, &B, &T};
  VARSTAR_CUDA_CHECK(cudaLaunchKernel(plan.kernel.forward, dim3(plan.blocks), dim3(plan.threads), args, plan.smem, stream));
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_local_forward");
  ++g_local_launches;
  return true;
}

bool lstm_backward_sample_local(const float* dy, const float* x, const float* w_ih, const float* w_hh,
                                const float* y, const float* gates, const float* cell, float* dx, float* dw_ih,
                                float* dw_hh, float* db, float* dgates, float* h_prev, float* state,
                                const LstmShape& s, cuda_stream stream) {
  (void)state;
  const LocalPlan plan = plan_local(s, true);
  if (!plan.ok) return false;
  int B = static_cast<int>(s.batch), T = static_cast<int>(s.steps);
  void* args[] = {const_cast<float**>(&dy), const_cast<float**>(&gates), const_cast<float**>(&cell),
                  const_cast<float**>(&w_hh), &dgates, &B, &T};
  VARSTAR_CUDA_CHECK(cudaLaunchKernel(plan.kernel.backward, dim3(plan.blocks), dim3(plan.threads), args, plan.smem, stream));
  VARSTAR_CUDA_CHECK_LAUNCH("lstm_local_backward");
  ++g_local_launches;
  detail::lstm_weight_gradients(x, w_ih, y, dx, dw_ih, dw_hh, db, dgates, h_prev, s, stream);
  return true;
}

}  // namespace varstar::cuda
