// CPU dropout (see kernels/dropout.h).
#include "kernels/cpu/parallel.h"
#include "kernels/dropout.h"

namespace varstar::cpu {

template <class T>
void dropout_apply(const T* x, T* y, int64_t n, float p, uint64_t seed, uint64_t offset) {
  const T scale = T(1) / (T(1) - static_cast<T>(p));
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = dropout_value(dropout_keep(seed, offset + i, p), x[i], scale);
  });
}

template void dropout_apply<float>(const float*, float*, int64_t, float, uint64_t, uint64_t);
template void dropout_apply<double>(const double*, double*, int64_t, float, uint64_t, uint64_t);

}  // namespace varstar::cpu
