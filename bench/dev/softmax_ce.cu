// bench_dev_softmax_ce: variants of the fused log-softmax + cross-entropy
// (kernels/softmax.h) that ends every training step.
//   forward   logits (N, C), targets (N), weights (C) -> probs (N, C) = softmax,
//             loss_sum = sum_i w[t_i] (lse_i - logit_i[t_i]), weight_sum = sum_i w[t_i]
//   backward  dlogits (N, C) = (probs - onehot) * w[t_i] * dloss / weight_sum
//   1 naive       forward: one thread per row (row_logsumexp of kernels/softmax_math.h),
//                 per-row loss and weight to scratch, then one thread sums them
//                 (in double); backward: one thread per element, 64-bit i / C
//   2 production  varstar::cuda::cross_entropy_forward / _backward (kernels/cuda/softmax.cu:
//                 4's forward for C <= 1024, 3's above; N <= 32 one block of 32 warps
//                 that writes the sums, more rows blocks of 8 warps whose sums a
//                 second one-block launch adds (no last-block counter); 3's backward)
//   3 warp        a warp per row: online max and sum of exp (one read of the row),
//                 shuffles across lanes, then probs; per-block loss partials and
//                 the last block to finish sums them in a fixed order (one launch,
//                 deterministic). Backward: a warp per row, no division
//   4 warp-reg    forward: the row held in registers (C <= 1024: one read, one
//                 write, the CPU's two-pass max/sum math); backward: a warp per
//                 row with float4 loads and stores (C % 4 == 0 only)
//   5 previous    production before 4 and 3 were promoted: the forward is ONE block,
//                 a thread per row, a shared-memory tree for the loss; the backward a
//                 thread per element
// Every variant is compared with the CPU (cpu::cross_entropy_forward/_backward
// in double on the same float inputs), weighted and unweighted, with named
// tolerances; only then the weighted case is timed (CUDA events, median).
// GB/s count the bytes each op must move: forward reads logits and targets and
// writes probs, backward reads probs and targets and writes dlogits (2 x 4 N C + 4 N).
// "x prod" is the production kernel's time over the variant's. Shapes: the
// networks' (32 x 5, 32 x 10: launch-bound), an odd 4099 x 37 and 65536 x 1000
// (16384 x 1000 with --quick).
// Then log_softmax (y = x - logsumexp(row), dx = dy - exp(y) rowsum(dy)):
//   previous      a thread per row, forward and backward (production before a
//                 warp per row was promoted, without a GPU at the time)
//   production    varstar::cuda::log_softmax_forward / _backward (a warp per row,
//                 the row in registers for C <= 1024 as the cross-entropy forward)
// checked against cpu::log_softmax_forward/_backward in double; GB/s count x read
// and y written (8 N C), backward y and dy read and dx written (12 N C).
// Usage: bench_dev_softmax_ce [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/philox_math.h"
#include "kernels/softmax.h"
#include "kernels/softmax_math.h"

namespace {

// probs: float32 exp(logit - lse), lse from a float sum of up to 1,000 terms
// in some order: a float model of variants 1-4 on the CPU (glibc expf) stays
// under 3e-6 on these shapes; CUDA's expf adds up to 2 ulp.
constexpr double kProbRelTol = 2e-5;
// loss_sum and weight_sum: float sums of up to 65,536 terms (tree or partials;
// the CPU model of 2's order: 7e-8).
constexpr double kSumRelTol = 1e-5;
// dlogits: four float roundings (dloss / weight_sum, * w, p - onehot, *).
constexpr double kGradRelTol = 2e-6;

constexpr unsigned kBlock = 256;
constexpr unsigned kWarpsPerBlock = kBlock / 32;
constexpr unsigned kMaxBlocks = 2048;  // warp variants: loss partials per block
constexpr unsigned kFull = 0xffffffffu;

using varstar::vs_exp;
using varstar::vs_log;

__device__ __forceinline__ float nan_value() { return __int_as_float(0x7fc00000); }

// ---- 1: naive ----
// Row i's probs; row_loss[i] = w (lse - logit[t]) (NaN for a bad target), row_weight[i] = w.
__global__ void naive_forward_rows_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                                          const float* __restrict__ weights, float* __restrict__ probs,
                                          float* __restrict__ row_loss, float* __restrict__ row_weight, int64_t n,
                                          int64_t c) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= n) return;
  const float* row = logits + i * c;
  const float lse = varstar::row_logsumexp(row, c);
  for (int64_t k = 0; k < c; ++k) probs[i * c + k] = vs_exp(row[k] - lse);
  const int32_t t = targets[i];
  if (t < 0 || t >= c) {
    row_loss[i] = nan_value();
    row_weight[i] = 0.f;
    return;
  }
  const float w = weights != nullptr ? weights[t] : 1.f;
  row_loss[i] = w * (lse - row[t]);
  row_weight[i] = w;
}

