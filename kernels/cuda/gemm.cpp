// cuBLAS matrix products, row-major. A row-major C = op(A) op(B) is the
// column-major C^T = op(B)^T op(A)^T, so the operands swap places.
#include <cublas_v2.h>

#include <mutex>
#include <vector>

#include "engine/error.h"
#include "kernels/cuda/check.cuh"
#include "kernels/gemm.h"

namespace varstar::cuda {

namespace {

bool g_allow_tf32 = false;

void check_cublas(cublasStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw CublasError(fmt::format("cuBLAS error {} ({}) in '{}' at {}:{}", cublasGetStatusName(status),
                                  cublasGetStatusString(status), expr, file, line));
}
#define VARSTAR_CUBLAS_CHECK(expr) check_cublas((expr), #expr, __FILE__, __LINE__)

// One handle per device per thread, created on first use.
cublasHandle_t handle_for(cuda_stream stream) {
  thread_local std::vector<cublasHandle_t> handles;
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  if (device >= static_cast<int>(handles.size())) handles.resize(device + 1, nullptr);
  if (handles[device] == nullptr) VARSTAR_CUBLAS_CHECK(cublasCreate(&handles[device]));
  cublasHandle_t h = handles[device];
  VARSTAR_CUBLAS_CHECK(cublasSetStream(h, stream));
  VARSTAR_CUBLAS_CHECK(cublasSetMathMode(h, g_allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  return h;
}

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32 = allow; }
bool allow_tf32() { return g_allow_tf32; }

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cuda_stream stream) {
  if (m == 0 || n == 0) return;
  VARSTAR_CUBLAS_CHECK(cublasSgemm(handle_for(stream), op(trans_b), op(trans_a), static_cast<int>(n),
                                   static_cast<int>(m), static_cast<int>(k), &alpha, b, static_cast<int>(ldb), a,
                                   static_cast<int>(lda), &beta, c, static_cast<int>(ldc)));
}

void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                          float* c, int64_t ldc, int64_t stride_c, int64_t batch, cuda_stream stream) {
  if (m == 0 || n == 0 || batch == 0) return;
  VARSTAR_CUBLAS_CHECK(cublasSgemmStridedBatched(
      handle_for(stream), op(trans_b), op(trans_a), static_cast<int>(n), static_cast<int>(m), static_cast<int>(k),
      &alpha, b, static_cast<int>(ldb), stride_b, a, static_cast<int>(lda), stride_a, &beta, c, static_cast<int>(ldc),
      stride_c, static_cast<int>(batch)));
}

}  // namespace varstar::cuda
