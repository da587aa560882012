#pragma once
// 1-d and 2-d convolution (cross-correlation, as PyTorch), stride and zero
// padding. CPU: stride-1 kernels of 3 or 5 taps with at least 16 channels in
// and out run by Winograd minimal filtering (kernels/cpu/conv_winograd.cpp);
// the rest by per-sample im2col + GEMM, samples in parallel, the weight
// gradient one GEMM over the whole batch (columns of all samples side by
// side), or dot products for windows of at most 32 values (first layers).
// conv2d_forward_naive is the direct loop the tests compare with.
// Shapes: see kernels/conv_math.h. bias and db may be null.
#include "kernels/common.h"
#include "kernels/conv_math.h"

namespace varstar {
// Which convolutions take a backend's Winograd path: off; automatic (the
// default; VARSTAR_CONV_WINOGRAD=0 in the environment starts both backends
// off); always (every shape winograd_fits, kernels/winograd_tile.h: tests,
// benches). Automatic: on the CPU, every shape winograd_worthwhile; on CUDA,
// worthwhile shapes are timed beside cuDNN and the GEMM path and run where fastest.
enum class WinogradPolicy { off, automatic, always };
// The policy both backends start with (the environment's).
WinogradPolicy initial_winograd_policy();
}  // namespace varstar

namespace varstar::cpu {
// x: (Cin, H, W) of one sample -> col (Cin*KH*KW, P) with rows `ld` elements apart (ld >= P).
template <class T> void im2col(const T* x, const ConvShape& s, T* col, int64_t ld);
template <class T> void col2im(const T* col, const ConvShape& s, T* dx);   // dx: (Cin, H, W), overwritten
template <class T> void conv2d_forward(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s);
template <class T> void conv2d_backward_input(const T* dy, const T* weight, T* dx, const ConvShape& s);
template <class T> void conv2d_backward_weight(const T* dy, const T* x, T* dweight, T* dbias, const ConvShape& s);
// Both gradients from one call: dx (null: not wanted), dweight and dbias
// (dweight null: neither). On the Winograd path each chunk of dy is
// transformed once for both; the results equal the two calls above.
template <class T>
void conv2d_backward(const T* dy, const T* x, const T* weight, T* dx, T* dweight, T* dbias, const ConvShape& s);
template <class T> void conv2d_forward_naive(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s);

using varstar::WinogradPolicy;
void set_conv_winograd(WinogradPolicy policy);
WinogradPolicy conv_winograd();
bool winograd_suits(const ConvShape& s);  // under the current policy
// Tiles per Winograd GEMM (samples go through in chunks of about this many
// tiles; a fixed number, so results do not depend on the thread count).
inline constexpr int64_t kDefaultChunkTiles = 256;
void set_winograd_chunk_tiles(int64_t tiles);
int64_t winograd_chunk_tiles();
// Sets the policy for its lifetime, then puts back the policy and the chunk
// size it found (tests, benches).
class WinogradScope {
 public:
  explicit WinogradScope(WinogradPolicy policy) { set_conv_winograd(policy); }
  ~WinogradScope() {
    set_conv_winograd(saved_policy_);
    set_winograd_chunk_tiles(saved_chunk_tiles_);
  }
  WinogradScope(const WinogradScope&) = delete;
  WinogradScope& operator=(const WinogradScope&) = delete;

 private:
  WinogradPolicy saved_policy_ = conv_winograd();
  int64_t saved_chunk_tiles_ = winograd_chunk_tiles();
};
// The Winograd path itself; precondition: winograd_suits(s) under `always`.
template <class T> void conv2d_forward_winograd(const T* x, const T* weight, const T* bias, T* y, const ConvShape& s);
template <class T> void conv2d_backward_input_winograd(const T* dy, const T* weight, T* dx, const ConvShape& s);
template <class T>
void conv2d_backward_weight_winograd(const T* dy, const T* x, T* dweight, T* dbias, const ConvShape& s);
template <class T>
void conv2d_backward_winograd(const T* dy, const T* x, const T* weight, T* dx, T* dweight, T* dbias,
                              const ConvShape& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
void conv2d_forward(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                    cuda_stream stream);
void conv2d_backward_input(const float* dy, const float* weight, float* dx, const ConvShape& s, cuda_stream stream);
void conv2d_backward_weight(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                            cuda_stream stream);
}  // namespace varstar::cuda

namespace varstar::cuda {
// cuDNN switches (kernels/cuda/conv_cudnn.cpp); declared for the engine in engine/cuda_backend.h too.
void set_use_cudnn(bool use);
bool use_cudnn();
bool cudnn_compiled();
// Convolution directions that cuDNN rejected and im2col ran instead, since start.
int64_t cudnn_fallbacks();
// Whether the cuDNN path times the GEMM path beside its own algorithms and
// takes it where faster (default on; VARSTAR_CONV_GEMM=0 in the environment: off).
void set_conv_gemm_candidate(bool on);
bool conv_gemm_candidate();
// Whether convolution algorithms are chosen by timing (default on):
// cudnnFind*Ex times cuDNN's candidates and our paths are timed beside them.
// Off (or VARSTAR_CUDNN_FIND=0 in the environment): cuDNN's heuristics
// choose, untimed, so a shape gets the same algorithm on every run of the
// same GPU and cuDNN (`--reproducible`). Choices are cached per setting.
void set_conv_timing(bool on);
bool conv_timing();
// cuDNN algorithm searches that timed candidates, since start.
int64_t conv_timed_searches();
// The Winograd path's policy on CUDA (kernels/cuda/conv_winograd.h). It is
// timed only where cuDNN times its own algorithms.
void set_conv_winograd(WinogradPolicy policy);
WinogradPolicy conv_winograd();
}  // namespace varstar::cuda