// One thread adds the rows in order (double accumulators: the plain port of the CPU loop).
__global__ void naive_sum_kernel(const float* __restrict__ row_loss, const float* __restrict__ row_weight,
                                 float* __restrict__ loss_sum, float* __restrict__ weight_sum, int64_t n) {
  double loss = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    loss += row_loss[i];
    total += row_weight[i];
  }
  *loss_sum = static_cast<float>(loss);
  *weight_sum = static_cast<float>(total);
}

__global__ void naive_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                                      const float* __restrict__ weights, const float* __restrict__ dloss,
                                      const float* __restrict__ weight_sum, float* __restrict__ dlogits, int64_t n,
                                      int64_t c) {
  const int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (idx >= n * c) return;
  const int64_t i = idx / c, k = idx % c;
  const int32_t t = targets[i];
  if (t < 0 || t >= c) {
    dlogits[idx] = nan_value();
    return;
  }
  const float w = (weights != nullptr ? weights[t] : 1.f) * (*dloss / *weight_sum);
  dlogits[idx] = w * (probs[idx] - (k == t ? 1.f : 0.f));
}

// ---- 5: previous production ----
// One block: each thread handles rows i = tid, tid + blockDim, ...; partial
// sums reduce in shared memory in a fixed order.
__global__ void previous_forward_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                                        const float* __restrict__ weights, float* __restrict__ probs,
                                        float* __restrict__ loss_sum, float* __restrict__ weight_sum, int64_t n,
                                        int64_t c) {
  __shared__ float loss_part[kBlock], weight_part[kBlock];
  float loss = 0.f, total = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float* row = logits + i * c;
    const float lse = varstar::row_logsumexp(row, c);
    for (int64_t k = 0; k < c; ++k) probs[i * c + k] = vs_exp(row[k] - lse);
    const int32_t t = targets[i];
    if (t < 0 || t >= c) {
      loss += nan_value();
      continue;
    }
    const float w = weights != nullptr ? weights[t] : 1.f;
    loss += w * (lse - row[t]);
    total += w;
  }
  loss_part[threadIdx.x] = loss;
  weight_part[threadIdx.x] = total;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      loss_part[threadIdx.x] += loss_part[threadIdx.x + stride];
      weight_part[threadIdx.x] += weight_part[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *loss_sum = loss_part[0];
    *weight_sum = weight_part[0];
  }
}

// A grid-stride thread per element, 64-bit i / C.
__global__ void previous_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                                         const float* __restrict__ weights, const float* __restrict__ dloss,
                                         const float* __restrict__ weight_sum, float* __restrict__ dlogits,
                                         int64_t n, int64_t c) {
  const float scale = *dloss / *weight_sum;
  for (int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; idx < n * c;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = idx / c, k = idx % c;
    const int32_t t = targets[i];
    if (t < 0 || t >= c) {
      dlogits[idx] = nan_value();
      continue;
    }
    const float w = (weights != nullptr ? weights[t] : 1.f) * scale;
    dlogits[idx] = w * (probs[idx] - (k == t ? 1.f : 0.f));
  }
}

// ---- shared by 3 and 4 ----
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

// Row i's loss term and weight, added to the warp's running sums (lane 0's copy counts).
__device__ __forceinline__ void add_row_loss(const float* row, int32_t t, const float* weights, int64_t c, float lse,
                                             float& loss, float& total) {
  if (t < 0 || t >= c) {
    loss += nan_value();
    return;
  }
  const float w = weights != nullptr ? weights[t] : 1.f;
  loss += w * (lse - row[t]);
  total += w;
}

