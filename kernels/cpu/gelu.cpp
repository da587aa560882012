// CPU GELU: straight loops over the shared math, split across threads.
#include "kernels/cpu/parallel.h"
#include "kernels/gelu.h"
#include "kernels/gelu_math.h"

namespace varstar::cpu {

template <class T>
void gelu_forward(const T* x, T* y, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = gelu_value(x[i]);
  });
}

template <class T>
void gelu_backward(const T* x, const T* dy, T* dx, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = gelu_grad(x[i], dy[i]);
  });
}

template void gelu_forward<float>(const float*, float*, int64_t);
template void gelu_forward<double>(const double*, double*, int64_t);
template void gelu_backward<float>(const float*, const float*, float*, int64_t);
template void gelu_backward<double>(const double*, const double*, double*, int64_t);

}  // namespace varstar::cpu
