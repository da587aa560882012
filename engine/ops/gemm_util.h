#pragma once
// GEMM on tensors for the op front ends: operands may be contiguous or
// transposed views (read in place through the BLAS transpose flags).
#include "engine/tensor.h"

namespace varstar::detail {

// c (M, N), row-major with unit column stride
//   c = alpha * op(a) op(b) + beta * c,  op(x) = trans ? x^T : x.
void gemm_into(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c, double alpha,
               double beta);
// Batched over dimension 0: a (B, ., .), b (B, ., .), c (B, M, N) contiguous.
void gemm_batched_into(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c, double alpha,
                       double beta);

}  // namespace varstar::detail