// Every thread passes its warp's sums (lane 0's are used). Each block writes
// its partial; the last block to arrive sums the partials in index order and
// resets `counter` (zero before the first launch) for the next one.
__device__ void finish_loss(float loss, float total, float* __restrict__ partials, unsigned* __restrict__ counter,
                            float* __restrict__ loss_sum, float* __restrict__ weight_sum) {
  __shared__ float warp_loss[kWarpsPerBlock], warp_total[kWarpsPerBlock];
  __shared__ bool last;
  const unsigned warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_loss[warp] = loss;
    warp_total[warp] = total;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float l = 0.f, w = 0.f;
    for (unsigned k = 0; k < kWarpsPerBlock; ++k) {
      l += warp_loss[k];
      w += warp_total[k];
    }
    partials[2 * blockIdx.x] = l;
    partials[2 * blockIdx.x + 1] = w;
    __threadfence();
    last = atomicAdd(counter, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!last) return;
  __shared__ float part_loss[kBlock], part_total[kBlock];
  float l = 0.f, w = 0.f;
  for (unsigned b = threadIdx.x; b < gridDim.x; b += blockDim.x) {
    l += __ldcg(partials + 2 * b);
    w += __ldcg(partials + 2 * b + 1);
  }
  part_loss[threadIdx.x] = l;
  part_total[threadIdx.x] = w;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      part_loss[threadIdx.x] += part_loss[threadIdx.x + stride];
      part_total[threadIdx.x] += part_total[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *loss_sum = part_loss[0];
    *weight_sum = part_total[0];
    *counter = 0;
  }
}

unsigned warp_row_blocks(int64_t n) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kWarpsPerBlock - 1) / kWarpsPerBlock, 1, kMaxBlocks));
}

// ---- 3: a warp per row, online max / sum ----
// Running (max m, sum s of exp(x - m)) of one lane; merges with another lane's.
struct MaxSum {
  float m, s;
};
__device__ __forceinline__ MaxSum merge(MaxSum a, MaxSum b) {
  if (a.s == 0.f) return b;  // an empty lane (C < 32) has m = -inf
  if (b.s == 0.f) return a;
  const float m = fmaxf(a.m, b.m);
  return {m, a.s * vs_exp(a.m - m) + b.s * vs_exp(b.m - m)};
}

__global__ void __launch_bounds__(kBlock)
    warp_forward_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                        const float* __restrict__ weights, float* __restrict__ probs, float* __restrict__ partials,
                        unsigned* __restrict__ counter, float* __restrict__ loss_sum, float* __restrict__ weight_sum,
                        int64_t n, int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  float loss = 0.f, total = 0.f;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    const float* row = logits + i * c;
    MaxSum ms{-INFINITY, 0.f};
    for (int64_t k = lane; k < c; k += 32) {
      const float x = row[k];
      if (x > ms.m) {
        ms.s = ms.s * vs_exp(ms.m - x) + 1.f;
        ms.m = x;
      } else {
        ms.s += vs_exp(x - ms.m);
      }
    }
    for (int o = 16; o > 0; o >>= 1) {
      const MaxSum other{__shfl_xor_sync(kFull, ms.m, o), __shfl_xor_sync(kFull, ms.s, o)};
      ms = merge(ms, other);
    }
    const float lse = ms.m + vs_log(ms.s);
    for (int64_t k = lane; k < c; k += 32) probs[i * c + k] = vs_exp(row[k] - lse);
    if (lane == 0) add_row_loss(row, targets[i], weights, c, lse, loss, total);
  }
  finish_loss(loss, total, partials, counter, loss_sum, weight_sum);
}

__global__ void __launch_bounds__(kBlock)
    warp_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                         const float* __restrict__ weights, const float* __restrict__ dloss,
                         const float* __restrict__ weight_sum, float* __restrict__ dlogits, int64_t n, int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  const float scale = *dloss / *weight_sum;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    const int32_t t = targets[i];
    const bool bad = t < 0 || t >= c;
    const float w = bad ? nan_value() : (weights != nullptr ? weights[t] : 1.f) * scale;
    for (int64_t k = lane; k < c; k += 32) dlogits[i * c + k] = w * (probs[i * c + k] - (k == t ? 1.f : 0.f));
  }
}

// ---- 4: the row in registers (forward), float4 (backward) ----
// Lane l holds elements l, l + 32, ... (kPerLane of them; C <= 32 kPerLane).
template <int kPerLane>
__global__ void __launch_bounds__(kBlock)
    reg_forward_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                       const float* __restrict__ weights, float* __restrict__ probs, float* __restrict__ partials,
                       unsigned* __restrict__ counter, float* __restrict__ loss_sum, float* __restrict__ weight_sum,
                       int64_t n, int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  float loss = 0.f, total = 0.f;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    const float* row = logits + i * c;
    float v[kPerLane];
    float m = -INFINITY;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t k = int64_t{lane} + 32 * j;
      v[j] = k < c ? row[k] : -INFINITY;
      m = fmaxf(m, v[j]);
    }
    m = warp_max(m);
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < kPerLane; ++j)
      if (int64_t{lane} + 32 * j < c) s += vs_exp(v[j] - m);
    const float lse = m + vs_log(warp_sum(s));
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t k = int64_t{lane} + 32 * j;
      if (k < c) probs[i * c + k] = vs_exp(v[j] - lse);
    }
    if (lane == 0) add_row_loss(row, targets[i], weights, c, lse, loss, total);
  }
  finish_loss(loss, total, partials, counter, loss_sum, weight_sum);
}

