// bench_dev_elementwise: variants of the contiguous elementwise kernels
// (kernels/elementwise.h) that the networks run most: binary add, relu forward
// (y = max(x, 0)) and relu backward (dx = y > 0 ? dy : 0).
//   1 naive       one thread per element, one launch block per 256 elements
//   2 production  varstar::cuda::binary_forward / unary_forward / unary_backward
//                 (kernels/cuda/elementwise.cu: 3's design since it won on an
//                 H200, with a scalar grid-stride fallback for misaligned views)
//   3 float4      grid-stride over float4 (16-byte loads and stores), scalar tail
// All use the shared functors of kernels/elementwise_math.h, and add and relu
// round exactly, so every variant must equal the CPU (kernels/cpu/elementwise.cpp)
// bit for bit before it is timed (CUDA events, median). GB/s count the bytes
// each op must move (add and relu backward 12 B per element, relu forward 8 B),
// shown against a device-to-device cudaMemcpyAsync of the same size (8 B per
// element) timed in the same run. Sizes: 2^26 elements (2^24 with --quick) and an odd
// 2^20 + 3 (the tail).
// Usage: bench_dev_elementwise [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/elementwise.h"
#include "kernels/philox_math.h"

namespace {

constexpr unsigned kBlock = 256;

using varstar::AddOp;
using varstar::ReluOp;

// ---- 1: one thread per element ----
__global__ void naive_add_kernel(const float* a, const float* b, float* out, int64_t n) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < n) out[i] = AddOp{}(a[i], b[i]);
}
__global__ void naive_relu_kernel(const float* x, float* y, int64_t n) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < n) y[i] = ReluOp{}(x[i]);
}
__global__ void naive_relu_grad_kernel(const float* y, const float* dy, float* dx, int64_t n) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i < n) dx[i] = ReluOp{}.grad(y[i], dy[i]);
}

// ---- 3: float4 grid-stride, then the last n % 4 elements one by one ----
// Preconditions: every pointer 16-byte aligned (cudaMalloc's are).
template <class F>
__device__ __forceinline__ float4 map4(float4 a, float4 b, F f) {
  return make_float4(f(a.x, b.x), f(a.y, b.y), f(a.z, b.z), f(a.w, b.w));
}

template <class F>
__global__ void vec4_binary_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                   int64_t n, F f) {
  const int64_t n4 = n / 4, stride = int64_t{gridDim.x} * blockDim.x;
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float4* o4 = reinterpret_cast<float4*>(out);
  for (int64_t i = first; i < n4; i += stride) o4[i] = map4(a4[i], b4[i], f);
  for (int64_t i = 4 * n4 + first; i < n; i += stride) out[i] = f(a[i], b[i]);
}

struct AddFn {
  __device__ float operator()(float a, float b) const { return AddOp{}(a, b); }
};
struct ReluFn {  // second operand unused
  __device__ float operator()(float x, float) const { return ReluOp{}(x); }
};
struct ReluGradFn {
  __device__ float operator()(float y, float dy) const { return ReluOp{}.grad(y, dy); }
};

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kBlock - 1) / kBlock); }

struct Buffers {
  const float *a, *b;  // add: a + b; relu: x = a; relu backward: y = relu(a) in y_ref, dy = b
  const float* y;      // relu(a) on the device, input of the backward
  float* out;
  int64_t n;
};

struct Variant {
  const char* name;
  std::function<void(const Buffers&, cudaStream_t)> add, relu, relu_grad;
};

