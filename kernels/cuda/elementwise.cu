// CUDA elementwise kernels: grid-stride loops over the shared functors of
// kernels/elementwise_math.h, so the arithmetic is the CPU reference's own.
#include "kernels/cuda/check.cuh"
#include "kernels/elementwise.h"

namespace varstar::cuda {

namespace {

constexpr unsigned kBlock = 256;

template <class Op>
__global__ void binary_contiguous_kernel(const float* __restrict__ a, const float* __restrict__ b,
                                         float* __restrict__ out, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    out[i] = op(a[i], b[i]);
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
__global__ void unary_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = op(x[i]);
}

template <class Op>
__global__ void unary_grad_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                  float* __restrict__ dx, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dx[i] = op.grad(y[i], dy[i]);
}

__global__ void affine_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float alpha,
                              float beta) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    y[i] = alpha * x[i] + beta;
}

template <class Op>
void launch_binary(const float* a, const float* b, float* out, int64_t n, const BroadcastGeometry* g,
                   Op op, cuda_stream stream) {
  if (n == 0) return;
  const unsigned grid = detail::grid_for(n, kBlock);
  if (g == nullptr) {
    binary_contiguous_kernel<<<grid, kBlock, 0, stream>>>(a, b, out, n, op);
  } else {
    binary_broadcast_kernel<<<grid, kBlock, 0, stream>>>(a, b, out, n, *g, op);
  }
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
  if (n == 0) return;
  const unsigned grid = detail::grid_for(n, kBlock);
  switch (op) {
    case UnaryOp::relu: unary_kernel<<<grid, kBlock, 0, stream>>>(x, y, n, ReluOp{}); break;
    case UnaryOp::tanh: unary_kernel<<<grid, kBlock, 0, stream>>>(x, y, n, TanhOp{}); break;
    case UnaryOp::sigmoid: unary_kernel<<<grid, kBlock, 0, stream>>>(x, y, n, SigmoidOp{}); break;
  }
  VARSTAR_CUDA_CHECK_LAUNCH("unary_forward");
}

void unary_backward(UnaryOp op, const float* y, const float* dy, float* dx, int64_t n, cuda_stream stream) {
  if (n == 0) return;
  const unsigned grid = detail::grid_for(n, kBlock);
  switch (op) {
    case UnaryOp::relu: unary_grad_kernel<<<grid, kBlock, 0, stream>>>(y, dy, dx, n, ReluOp{}); break;
    case UnaryOp::tanh: unary_grad_kernel<<<grid, kBlock, 0, stream>>>(y, dy, dx, n, TanhOp{}); break;
    case UnaryOp::sigmoid: unary_grad_kernel<<<grid, kBlock, 0, stream>>>(y, dy, dx, n, SigmoidOp{}); break;
  }
  VARSTAR_CUDA_CHECK_LAUNCH("unary_backward");
}

void affine_forward(const float* x, float* y, int64_t n, float alpha, float beta, cuda_stream stream) {
  if (n == 0) return;
  affine_kernel<<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(x, y, n, alpha, beta);
  VARSTAR_CUDA_CHECK_LAUNCH("affine_forward");
}

}  // namespace varstar::cuda
