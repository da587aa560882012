#pragma once
// Numerically stable row log-softmax shared by the CPU and CUDA backends.
#include "kernels/elementwise_math.h"

namespace varstar {

// log(sum_k exp(row[k])), computed as max + log(sum exp(row - max)).
template <class T>
VARSTAR_HD T row_logsumexp(const T* row, int64_t c) {
  T m = row[0];
  for (int64_t k = 1; k < c; ++k) m = row[k] > m ? row[k] : m;
  T s = 0;
  for (int64_t k = 0; k < c; ++k) s += vs_exp(row[k] - m);
  return m + vs_log(s);
}

}  // namespace varstar
