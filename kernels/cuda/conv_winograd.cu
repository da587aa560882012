// CUDA convolution by Winograd minimal filtering: F(4,3) and F(4,5) along each
// dimension of a 2-d convolution, F(6,3) and F(6,5) along a 1-d one's width
// (kernels/winograd_math.h chooses), the passes and per-tile stages of
// kernels/winograd_tile.h, which the CPU tests run too. Each stage is one
// grid-stride launch of a thread per tile (per input element for the
// input-gradient gather: overlapping windows add up there in a fixed order,
// no atomics), each set of products one cublasSgemmStridedBatched over the
// n_h x n_w transformed values. A 5 x 5 layer does 64 products per 4 x 4
// output tile instead of 400. Chunks of samples keep the transformed tensors
// under 256 MiB. Deterministic. Bench: bench_dev_conv (variant
// "winograd"); the cuDNN path times it per shape (kernels/cuda/conv_cudnn.cpp).
#include <atomic>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/conv_winograd.h"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"
#include "kernels/winograd_tile.h"

namespace varstar::cuda {

namespace {
constexpr unsigned kBlock = 256;
constexpr int64_t kDefaultChunkFloats = int64_t{64} << 20;  // 256 MiB of V, M and patches
std::atomic<int64_t> g_chunk_floats{kDefaultChunkFloats};

template <class Stage, class... A>
__global__ void stage_kernel(int64_t n, A... args) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    Stage::apply(i, args...);
}

// The executor of winograd_tile.h's passes on one stream.
struct Executor {
  cuda_stream stream;

  template <class Stage, class... A>
  void run(int64_t n, const A&... args) const {
    if (n == 0) return;
    stage_kernel<Stage, A...><<<detail::grid_for(n, kBlock), kBlock, 0, stream>>>(n, args...);
    VARSTAR_CUDA_CHECK_LAUNCH(Stage::name);
  }
  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
            int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta, float* c, int64_t ldc,
            int64_t stride_c, int64_t batch) const {
    gemm_strided_batched(trans_a, trans_b, m, n, k, 1.f, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                         batch, stream);
  }
  Workspace allocate(int64_t count) const { return Workspace(count, stream); }
};

template <class H, class W>
int64_t chunk_samples(const ConvShape& s) {
  return winograd::chunk_samples<H, W>(s, g_chunk_floats.load());
}

void require_fit(const ConvShape& s) {
  if (!winograd_fits(s))
    detail::throw_error("convolution: the Winograd path takes stride 1 and 1, 3 or 5 by 3 or 5 taps only");
}
}  // namespace

void set_winograd_chunk_floats(int64_t floats) { g_chunk_floats = floats > 0 ? floats : kDefaultChunkFloats; }

void conv2d_forward_winograd(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                             cuda_stream stream) {
  require_fit(s);
  Executor exec{stream};
  winograd::with_transforms(s, [&]<class H, class W>() {
    winograd::forward<float, H, W>(exec, x, weight, bias, y, s, chunk_samples<H, W>(s));
  });
}

void conv2d_backward_input_winograd(const float* dy, const float* weight, float* dx, const ConvShape& s,
                                    cuda_stream stream) {
  require_fit(s);
  Executor exec{stream};
  winograd::with_transforms(s, [&]<class H, class W>() {
    winograd::backward_input<float, H, W>(exec, dy, weight, dx, s, chunk_samples<H, W>(s));
  });
}

void conv2d_backward_weight_winograd(const float* dy, const float* x, float* dweight, float* dbias,
                                     const ConvShape& s, cuda_stream stream) {
  require_fit(s);
  Executor exec{stream};
  winograd::with_transforms(s, [&]<class H, class W>() {
    winograd::backward_weight<float, H, W>(exec, dy, x, dweight, s, chunk_samples<H, W>(s));
  });
  if (dbias != nullptr) conv2d_bias_backward(dy, dbias, s, stream);
}

}  // namespace varstar::cuda
