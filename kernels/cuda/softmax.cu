// CUDA log-softmax and fused cross-entropy.
//   log_softmax (x, y: (N, C)): a warp per row, the row in registers for
//     C <= 1024 as the cross-entropy forward below; backward a warp per row.
//   cross_entropy_forward (logits, probs: (N, C); targets: (N)): a warp per row.
//     C <= 1024 (512 in the one-launch block below): the row is held in
//     registers (lane l: elements l, l + 32, ...) and reduced in two passes, max
//     then sum of exp (the CPU's arithmetic); longer rows: one pass with a
//     running max and sum per lane (MaxSumExp), merged across the warp. Loss
//     and weight sums: per warp in row order, per block over its warps in a
//     fixed tree. N <= 32: one block of 32 warps, a
//     warp per row, which writes the sums itself (one launch); more rows: blocks
//     of 8 warps, and a second one-block launch adds the blocks' partials in a
//     fixed order.
//     No atomics: the same sums for the same shape on every run and every GPU.
//   cross_entropy_backward (dlogits: (N, C)): a warp per row.
// A target outside [0, C) never indexes memory: it makes the loss and its row
// of the gradient NaN (the host-side check in engine/ops/loss.cpp names it,
// when it runs; it cannot inside a captured CUDA graph).
// Bench: bench_dev_softmax_ce (bench/dev/softmax_ce.cu) against the variants.
#include <algorithm>
#include <type_traits>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/workspace.h"
#include "kernels/softmax.h"
#include "kernels/softmax_math.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;

constexpr unsigned kWarpsPerBlock = kBlock / 32;
constexpr unsigned kFullMask = 0xffffffffu;
// Row kernels: at most this many blocks (the forward's loss partials; a warp
// takes several rows beyond 2048 x 8 of them).
constexpr int64_t kMaxRowBlocks = 2048;
// Largest C whose row the forward keeps in registers (32 per lane).
constexpr int64_t kMaxRegisterClasses = 1024;
// Row values per lane a block of kWarps warps keeps in registers: a block of
// 1,024 threads has 64 registers per thread, where 32 values spilled 160 bytes
// on sm_120 (ptxas --resource-usage); 16 fit on every architecture.
template <unsigned kWarps>
constexpr int kRowRegistersPerLane = kWarps * 32 > 512 ? 16 : static_cast<int>(kMaxRegisterClasses / 32);
// Up to this many rows (the networks' batch of 32) the forward is one block of
// a warp per row that writes the sums itself: one launch, where more rows take
// a second launch for the blocks' partial sums (which costs more than the rows
// at this size).
constexpr unsigned kOneLaunchRows = 32;

__device__ __forceinline__ float nan_value() { return __int_as_float(0x7fc00000); }

// Blocks of kBlock threads for a warp per row: one per 8 rows, at most
// kMaxRowBlocks (and the tests' grid cap).
unsigned row_blocks(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>(detail::grid_for(n, kWarpsPerBlock), kMaxRowBlocks));
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// log-sum-exp of row (c elements) on every lane of the warp, and its softmax
// (kLog: log-softmax) written to out_row. kPerLane > 0: lane l holds elements
// l + 32 j, j < kPerLane (c <= 32 kPerLane); kPerLane == 0: any c, one pass (MaxSumExp).
template <int kPerLane, bool kLog = false>
__device__ __forceinline__ float warp_row_softmax(const float* __restrict__ row, float* __restrict__ out_row,
                                                  int64_t c, unsigned lane) {
  const auto out = [](float x, float lse) { return kLog ? x - lse : softmax_prob(x, lse); };
  if constexpr (kPerLane > 0) {
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
    const float lse = logsumexp_of(m, warp_sum(s));
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t k = int64_t{lane} + 32 * j;
      if (k < c) out_row[k] = out(v[j], lse);
    }
    return lse;
  } else {
    MaxSumExp<float> ms{-INFINITY, 0.f};
    for (int64_t k = lane; k < c; k += 32) ms = max_sum_exp_add(ms, row[k]);
    for (int o = 16; o > 0; o >>= 1)
      ms = max_sum_exp_merge(ms, MaxSumExp<float>{__shfl_xor_sync(kFullMask, ms.m, o),
                                                   __shfl_xor_sync(kFullMask, ms.s, o)});
    const float lse = logsumexp_of(ms.m, ms.s);
    for (int64_t k = lane; k < c; k += 32) out_row[k] = out(row[k], lse);
    return lse;
  }
}

