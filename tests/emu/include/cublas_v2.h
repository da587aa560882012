#pragma once
// The cuBLAS calls kernels/cuda/gemm.cpp makes, on the CPU for the emulator:
// column-major products by the host BLAS, with cuBLAS's own argument checks
// (a leading dimension too small is CUBLAS_STATUS_INVALID_VALUE), so the
// row-major-to-column-major mapping of gemm.cpp runs as it does on a GPU.
// C is not read when beta == 0, as in cuBLAS. Products run (or are captured)
// on the handle's stream, alpha and beta read when the call is made.
#include <cuda_runtime.h>
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>

struct cublasContext {
  cudaStream_t stream = nullptr;
};
using cublasHandle_t = cublasContext*;
enum cublasStatus_t { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_INVALID_VALUE = 7,
                      CUBLAS_STATUS_EXECUTION_FAILED = 13 };
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cublasMath_t { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

inline const char* cublasGetStatusName(cublasStatus_t s) {
  return s == CUBLAS_STATUS_SUCCESS            ? "CUBLAS_STATUS_SUCCESS"
         : s == CUBLAS_STATUS_INVALID_VALUE    ? "CUBLAS_STATUS_INVALID_VALUE"
         : s == CUBLAS_STATUS_EXECUTION_FAILED ? "CUBLAS_STATUS_EXECUTION_FAILED"
                                               : "CUBLAS_STATUS_NOT_INITIALIZED";
}
inline const char* cublasGetStatusString(cublasStatus_t s) { return cublasGetStatusName(s); }

// Handles live as long as the context (gemm.cpp keeps one per thread and device until exit).
inline cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  static auto* handles = new std::deque<cublasContext>();  // never destroyed: the context's
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  *handle = &handles->emplace_back();
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetWorkspace(cublasHandle_t handle, void* /*workspace*/, size_t /*bytes*/) {
  return handle == nullptr ? CUBLAS_STATUS_NOT_INITIALIZED : CUBLAS_STATUS_SUCCESS;
}
inline cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t /*mode*/) {
  return handle == nullptr ? CUBLAS_STATUS_NOT_INITIALIZED : CUBLAS_STATUS_SUCCESS;
}

namespace varstar::emu {
// Element (i, j) of op(X) for column-major X with leading dimension ld.
inline float op_at(const float* x, int ld, cublasOperation_t op, int i, int j) {
  return op == CUBLAS_OP_N ? x[i + static_cast<int64_t>(j) * ld] : x[j + static_cast<int64_t>(i) * ld];
}
inline bool valid_gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, int lda, int ldb, int ldc) {
  return m >= 0 && n >= 0 && k >= 0 && lda >= std::max(1, ta == CUBLAS_OP_N ? m : k) &&
         ldb >= std::max(1, tb == CUBLAS_OP_N ? k : n) && ldc >= std::max(1, m);
}
// The host BLAS in column-major order (an engine on the emulator multiplies large
// matrices). As cuBLAS, BLAS returns at once for m or n of 0, makes C = beta C for
// k of 0, and writes zeros without reading C when beta == 0.
inline void gemm_column_major(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
                              const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasColMajor, ta == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, tb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans,
              m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
// Runs (or captures) a product on the handle's stream; a capture's error is the launch error cuBLAS would report.
template <class F>
cublasStatus_t blas_submit(cublasHandle_t handle, F work) {
  return submit_launch(handle->stream, work) == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}
}  // namespace varstar::emu

inline cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                  int k, const float* alpha, const float* a, int lda, const float* b, int ldb,
                                  const float* beta, float* c, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!varstar::emu::valid_gemm(ta, tb, m, n, k, lda, ldb, ldc)) return CUBLAS_STATUS_INVALID_VALUE;
  const float al = *alpha, be = *beta;
  return varstar::emu::blas_submit(handle, [=] { varstar::emu::gemm_column_major(ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc); });
}

inline cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb,
                                                int m, int n, int k, const float* alpha, const float* a, int lda,
                                                long long stride_a, const float* b, int ldb, long long stride_b,
                                                const float* beta, float* c, int ldc, long long stride_c,
                                                int batch) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!varstar::emu::valid_gemm(ta, tb, m, n, k, lda, ldb, ldc) || batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  const float al = *alpha, be = *beta;
  return varstar::emu::blas_submit(handle, [=] {
    for (int i = 0; i < batch; ++i)
      varstar::emu::gemm_column_major(ta, tb, m, n, k, al, a + i * stride_a, lda, b + i * stride_b, ldb, be,
                                      c + i * stride_c, ldc);
  });
}

// C (m, n) = alpha op(A) + beta op(B); C may be A or B (in place) when its operation is N and the leading dimensions agree.
inline cublasStatus_t cublasSgeam(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                  const float* alpha, const float* a, int lda, const float* beta, const float* b,
                                  int ldb, float* c, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || lda < std::max(1, ta == CUBLAS_OP_N ? m : n) || ldb < std::max(1, tb == CUBLAS_OP_N ? m : n) ||
      ldc < std::max(1, m))
    return CUBLAS_STATUS_INVALID_VALUE;
  if ((c == a && (ta != CUBLAS_OP_N || lda != ldc)) || (c == b && (tb != CUBLAS_OP_N || ldb != ldc)))
    return CUBLAS_STATUS_INVALID_VALUE;
  const float al = *alpha, be = *beta;
  return varstar::emu::blas_submit(handle, [=] {
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        const float x = al == 0.f ? 0.f : al * varstar::emu::op_at(a, lda, ta, i, j);
        const float y = be == 0.f ? 0.f : be * varstar::emu::op_at(b, ldb, tb, i, j);
        c[i + static_cast<int64_t>(j) * ldc] = x + y;
      }
  });
}