// Preconditions: C % 4 == 0, probs and dlogits 16-byte aligned.
__global__ void __launch_bounds__(kBlock)
    vec4_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                         const float* __restrict__ weights, const float* __restrict__ dloss,
                         const float* __restrict__ weight_sum, float* __restrict__ dlogits, int64_t n, int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock, c4 = c / 4;
  const float scale = *dloss / *weight_sum;
  const float4* p4 = reinterpret_cast<const float4*>(probs);
  float4* d4 = reinterpret_cast<float4*>(dlogits);
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    const int32_t t = targets[i];
    const bool bad = t < 0 || t >= c;
    const float w = bad ? nan_value() : (weights != nullptr ? weights[t] : 1.f) * scale;
    for (int64_t q = lane; q < c4; q += 32) {
      const float4 p = p4[i * c4 + q];
      const int64_t k = 4 * q;
      d4[i * c4 + q] = make_float4(w * (p.x - (k == t ? 1.f : 0.f)), w * (p.y - (k + 1 == t ? 1.f : 0.f)),
                                   w * (p.z - (k + 2 == t ? 1.f : 0.f)), w * (p.w - (k + 3 == t ? 1.f : 0.f)));
    }
  }
}

struct Buffers {
  const float* logits;      // (N, C)
  const int32_t* targets;   // (N)
  const float* weights;     // (C) or null
  float* probs;             // (N, C) forward output
  float* loss_sum;          // (1)
  float* weight_sum;        // (1)
  const float* probs_in;    // (N, C) backward input: the CPU's probs
  const float* dloss;       // (1)
  const float* weight_in;   // (1) backward input: the CPU's weight_sum
  float* dlogits;           // (N, C)
  float* row_loss;          // (N) scratch of 1
  float* row_weight;        // (N) scratch of 1
  float* partials;          // (2 kMaxBlocks) scratch of 3, 4
  unsigned* counter;        // (1) of 3, 4: zero between launches
  int64_t n, c;
};

using Run = std::function<void(const Buffers&, cudaStream_t)>;
// An empty Run (and its reason) when the variant does not apply to the shape.
using Pick = std::function<Run(int64_t c, const char*& why_not)>;

struct Variant {
  const char* name;
  Pick forward, backward;
};

Pick always(Run run) {
  return [run](int64_t, const char*&) { return run; };
}

template <int kPerLane>
Run reg_forward() {
  return [](const Buffers& d, cudaStream_t st) {
    reg_forward_kernel<kPerLane><<<warp_row_blocks(d.n), kBlock, 0, st>>>(
        d.logits, d.targets, d.weights, d.probs, d.partials, d.counter, d.loss_sum, d.weight_sum, d.n, d.c);
    VARSTAR_CUDA_CHECK_LAUNCH("reg_forward_kernel");
  };
}