// A warp per row (rows i = warp, warp + all warps, ...): y = x - logsumexp(x).
template <int kPerLane>
__global__ void __launch_bounds__(kBlock)
    log_softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, int64_t c) {
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps)
    warp_row_softmax<kPerLane, true>(x + i * c, y + i * c, c, threadIdx.x % 32);
}

// A warp per row: dx = dy - exp(y) sum(dy).
__global__ void __launch_bounds__(kBlock)
    log_softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy, float* __restrict__ dx,
                                int64_t n, int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    float s = 0.f;
    for (int64_t k = lane; k < c; k += 32) s += dy[i * c + k];
    s = warp_sum(s);
    for (int64_t k = lane; k < c; k += 32) dx[i * c + k] = dy[i * c + k] - vs_exp(y[i * c + k]) * s;
  }
}

// pick(std::integral_constant<int, kPerLane>{}) for the smallest kPerLane <= kMaxPerLane whose registers hold
// a row of c elements; 0 (the one-pass form) for longer rows.
template <int kMaxPerLane, class Pick>
auto with_row_registers(int64_t c, Pick pick) {
  static_assert(kMaxPerLane * 32 <= kMaxRegisterClasses, "the ladder ends at 32 per lane");
  if (c <= 32) return pick(std::integral_constant<int, 1>{});
  if (c <= 64) return pick(std::integral_constant<int, 2>{});
  if (c <= 128) return pick(std::integral_constant<int, 4>{});
  if (c <= 256) return pick(std::integral_constant<int, 8>{});
  if constexpr (kMaxPerLane >= 16)
    if (c <= 512) return pick(std::integral_constant<int, 16>{});
  if constexpr (kMaxPerLane >= 32)
    if (c <= kMaxRegisterClasses) return pick(std::integral_constant<int, 32>{});
  return pick(std::integral_constant<int, 0>{});
}

// A warp per row (rows i = warp, warp + all warps, ...), kWarps warps per block.
// The block's loss and weight sums (a fixed shuffle tree over its warps) go to
// loss_sum / weight_sum when the grid is one block, else to partials[2 b],
// partials[2 b + 1] for cross_entropy_sum_partials_kernel.
template <int kPerLane, unsigned kWarps>
__global__ void __launch_bounds__(kWarps * 32)
    cross_entropy_forward_kernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                                 const float* __restrict__ weights, float* __restrict__ probs,
                                 float* __restrict__ partials, float* __restrict__ loss_sum,
                                 float* __restrict__ weight_sum, int64_t n, int64_t c) {
  static_assert(kWarps <= 32, "the block sum is one warp's shuffle tree");
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  float loss = 0.f, total = 0.f;  // lane 0's are the warp's
  // The stride is read each time: held from the start, ptxas spilled it on sm_120.
  for (int64_t i = blockIdx.x * int64_t{kWarps} + warp; i < n; i += gridDim.x * kWarps) {
    const float* row = logits + i * c;
    const float lse = warp_row_softmax<kPerLane>(row, probs + i * c, c, lane);
    if (lane == 0) {
      const int32_t t = targets[i];
      if (t < 0 || t >= c) {
        loss += nan_value();
      } else {
        const float w = weights != nullptr ? weights[t] : 1.f;
        loss += cross_entropy_term(w, lse, row[t]);
        total += w;
      }
    }
  }
  __shared__ float warp_loss[kWarps], warp_total[kWarps];
  if (lane == 0) {
    warp_loss[warp] = loss;
    warp_total[warp] = total;
  }
  __syncthreads();
  if (warp == 0) {
    float l = lane < kWarps ? warp_loss[lane] : 0.f, w = lane < kWarps ? warp_total[lane] : 0.f;
    for (int o = 16; o > 0; o >>= 1) {
      l += __shfl_down_sync(kFullMask, l, o);
      w += __shfl_down_sync(kFullMask, w, o);
    }
    if (lane == 0 && gridDim.x == 1) {
      *loss_sum = l;
      *weight_sum = w;
    } else if (lane == 0) {
      partials[2 * blockIdx.x] = l;
      partials[2 * blockIdx.x + 1] = w;
    }
  }
}

