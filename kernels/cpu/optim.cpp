// CPU optimizer steps.
#include "kernels/cpu/parallel.h"
#include "kernels/optim.h"

namespace varstar::cpu {

// The decay chosen once per call, outside the loop, and the parameters by
// value: the loop then has no branch and vectorises (with -fno-math-errno for
// this file, kernels/CMakeLists.txt, sqrt is one instruction). Each element's
// arithmetic is adam_update's.
template <AdamDecay Decay, class T>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t begin,
                int64_t end, const AdamParams a) {
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) adam_update_with<Decay>(p[i], g[i], m[i], v[i], a);
}

template <AdamDecay Decay, class T>
void adam_loop(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a) {
  parallel_for(n, kParallelGrain,
               [&](int64_t begin, int64_t end) { adam_range<Decay>(p, g, m, v, begin, end, a); });
}

template <class T>
void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a) {
  switch (adam_decay(a)) {
    case AdamDecay::none: return adam_loop<AdamDecay::none>(p, g, m, v, n, a);
    case AdamDecay::l2: return adam_loop<AdamDecay::l2>(p, g, m, v, n, a);
    case AdamDecay::decoupled: return adam_loop<AdamDecay::decoupled>(p, g, m, v, n, a);
  }
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
