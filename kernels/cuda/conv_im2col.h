#pragma once
// The GEMM convolution path (im2col + one cuBLAS GEMM over the batch, direct
// kernels for small windows; kernels/cuda/conv.cu): timed against cuDNN's
// algorithms per shape and direction and run where faster, the fallback when
// cuDNN is absent, switched off (VARSTAR_CUDNN=0) or fails for a shape, and
// the second path the parity tests run. The cuDNN path is in
// kernels/cuda/conv_cudnn.cpp; kernels/conv.h's cuda:: entry points choose.
// Shapes as in kernels/conv_math.h.
#include "kernels/common.h"
#include "kernels/conv_math.h"

namespace varstar::cuda {
// x (B, Cin, H, W), weight (Cout, Cin, KH, KW), bias (Cout) or null -> y (B, Cout, OH, OW).
void conv2d_forward_im2col(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                           cuda_stream stream);
// dy (B, Cout, OH, OW) -> dx (B, Cin, H, W), overwritten.
void conv2d_backward_input_im2col(const float* dy, const float* weight, float* dx, const ConvShape& s,
                                  cuda_stream stream);
// dy, x -> dweight (Cout, Cin, KH, KW) and dbias (Cout) or null, overwritten.
void conv2d_backward_weight_im2col(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                                   cuda_stream stream);
// y (B, Cout, P) += bias (Cout) per channel.
void conv2d_add_bias(float* y, const float* bias, const ConvShape& s, cuda_stream stream);
// dbias (Cout) = sum of dy (B, Cout, P) over B and P (fixed order).
void conv2d_bias_backward(const float* dy, float* dbias, const ConvShape& s, cuda_stream stream);
}  // namespace varstar::cuda
