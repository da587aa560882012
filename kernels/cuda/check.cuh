#pragma once
// Checking macros for CUDA code: every runtime call and every launch is
// checked; the error names the statement, file:line and CUDA's own message.
// VARSTAR_SYNC_DEBUG=1 in the environment synchronises after every launch, so
// an asynchronous fault is reported at the kernel that caused it.
// (.cu files include this, never fmt: the exception is built in check.cpp.)
#include <cuda_runtime.h>

#include <cstdint>

namespace varstar::cuda::detail {

bool sync_debug();
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line);
void check_launch(const char* kernel, const char* file, int line);

inline unsigned grid_for(int64_t n, unsigned block) {
  const int64_t blocks = (n + block - 1) / block;
  constexpr int64_t kMaxBlocks = 65535LL * 32;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace varstar::cuda::detail

#define VARSTAR_CUDA_CHECK(expr)                                                              \
  do {                                                                                        \
    const cudaError_t varstar_err_ = (expr);                                                  \
    if (varstar_err_ != cudaSuccess)                                                          \
      ::varstar::cuda::detail::throw_cuda_error(varstar_err_, #expr, __FILE__, __LINE__);     \
  } while (0)

// After a <<<...>>> launch: VARSTAR_CUDA_CHECK_LAUNCH("kernel_name");
#define VARSTAR_CUDA_CHECK_LAUNCH(name) ::varstar::cuda::detail::check_launch(name, __FILE__, __LINE__)