std::vector<Variant> variants() {
  return {
      {"naive", always([](const Buffers& d, cudaStream_t st) {
         naive_forward_rows_kernel<<<static_cast<unsigned>((d.n + kBlock - 1) / kBlock), kBlock, 0, st>>>(
             d.logits, d.targets, d.weights, d.probs, d.row_loss, d.row_weight, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_forward_rows_kernel");
         naive_sum_kernel<<<1, 1, 0, st>>>(d.row_loss, d.row_weight, d.loss_sum, d.weight_sum, d.n);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_sum_kernel");
       }),
       always([](const Buffers& d, cudaStream_t st) {
         naive_backward_kernel<<<static_cast<unsigned>((d.n * d.c + kBlock - 1) / kBlock), kBlock, 0, st>>>(
             d.probs_in, d.targets, d.weights, d.dloss, d.weight_in, d.dlogits, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_backward_kernel");
       })},
      {"production", always([](const Buffers& d, cudaStream_t st) {
         varstar::cuda::cross_entropy_forward(d.logits, d.targets, d.weights, d.probs, d.loss_sum, d.weight_sum, d.n,
                                              d.c, st);
       }),
       always([](const Buffers& d, cudaStream_t st) {
         varstar::cuda::cross_entropy_backward(d.probs_in, d.targets, d.weights, d.dloss, d.weight_in, d.dlogits, d.n,
                                               d.c, st);
       })},
      {"warp", always([](const Buffers& d, cudaStream_t st) {
         warp_forward_kernel<<<warp_row_blocks(d.n), kBlock, 0, st>>>(d.logits, d.targets, d.weights, d.probs,
                                                                      d.partials, d.counter, d.loss_sum,
                                                                      d.weight_sum, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("warp_forward_kernel");
       }),
       always([](const Buffers& d, cudaStream_t st) {
         warp_backward_kernel<<<warp_row_blocks(d.n), kBlock, 0, st>>>(d.probs_in, d.targets, d.weights, d.dloss,
                                                                       d.weight_in, d.dlogits, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("warp_backward_kernel");
       })},
      {"warp-reg",
       [](int64_t c, const char*& why_not) -> Run {
         if (c <= 32) return reg_forward<1>();
         if (c <= 64) return reg_forward<2>();
         if (c <= 128) return reg_forward<4>();
         if (c <= 256) return reg_forward<8>();
         if (c <= 512) return reg_forward<16>();
         if (c <= 1024) return reg_forward<32>();
         why_not = "needs C <= 1024";
         return {};
       },
       [](int64_t c, const char*& why_not) -> Run {
         if (c % 4 != 0) {
           why_not = "needs C % 4 == 0";
           return {};
         }
         return [](const Buffers& d, cudaStream_t st) {
           vec4_backward_kernel<<<warp_row_blocks(d.n), kBlock, 0, st>>>(d.probs_in, d.targets, d.weights, d.dloss,
                                                                         d.weight_in, d.dlogits, d.n, d.c);
           VARSTAR_CUDA_CHECK_LAUNCH("vec4_backward_kernel");
         };
       }},
      {"previous", always([](const Buffers& d, cudaStream_t st) {
         previous_forward_kernel<<<1, kBlock, 0, st>>>(d.logits, d.targets, d.weights, d.probs, d.loss_sum,
                                                       d.weight_sum, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("previous_forward_kernel");
       }),
       always([](const Buffers& d, cudaStream_t st) {
         previous_backward_kernel<<<varstar::cuda::detail::grid_for(d.n * d.c, kBlock), kBlock, 0, st>>>(
             d.probs_in, d.targets, d.weights, d.dloss, d.weight_in, d.dlogits, d.n, d.c);
         VARSTAR_CUDA_CHECK_LAUNCH("previous_backward_kernel");
       })},
  };
}

// Largest |got - ref| / |ref| (ref never 0 here: probs > 0, dlogits of random
// probs); a NaN counts as infinite.
double max_rel_error(const std::vector<float>& got, const std::vector<double>& ref) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(double(got[i]) - ref[i]) / std::max(std::fabs(ref[i]), 1e-30);
    worst = std::isnan(got[i]) ? INFINITY : std::max(worst, e);
  }
  return worst;
}
double rel_error(float got, double ref) {
  return std::isnan(got) ? INFINITY : std::fabs(double(got) - ref) / std::max(std::fabs(ref), 1e-30);
}

struct Shape {
  int64_t n, c;
};

struct Result {
  const char* op;
  const char* variant;
  double ms, gbs, err, sum_err;  // ms NaN: not timed
  const char* note;
};

// ---- log_softmax: previous production (a thread per row) ----
__global__ void previous_log_softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n,
                                                    int64_t c) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const float lse = varstar::row_logsumexp(x + i * c, c);
    for (int64_t k = 0; k < c; ++k) y[i * c + k] = x[i * c + k] - lse;
  }
}

__global__ void previous_log_softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                                     float* __restrict__ dx, int64_t n, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    float s = 0.f;
    for (int64_t k = 0; k < c; ++k) s += dy[i * c + k];
    for (int64_t k = 0; k < c; ++k) dx[i * c + k] = dy[i * c + k] - varstar::vs_exp(y[i * c + k]) * s;
  }
}

// y = x - lse: lse's error is the relative error of a float sum of up to 1,500
// exponentials (kProbRelTol's reasoning); absolute, or relative to |y| beyond 1.
constexpr double kLogProbTol = 2e-5;
// dx: the row sum of dy in float, any order: relative to |dy_k| + exp(y_k) sum_k |dy_k|.
constexpr double kLogSoftmaxGradTol = 1e-5;