std::vector<Variant> variants() {
  using varstar::BinaryOp;
  using varstar::UnaryOp;
  return {
      {"naive",
       [](const Buffers& d, cudaStream_t st) {
         naive_add_kernel<<<blocks_for(d.n), kBlock, 0, st>>>(d.a, d.b, d.out, d.n);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_add_kernel");
       },
       [](const Buffers& d, cudaStream_t st) {
         naive_relu_kernel<<<blocks_for(d.n), kBlock, 0, st>>>(d.a, d.out, d.n);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_relu_kernel");
       },
       [](const Buffers& d, cudaStream_t st) {
         naive_relu_grad_kernel<<<blocks_for(d.n), kBlock, 0, st>>>(d.y, d.b, d.out, d.n);
         VARSTAR_CUDA_CHECK_LAUNCH("naive_relu_grad_kernel");
       }},
      {"production",
       [](const Buffers& d, cudaStream_t st) {
         varstar::cuda::binary_forward(BinaryOp::add, d.a, d.b, d.out, d.n, nullptr, st);
       },
       [](const Buffers& d, cudaStream_t st) { varstar::cuda::unary_forward(UnaryOp::relu, d.a, d.out, d.n, st); },
       [](const Buffers& d, cudaStream_t st) {
         varstar::cuda::unary_backward(UnaryOp::relu, d.y, d.b, d.out, d.n, st);
       }},
      {"float4",
       [](const Buffers& d, cudaStream_t st) {
         vec4_binary_kernel<<<varstar::cuda::detail::grid_for(d.n / 4 + 1, kBlock), kBlock, 0, st>>>(d.a, d.b, d.out,
                                                                                                     d.n, AddFn{});
         VARSTAR_CUDA_CHECK_LAUNCH("vec4_binary_kernel<add>");
       },
       [](const Buffers& d, cudaStream_t st) {
         vec4_binary_kernel<<<varstar::cuda::detail::grid_for(d.n / 4 + 1, kBlock), kBlock, 0, st>>>(
             d.a, d.a, d.out, d.n, ReluFn{});
         VARSTAR_CUDA_CHECK_LAUNCH("vec4_binary_kernel<relu>");
       },
       [](const Buffers& d, cudaStream_t st) {
         vec4_binary_kernel<<<varstar::cuda::detail::grid_for(d.n / 4 + 1, kBlock), kBlock, 0, st>>>(
             d.y, d.b, d.out, d.n, ReluGradFn{});
         VARSTAR_CUDA_CHECK_LAUNCH("vec4_binary_kernel<relu_grad>");
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t st;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  const int reps = quick ? 10 : 50;
  int failures = 0;
  std::printf("%-10s %-12s %-11s %10s %9s %8s\n", "n", "op", "variant", "ms", "GB/s", "% copy");
  for (const int64_t n : {int64_t{1} << (quick ? 24 : 26), (int64_t{1} << 20) + 3}) {
    std::vector<float> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) {
      a[i] = 2.f * varstar::philox_uniform(5, i) - 1.f;  // half negative: relu's both branches
      b[i] = 2.f * varstar::philox_uniform(6, i) - 1.f;
    }
    std::vector<float> ref_add(n), ref_relu(n), ref_grad(n);
    varstar::cpu::binary_forward<float>(varstar::BinaryOp::add, a.data(), b.data(), ref_add.data(), n, nullptr);
    varstar::cpu::unary_forward<float>(varstar::UnaryOp::relu, a.data(), ref_relu.data(), n);
    varstar::cpu::unary_backward<float>(varstar::UnaryOp::relu, ref_relu.data(), b.data(), ref_grad.data(), n);
    float *da, *db, *dy, *dout;
    for (float** p : {&da, &db, &dy, &dout}) VARSTAR_CUDA_CHECK(cudaMalloc(p, n * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(da, a.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(db, b.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(dy, ref_relu.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    const double copy_ms = varstar::bench::median_event_ms(
        [&] { VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dout, da, n * sizeof(float), cudaMemcpyDeviceToDevice, st)); }, st,
        3, reps);
    const double copy_gbs = 8.0 * n / (copy_ms * 1e6);
    std::printf("%-10lld %-12s %-11s %10.4f %9.1f %7.0f%%\n", static_cast<long long>(n), "copy", "memcpy", copy_ms,
                copy_gbs, 100.0);
    const Buffers d{da, db, dy, dout, n};
    std::vector<float> got(n);
    for (const Variant& v : variants()) {
      struct Op {
        const char* name;
        const std::function<void(const Buffers&, cudaStream_t)>& run;
        const std::vector<float>& ref;
        double bytes_per_element;
      };
      for (const Op& op : {Op{"add", v.add, ref_add, 12}, Op{"relu", v.relu, ref_relu, 8},
                           Op{"relu_grad", v.relu_grad, ref_grad, 12}}) {
        VARSTAR_CUDA_CHECK(cudaMemsetAsync(dout, 0xff, n * sizeof(float), st));  // NaN: unwritten shows up
        op.run(d, st);
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(st));
        VARSTAR_CUDA_CHECK(cudaMemcpy(got.data(), dout, n * sizeof(float), cudaMemcpyDeviceToHost));
        if (std::memcmp(got.data(), op.ref.data(), n * sizeof(float)) != 0) {
          ++failures;
          std::printf("%-10lld %-12s %-11s FAILED validation: not bit-identical to the CPU; not timed\n",
                      static_cast<long long>(n), op.name, v.name);
          continue;
        }
        const double ms = varstar::bench::median_event_ms([&] { op.run(d, st); }, st, 3, reps);
        const double gbs = op.bytes_per_element * n / (ms * 1e6);
        std::printf("%-10lld %-12s %-11s %10.4f %9.1f %7.0f%%\n", static_cast<long long>(n), op.name, v.name, ms, gbs,
                    100 * gbs / copy_gbs);
      }
    }
    for (float* p : {da, db, dy, dout}) cudaFree(p);
  }
  cudaStreamDestroy(st);
  if (failures == 0) std::printf("all variants bit-identical to the CPU\n");
  else std::printf("%d variant(s) FAILED validation\n", failures);
  return failures == 0 ? 0 : 1;
}
