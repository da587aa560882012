#pragma once
// Matrix products, row-major:
//   C (M, N) = alpha * op(A) op(B) + beta * C,  op(A): (M, K), op(B): (K, N)
// with op(X) = X or X^T, and leading dimensions in elements. The CPU path is
// OpenBLAS; gemm_naive is the plain triple loop the tests compare against.
// The CUDA path is cuBLAS (row-major via the transposed column-major product).
#include "kernels/common.h"

namespace varstar::cpu {
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);
// `batch` independent products, operands `stride_*` elements apart.
template <class T>
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                          int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c,
                          int64_t ldc, int64_t stride_c, int64_t batch);
template <class T>
void gemm_naive(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                const T* b, int64_t ldb, T beta, T* c, int64_t ldc);
}  // namespace varstar::cpu

namespace varstar::cuda {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cuda_stream stream);
void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                          float* c, int64_t ldc, int64_t stride_c, int64_t batch, cuda_stream stream);
// TF32 tensor-core math for cuBLAS products (off by default: explicit opt-in).
void set_allow_tf32(bool allow);
bool allow_tf32();
}  // namespace varstar::cuda
