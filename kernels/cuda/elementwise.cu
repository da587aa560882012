// CUDA elementwise kernels: grid-stride loops over the shared functors of
// kernels/elementwise_math.h, so the arithmetic is the CPU reference's own.
#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/elementwise.h"

namespace varstar::cuda {

namespace {

constexpr unsigned kBlock = 256;

// Every contiguous kernel is out[i] = f(a[i], b[i]) for a functor f of two
// floats (unary ops ignore b). With 16-byte aligned pointers (the allocator's
// are; views may not be) it moves float4s, the last n % 4 elements one by one:
// on an H200 that reaches the copy bandwidth where scalar loads reach 51-70%
// (bench/dev/elementwise.cu). Same per-element arithmetic either way.
template <class F>
__global__ void map2_vec4_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                 int64_t n, F f) {
  const int64_t n4 = n / 4, stride = int64_t{gridDim.x} * blockDim.x;
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float4* o4 = reinterpret_cast<float4*>(out);
  for (int64_t i = first; i < n4; i += stride) {
    const float4 x = a4[i], y = b4[i];
    o4[i] = make_float4(f(x.x, y.x), f(x.y, y.y), f(x.z, y.z), f(x.w, y.w));
  }
  for (int64_t i = 4 * n4 + first; i < n; i += stride) out[i] = f(a[i], b[i]);
}

template <class F>
__global__ void map2_kernel(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                            int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    out[i] = f(a[i], b[i]);
}

template <class Op>
struct UnaryFn {
  __device__ float operator()(float x, float) const { return Op{}(x); }
};
template <class Op>
struct UnaryGradFn {
  __device__ float operator()(float y, float dy) const { return Op{}.grad(y, dy); }
};
struct AffineFn {
  float alpha, beta;
  __device__ float operator()(float x, float) const { return alpha * x + beta; }
};

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class F>
void launch_map2(const float* a, const float* b, float* out, int64_t n, F f, cuda_stream stream, const char* what) {
  if (n == 0) return;
  if (aligned16(a) && aligned16(b) && aligned16(out)) {
    map2_vec4_kernel<<<detail::grid_for(n / 4 + 1, kBlock), kBlock, 0, stream>>>(a, b, out, n, f);
  } else {
    map2_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(a, b, out, n, f);
  }
  VARSTAR_CUDA_CHECK_LAUNCH(what);
}

template <class Op>
__global__ void binary_broadcast_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                        float* __restrict__ out, int64_t n, BroadcastGeometry g, Op op) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    int64_t off_a, off_b;
    broadcast_offsets(g, i, off_a, off_b);
    out[i] = op(a[off_a], b[off_b]);
  }
}

template <class Op>
void launch_binary(const float* a, const float* b, float* out, int64_t n, const BroadcastGeometry* g,
                   Op op, cuda_stream stream) {
  if (n == 0) return;
  if (g == nullptr) return launch_map2(a, b, out, n, op, stream, "binary_forward");
  binary_broadcast_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(a, b, out, n, *g, op);
  VARSTAR_CUDA_CHECK_LAUNCH("binary_forward");
}

}  // namespace

void binary_forward(BinaryOp op, const float* a, const float* b, float* out, int64_t n,
                    const BroadcastGeometry* g, cuda_stream stream) {
  switch (op) {
    case BinaryOp::add: return launch_binary(a, b, out, n, g, AddOp{}, stream);
    case BinaryOp::sub: return launch_binary(a, b, out, n, g, SubOp{}, stream);
    case BinaryOp::mul: return launch_binary(a, b, out, n, g, MulOp{}, stream);
    case BinaryOp::div: return launch_binary(a, b, out, n, g, DivOp{}, stream);
  }
}

void unary_forward(UnaryOp op, const float* x, float* y, int64_t n, cuda_stream stream) {
  switch (op) {
    case UnaryOp::relu: return launch_map2(x, x, y, n, UnaryFn<ReluOp>{}, stream, "unary_forward<relu>");
    case UnaryOp::tanh: return launch_map2(x, x, y, n, UnaryFn<TanhOp>{}, stream, "unary_forward<tanh>");
    case UnaryOp::sigmoid: return launch_map2(x, x, y, n, UnaryFn<SigmoidOp>{}, stream, "unary_forward<sigmoid>");
  }
}

void unary_backward(UnaryOp op, const float* y, const float* dy, float* dx, int64_t n, cuda_stream stream) {
  switch (op) {
    case UnaryOp::relu: return launch_map2(y, dy, dx, n, UnaryGradFn<ReluOp>{}, stream, "unary_backward<relu>");
    case UnaryOp::tanh: return launch_map2(y, dy, dx, n, UnaryGradFn<TanhOp>{}, stream, "unary_backward<tanh>");
    case UnaryOp::sigmoid:
      return launch_map2(y, dy, dx, n, UnaryGradFn<SigmoidOp>{}, stream, "unary_backward<sigmoid>");
  }
}

void affine_forward(const float* x, float* y, int64_t n, float alpha, float beta, cuda_stream stream) {
  launch_map2(x, x, y, n, AffineFn{alpha, beta}, stream, "affine_forward");
}

}  // namespace varstar::cuda
