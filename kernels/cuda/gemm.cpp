// cuBLAS matrix products, row-major. A row-major C = op(A) op(B) is the
// column-major C^T = op(B)^T op(A)^T, so the operands swap places.
// One handle per device and thread, with a workspace of its own (cuBLAS's
// advice for CUDA graph capture: no allocation inside a captured call), bound
// to a stream only when the stream changes (cublasSetStream resets the workspace).
#include <cublas_v2.h>

#include <atomic>
#include <climits>
#include <vector>

#include "engine/error.h"
#include "kernels/cuda/check.cuh"
#include "kernels/gemm.h"

namespace varstar::cuda {

namespace {

std::atomic<bool> g_allow_tf32{false};
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;  // cuBLAS's recommendation for Hopper

void check_cublas(cublasStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw CublasError(fmt::format("cuBLAS error {} ({}) in '{}' at {}:{}", cublasGetStatusName(status),
                                  cublasGetStatusString(status), expr, file, line));
}
#define VARSTAR_CUBLAS_CHECK(expr) check_cublas((expr), #expr, __FILE__, __LINE__)

struct HandleState {
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
  cuda_stream stream = nullptr;
  bool stream_set = false;
  int math = -1;
};

// Handles live until the thread exits; the process exit tears the context
// down anyway, so they are not destroyed (destroying after the driver has
// shut down would fail).
cublasHandle_t handle_for(cuda_stream stream) {
  thread_local std::vector<HandleState> states;
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  if (device >= static_cast<int>(states.size())) states.resize(device + 1);
  HandleState& st = states[device];
  if (st.handle == nullptr) {
    detail::DeviceWideCall exclusive;
    VARSTAR_CUBLAS_CHECK(cublasCreate(&st.handle));
    VARSTAR_CUDA_CHECK(cudaMalloc(&st.workspace, kCublasWorkspaceBytes));
  }
  if (!st.stream_set || st.stream != stream) {
    VARSTAR_CUBLAS_CHECK(cublasSetStream(st.handle, stream));
    VARSTAR_CUBLAS_CHECK(cublasSetWorkspace(st.handle, st.workspace, kCublasWorkspaceBytes));
    st.stream = stream;
    st.stream_set = true;
  }
  const int math = g_allow_tf32 ? 1 : 0;
  if (st.math != math) {
    VARSTAR_CUBLAS_CHECK(cublasSetMathMode(st.handle, math ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    st.math = math;
  }
  return st.handle;
}

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

int to_int(int64_t v, const char* what) {
  VARSTAR_CHECK(v >= 0 && v <= INT_MAX, "cuBLAS GEMM: {} = {} does not fit a 32-bit int", what, v);
  return static_cast<int>(v);
}

// C (m, n) with leading dimension ldc = beta * C (the product is empty when k == 0);
// exact zeros when beta == 0, as the CPU path writes.
void scale_c(cublasHandle_t h, int64_t m, int64_t n, float beta, float* c, int64_t ldc, cuda_stream stream) {
  if (beta == 0.f) {
    VARSTAR_CUDA_CHECK(cudaMemset2DAsync(c, sizeof(float) * ldc, 0, sizeof(float) * n, m, stream));
    return;
  }
  const float zero = 0.f;
  // Column-major view: C^T is (n, m) with leading dimension ldc; geam in place (B is not read for beta 0).
  VARSTAR_CUBLAS_CHECK(cublasSgeam(h, CUBLAS_OP_N, CUBLAS_OP_N, to_int(n, "n"), to_int(m, "m"), &beta, c,
                                   to_int(ldc, "ldc"), &zero, c, to_int(ldc, "ldc"), c, to_int(ldc, "ldc")));
}

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32 = allow; }
bool allow_tf32() { return g_allow_tf32; }

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cuda_stream stream) {
  if (m == 0 || n == 0) return;
  cublasHandle_t h = handle_for(stream);
  if (k == 0) return scale_c(h, m, n, beta, c, ldc, stream);
  VARSTAR_CUBLAS_CHECK(cublasSgemm(h, op(trans_b), op(trans_a), to_int(n, "n"), to_int(m, "m"), to_int(k, "k"),
                                   &alpha, b, to_int(ldb, "ldb"), a, to_int(lda, "lda"), &beta, c, to_int(ldc, "ldc")));
}

void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                          float* c, int64_t ldc, int64_t stride_c, int64_t batch, cuda_stream stream) {
  if (m == 0 || n == 0 || batch == 0) return;
  cublasHandle_t h = handle_for(stream);
  if (k == 0) {
    for (int64_t i = 0; i < batch; ++i) scale_c(h, m, n, beta, c + i * stride_c, ldc, stream);
    return;
  }
  VARSTAR_CUBLAS_CHECK(cublasSgemmStridedBatched(h, op(trans_b), op(trans_a), to_int(n, "n"), to_int(m, "m"),
                                                 to_int(k, "k"), &alpha, b, to_int(ldb, "ldb"), stride_b, a,
                                                 to_int(lda, "lda"), stride_a, &beta, c, to_int(ldc, "ldc"), stride_c,
                                                 to_int(batch, "batch")));
}

}  // namespace varstar::cuda
