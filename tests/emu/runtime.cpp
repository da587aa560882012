// What the emulated kernels' host code needs beyond tests/emu/include/cuda_runtime.h:
// cuBLAS's products done by the CPU's GEMM, and scratch workspaces as plain heap blocks (filled with 0xff bytes, NaN as
// float, so a kernel that reads scratch before writing it shows), exactly the
// size asked for, so AddressSanitizer sees an access past the end.
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"

namespace varstar::cuda {

void* workspace_acquire(size_t bytes, cuda_stream /*stream*/) {
  void* p = std::malloc(bytes > 0 ? bytes : 1);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0xff, bytes);
  return p;
}

void workspace_release(void* ptr) { std::free(ptr); }

}  // namespace varstar::cuda

// ---- cuBLAS's products, by the CPU's (kernels/gemm.h: the same row-major contract) ----

namespace varstar::cuda {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, cuda_stream /*stream*/) {
  if (m == 0 || n == 0) return;
  cpu::gemm<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm_strided_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                          float* c, int64_t ldc, int64_t stride_c, int64_t batch, cuda_stream /*stream*/) {
  if (m == 0 || n == 0 || batch == 0) return;
  cpu::gemm_strided_batched<float>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                                   stride_c, batch);
}

void set_allow_tf32(bool /*allow*/) {}
bool allow_tf32() { return false; }

}  // namespace varstar::cuda
