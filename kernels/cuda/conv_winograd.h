#pragma once
// The Winograd convolution path of the CUDA backend (kernels/cuda/conv_winograd.cu;
// the stages and passes are kernels/winograd_tile.h's): stride 1, 1, 3 or 5
// taps along the height and 3 or 5 along the width (winograd_fits). Timed
// beside cuDNN and the GEMM path per shape and direction where its policy is
// `automatic` and the shape is worthwhile (kernels/conv.h), run for every
// shape it fits under `always`. Shapes as in kernels/conv_math.h.
#include "kernels/common.h"
#include "kernels/conv_math.h"

namespace varstar::cuda {
// x (B, Cin, H, W), weight (Cout, Cin, KH, KW), bias (Cout) or null -> y (B, Cout, OH, OW).
void conv2d_forward_winograd(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                             cuda_stream stream);
// dy (B, Cout, OH, OW) -> dx (B, Cin, H, W), overwritten.
void conv2d_backward_input_winograd(const float* dy, const float* weight, float* dx, const ConvShape& s,
                                    cuda_stream stream);
// dy, x -> dweight (Cout, Cin, KH, KW) and dbias (Cout) or null, overwritten.
void conv2d_backward_weight_winograd(const float* dy, const float* x, float* dweight, float* dbias,
                                     const ConvShape& s, cuda_stream stream);
// Floats of transformed tensors per chunk of samples (default 64 Mi: 256 MiB;
// tests lower it so that a small batch runs in several chunks; 0: the default).
void set_winograd_chunk_floats(int64_t floats);
}  // namespace varstar::cuda
