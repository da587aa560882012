// CPU optimizer steps.
#include "kernels/cpu/parallel.h"
#include "kernels/optim.h"

namespace varstar::cpu {

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) adam_update(p[i], g[i], m[i], v[i], a);
  });
}

template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdParams& s) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    T unused = 0;
    for (int64_t i = begin; i < end; ++i) sgd_update(p[i], g[i], buf != nullptr ? buf[i] : unused, s);
  });
}

template void adam_step<float>(float*, const float*, float*, float*, int64_t, const AdamParams&);
template void adam_step<double>(double*, const double*, double*, double*, int64_t, const AdamParams&);
template void sgd_step<float>(float*, const float*, float*, int64_t, const SgdParams&);
template void sgd_step<double>(double*, const double*, double*, int64_t, const SgdParams&);

}  // namespace varstar::cpu