// Validates and times both log_softmax variants; returns the number that failed.
int bench_log_softmax(bool quick, cudaStream_t st) {
  struct LsShape {
    int64_t n, c;
  };
  const std::vector<LsShape> shapes = {{32, 5}, {4099, 37}, {quick ? 262144 : 1048576, 64}, {4096, 1500}};
  int failures = 0;
  std::printf("\n%-13s %-4s %-11s %10s %9s %8s %9s\n", "log_softmax", "op", "variant", "ms", "GB/s", "x prod", "err");
  for (const LsShape& shape : shapes) {
    const int64_t n = shape.n, c = shape.c, nc = n * c;
    const int reps = nc > (int64_t{1} << 24) ? (quick ? 5 : 20) : (quick ? 20 : 100);
    std::vector<float> x(nc), dy(nc);
    for (int64_t i = 0; i < nc; ++i) {
      x[i] = 8.f * varstar::philox_uniform(21, i) - 4.f;
      dy[i] = 2.f * varstar::philox_uniform(22, i) - 1.f;
    }
    const std::vector<double> xd(x.begin(), x.end());
    std::vector<double> ref_y(nc), ref_dx(nc);
    varstar::cpu::log_softmax_forward<double>(xd.data(), ref_y.data(), n, c);
    // Backward input: the CPU's y rounded to float, as a float forward would leave it.
    const std::vector<float> y_in(ref_y.begin(), ref_y.end());
    const std::vector<double> y_in_d(y_in.begin(), y_in.end()), dyd(dy.begin(), dy.end());
    varstar::cpu::log_softmax_backward<double>(y_in_d.data(), dyd.data(), ref_dx.data(), n, c);
    std::vector<double> grad_scale(nc);
    for (int64_t i = 0; i < n; ++i) {
      double mass = 0;
      for (int64_t k = 0; k < c; ++k) mass += std::fabs(dyd[i * c + k]);
      for (int64_t k = 0; k < c; ++k)
        grad_scale[i * c + k] = std::fabs(dyd[i * c + k]) + std::exp(y_in_d[i * c + k]) * mass;
    }
    float *d_x, *d_y, *d_y_in, *d_dy, *d_dx;
    for (float** p : {&d_x, &d_y, &d_y_in, &d_dy, &d_dx}) VARSTAR_CUDA_CHECK(cudaMalloc(p, nc * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_x, x.data(), nc * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_y_in, y_in.data(), nc * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_dy, dy.data(), nc * sizeof(float), cudaMemcpyHostToDevice));
    const unsigned grid = varstar::cuda::detail::grid_for(n, kBlock);
    struct LsVariant {
      const char* name;
      std::function<void()> forward, backward;
    };
    const std::vector<LsVariant> variants = {
        {"previous",
         [&] {
           previous_log_softmax_forward_kernel<<<grid, kBlock, 0, st>>>(d_x, d_y, n, c);
           VARSTAR_CUDA_CHECK_LAUNCH("previous_log_softmax_forward_kernel");
         },
         [&] {
           previous_log_softmax_backward_kernel<<<grid, kBlock, 0, st>>>(d_y_in, d_dy, d_dx, n, c);
           VARSTAR_CUDA_CHECK_LAUNCH("previous_log_softmax_backward_kernel");
         }},
        {"production", [&] { varstar::cuda::log_softmax_forward(d_x, d_y, n, c, st); },
         [&] { varstar::cuda::log_softmax_backward(d_y_in, d_dy, d_dx, n, c, st); }},
    };
    struct LsResult {
      bool fwd;
      const char* variant;
      double ms, err;
    };
    std::vector<LsResult> results;
    std::vector<float> got(nc);
    for (const LsVariant& v : variants) {
      for (const bool fwd : {true, false}) {
        float* out = fwd ? d_y : d_dx;
        VARSTAR_CUDA_CHECK(cudaMemsetAsync(out, 0xff, nc * sizeof(float), st));  // NaN where nothing is written
        (fwd ? v.forward : v.backward)();
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
        VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), out, nc * sizeof(float), cudaMemcpyDeviceToHost));
        double err = 0;
        for (int64_t i = 0; i < nc; ++i) {
          const double ref = fwd ? ref_y[i] : ref_dx[i];
          const double scale = fwd ? std::max(1.0, std::fabs(ref)) : std::max(grad_scale[i], 1e-30);
          err = std::max(err, std::isnan(got[i]) ? INFINITY : std::fabs(double(got[i]) - ref) / scale);
        }
        double ms = NAN;
        if (err <= (fwd ? kLogProbTol : kLogSoftmaxGradTol))
          ms = varstar::bench::median_event_ms(fwd ? v.forward : v.backward, st, 3, reps);
        else
          ++failures;
        results.push_back({fwd, v.name, ms, err});
      }
    }
    for (const bool fwd : {true, false}) {
      double prod_ms = NAN;
      for (const LsResult& r : results)
        if (r.fwd == fwd && std::strcmp(r.variant, "production") == 0) prod_ms = r.ms;
      for (const LsResult& r : results) {
        if (r.fwd != fwd) continue;
        const double gbs = (fwd ? 8.0 : 12.0) * static_cast<double>(nc) / (r.ms * 1e6);
        std::printf("%6lldx%-6lld %-4s %-11s %10.4f %9.1f %8.2f %9.1e %s\n", static_cast<long long>(n),
                    static_cast<long long>(c), fwd ? "fwd" : "bwd", r.variant, r.ms, gbs, prod_ms / r.ms, r.err,
                    std::isnan(r.ms) ? "FAILED validation: not timed" : "");
      }
    }
    for (float* p : {d_x, d_y, d_y_in, d_dy, d_dx}) cudaFree(p);
  }
  std::printf("tolerances: log_softmax %.0e (of max(1, |y|)), its gradient %.0e (of |dy| + exp(y) sum|dy|)\n",
              kLogProbTol, kLogSoftmaxGradTol);
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  int failures = 0;
  const std::vector<Shape> shapes = {{32, 5}, {32, 10}, {4099, 37}, {quick ? 16384 : 65536, 1000}};
  std::printf("%-13s %-4s %-11s %10s %9s %8s %9s %9s\n", "N x C", "op", "variant", "ms", "GB/s", "x prod", "err",
              "sum err");
  for (const Shape& shape : shapes) {
    const int64_t n = shape.n, c = shape.c, nc = n * c;
    const int reps = nc > (int64_t{1} << 24) ? (quick ? 5 : 20) : (quick ? 20 : 100);
    std::vector<float> logits(nc), weights(c);
    std::vector<int32_t> targets(n);
    for (int64_t i = 0; i < nc; ++i) logits[i] = 8.f * varstar::philox_uniform(11, i) - 4.f;
    for (int64_t i = 0; i < n; ++i) targets[i] = static_cast<int32_t>(varstar::philox_u32(12, i) % c);
    for (int64_t k = 0; k < c; ++k) weights[k] = 0.25f + 2.f * varstar::philox_uniform(13, k);
    const float dloss = 0.75f;
    const std::vector<double> logits_d(logits.begin(), logits.end()), weights_d(weights.begin(), weights.end());

    float *d_logits, *d_weights, *d_probs, *d_probs_in, *d_dlogits, *d_row_loss, *d_row_weight, *d_partials,
        *d_scalars;
    int32_t* d_targets;
    unsigned* d_counter;
    for (float** p : {&d_logits, &d_probs, &d_probs_in, &d_dlogits})
      VARSTAR_CUDA_CHECK(cudaMalloc(p, nc * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_weights, c * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_row_loss, n * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_row_weight, n * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_partials, 2 * kMaxBlocks * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_scalars, 4 * sizeof(float)));  // loss_sum, weight_sum, dloss, weight_in
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_targets, n * sizeof(int32_t)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&d_counter, sizeof(unsigned)));
    VARSTAR_CUDA_CHECK(cudaMemset(d_counter, 0, sizeof(unsigned)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_logits, logits.data(), nc * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_weights, weights.data(), c * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(d_targets, targets.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice));

    std::vector<Result> results;
    std::vector<float> got(nc);
    for (const bool weighted : {true, false}) {  // timed: weighted only
      // CPU reference in double on the float inputs.
      std::vector<double> ref_probs(nc), ref_dlogits(nc);
      double ref_loss = 0, ref_weight = 0;
      varstar::cpu::cross_entropy_forward<double>(logits_d.data(), targets.data(),
                                                  weighted ? weights_d.data() : nullptr, ref_probs.data(), &ref_loss,
                                                  &ref_weight, n, c);
      // Backward input: the CPU's probs and weight_sum rounded to float, as a float forward would leave them.
      const std::vector<float> probs_in(ref_probs.begin(), ref_probs.end());
      const float weight_in = static_cast<float>(ref_weight);
      const std::vector<double> probs_in_d(probs_in.begin(), probs_in.end());
      varstar::cpu::cross_entropy_backward<double>(probs_in_d.data(), targets.data(),
                                                   weighted ? weights_d.data() : nullptr,
                                                   double(dloss) / double(weight_in), ref_dlogits.data(), n, c);
      VARSTAR_CUDA_CHECK(cudaMemcpy(d_probs_in, probs_in.data(), nc * sizeof(float), cudaMemcpyHostToDevice));
      const float scalars_in[2] = {dloss, weight_in};
      VARSTAR_CUDA_CHECK(cudaMemcpy(d_scalars + 2, scalars_in, sizeof(scalars_in), cudaMemcpyHostToDevice));
      const Buffers d{d_logits,   d_targets,     weighted ? d_weights : nullptr,
                      d_probs,    d_scalars,     d_scalars + 1,
                      d_probs_in, d_scalars + 2, d_scalars + 3,
                      d_dlogits,  d_row_loss,    d_row_weight,
                      d_partials, d_counter,     n, c};
      for (const Variant& v : variants()) {
        for (const bool fwd : {true, false}) {
          const char* op = fwd ? "fwd" : "bwd";
          const char* why_not = "";
          const Run run = (fwd ? v.forward : v.backward)(c, why_not);
          if (!run) {
            if (weighted) results.push_back({op, v.name, NAN, NAN, NAN, NAN, why_not});
            continue;
          }
          float* out = fwd ? d_probs : d_dlogits;
          // NaN everywhere the variant writes: an element it skips shows up.
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(out, 0xff, nc * sizeof(float), st));
          VARSTAR_CUDA_CHECK(cudaMemsetAsync(d_scalars, 0xff, 2 * sizeof(float), st));
          run(d, st);
          VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
          VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), out, nc * sizeof(float), cudaMemcpyDeviceToHost));
          float sums[2];
          VARSTAR_CUDA_CHECK(cudaMemcpy(sums, d_scalars, sizeof(sums), cudaMemcpyDeviceToHost));
          const double err = max_rel_error(got, fwd ? ref_probs : ref_dlogits);
          const double sum_err = fwd ? std::max(rel_error(sums[0], ref_loss), rel_error(sums[1], ref_weight)) : 0.0;
          const bool ok = err <= (fwd ? kProbRelTol : kGradRelTol) && sum_err <= kSumRelTol;
          if (!ok) {
            ++failures;
            results.push_back({op, v.name, NAN, NAN, err, fwd ? sum_err : NAN,
                               weighted ? "FAILED validation (weighted): not timed"
                                        : "FAILED validation (unweighted)"});
            continue;
          }
          if (!weighted) continue;
          const double ms = varstar::bench::median_event_ms([&] { run(d, st); }, st, 3, reps);
          const double bytes = 2.0 * 4.0 * static_cast<double>(nc) + 4.0 * static_cast<double>(n);
          results.push_back({op, v.name, ms, bytes / (ms * 1e6), err, fwd ? sum_err : NAN, ""});
        }
      }
    }
    char label[48];
    std::snprintf(label, sizeof(label), "%lldx%lld", static_cast<long long>(n), static_cast<long long>(c));
    for (const char* op : {"fwd", "bwd"}) {
      double prod_ms = NAN;
      for (const Result& r : results)
        if (std::strcmp(r.op, op) == 0 && std::strcmp(r.variant, "production") == 0) prod_ms = r.ms;
      for (const Result& r : results) {
        if (std::strcmp(r.op, op) != 0) continue;
        if (std::isnan(r.ms) && std::isnan(r.err)) {
          std::printf("%-13s %-4s %-11s %10s  n/a: %s\n", label, r.op, r.variant, "-", r.note);
          continue;
        }
        char sum_err[16] = "-";
        if (!std::isnan(r.sum_err)) std::snprintf(sum_err, sizeof(sum_err), "%.1e", r.sum_err);
        if (std::isnan(r.ms)) {  // failed validation
          std::printf("%-13s %-4s %-11s %10s %9s %8s %9.1e %9s %s\n", label, r.op, r.variant, "-", "-", "-", r.err,
                      sum_err, r.note);
          continue;
        }
        std::printf("%-13s %-4s %-11s %10.4f %9.1f %8.2f %9.1e %9s %s\n", label, r.op, r.variant, r.ms, r.gbs,
                    prod_ms / r.ms, r.err, sum_err, r.note);
      }
    }
    for (float* p : {d_logits, d_weights, d_probs, d_probs_in, d_dlogits, d_row_loss, d_row_weight, d_partials,
                     d_scalars})
      cudaFree(p);
    cudaFree(d_targets);
    cudaFree(d_counter);
  }
  failures += bench_log_softmax(quick, st);
  cudaStreamDestroy(st);
  std::printf("tolerances: probs %.0e, dlogits %.0e (relative, per element), loss and weight sums %.0e\n",
              kProbRelTol, kGradRelTol, kSumRelTol);
  if (failures == 0) std::printf("all variants within tolerance of the CPU (float64)\n");
  else std::printf("%d variant run(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