// One block: loss_sum, weight_sum = the sums of `blocks` partial pairs; thread
// k adds pairs k, k + kBlock, ... in order, then a fixed tree over the threads.
__global__ void __launch_bounds__(kBlock)
    cross_entropy_sum_partials_kernel(const float* __restrict__ partials, unsigned blocks,
                                      float* __restrict__ loss_sum, float* __restrict__ weight_sum) {
  __shared__ float part_loss[kBlock], part_total[kBlock];
  float l = 0.f, w = 0.f;
  for (unsigned b = threadIdx.x; b < blocks; b += kBlock) {
    l += partials[2 * b];
    w += partials[2 * b + 1];
  }
  part_loss[threadIdx.x] = l;
  part_total[threadIdx.x] = w;
  __syncthreads();
  for (unsigned stride = kBlock / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      part_loss[threadIdx.x] += part_loss[threadIdx.x + stride];
      part_total[threadIdx.x] += part_total[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *loss_sum = part_loss[0];
    *weight_sum = part_total[0];
  }
}

// A warp per row: dlogits = (probs - onehot) * w[t] * dloss / weight_sum.
__global__ void __launch_bounds__(kBlock)
    cross_entropy_backward_kernel(const float* __restrict__ probs, const int32_t* __restrict__ targets,
                                  const float* __restrict__ weights, const float* __restrict__ dloss,
                                  const float* __restrict__ weight_sum, float* __restrict__ dlogits, int64_t n,
                                  int64_t c) {
  const unsigned lane = threadIdx.x % 32;
  const int64_t warps = int64_t{gridDim.x} * kWarpsPerBlock;
  const float scale = *dloss / *weight_sum;
  for (int64_t i = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; i < n; i += warps) {
    const int32_t t = targets[i];
    const float w = t < 0 || t >= c ? nan_value() : (weights != nullptr ? weights[t] : 1.f) * scale;
    for (int64_t k = lane; k < c; k += 32) dlogits[i * c + k] = cross_entropy_grad(w, probs[i * c + k], k == t);
  }
}

using ForwardKernel = void (*)(const float*, const int32_t*, const float*, float*, float*, float*, float*, int64_t,
                              int64_t);
template <unsigned kWarps>
ForwardKernel forward_kernel_for(int64_t c) {
  return with_row_registers<kRowRegistersPerLane<kWarps>>(c, [](auto per_lane) -> ForwardKernel {
    return cross_entropy_forward_kernel<decltype(per_lane)::value, kWarps>;
  });
}
}  // namespace

void log_softmax_forward(const float* x, float* y, int64_t n, int64_t c, cuda_stream stream) {
  if (n == 0) return;
  using Kernel = void (*)(const float*, float*, int64_t, int64_t);
  const Kernel kernel = with_row_registers<kRowRegistersPerLane<kWarpsPerBlock>>(
      c, [](auto per_lane) -> Kernel { return log_softmax_forward_kernel<decltype(per_lane)::value>; });
  kernel<<<row_blocks(n), kBlock, 0, stream>>>(x, y, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("log_softmax_forward");
}

void log_softmax_backward(const float* y, const float* dy, float* dx, int64_t n, int64_t c, cuda_stream stream) {
  if (n == 0) return;
  log_softmax_backward_kernel<<<row_blocks(n), kBlock, 0, stream>>>(y, dy, dx, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("log_softmax_backward");
}

void cross_entropy_forward(const float* logits, const int32_t* targets, const float* weights, float* probs,
                           float* loss_sum, float* weight_sum, int64_t n, int64_t c, cuda_stream stream) {
  if (n <= kOneLaunchRows) {  // one block, a warp for each row, the sums written directly
    forward_kernel_for<kOneLaunchRows>(c)<<<1, 32 * kOneLaunchRows, 0, stream>>>(
        logits, targets, weights, probs, nullptr, loss_sum, weight_sum, n, c);
    VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_forward");
    return;
  }
  const unsigned blocks = row_blocks(n);
  // Partial sums of a multi-block grid; none for one block (it writes the sums itself).
  ByteWorkspace partials(blocks > 1 ? 2 * size_t{blocks} * sizeof(float) : 0, stream);
  float* part = static_cast<float*>(partials.data());
  forward_kernel_for<kWarpsPerBlock>(c)<<<blocks, kBlock, 0, stream>>>(logits, targets, weights, probs, part,
                                                                       loss_sum, weight_sum, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_forward");
  if (blocks > 1) {
    cross_entropy_sum_partials_kernel<<<1, kBlock, 0, stream>>>(part, blocks, loss_sum, weight_sum);
    VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_sum_partials");
  }
}

void cross_entropy_backward(const float* probs, const int32_t* targets, const float* weights, const float* dloss,
                            const float* weight_sum, float* dlogits, int64_t n, int64_t c, cuda_stream stream) {
  if (n == 0) return;
  cross_entropy_backward_kernel<<<row_blocks(n), kBlock, 0, stream>>>(probs, targets, weights, dloss, weight_sum,
                                                                       dlogits, n, c);
  VARSTAR_CUDA_CHECK_LAUNCH("cross_entropy_backward");
}

}  // namespace varstar::cuda
