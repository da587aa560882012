// CPU elementwise kernels. Contiguous inputs take a straight loop the compiler
// vectorises; broadcast inputs walk the output with a running multi-index.
#include "kernels/elementwise.h"

#include "kernels/cpu/parallel.h"

namespace varstar::cpu {

namespace {

template <class T, class Op>
void binary_contiguous(const T* a, const T* b, T* out, int64_t n, Op op) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = op(a[i], b[i]);
  });
}

template <class T, class Op>
void binary_broadcast(const T* a, const T* b, T* out, int64_t n, const BroadcastGeometry& g, Op op) {
  const int last = g.ndim - 1;
  const int64_t inner = g.shape[last];
  const int64_t sa = g.stride_a[last], sb = g.stride_b[last];
  const int64_t rows = n / inner;
  parallel_for(rows, kParallelGrain / (inner + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t off_a, off_b;
      broadcast_offsets(g, r * inner, off_a, off_b);
      T* o = out + r * inner;
      const T* pa = a + off_a;
      const T* pb = b + off_b;
      if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < inner; ++i) o[i] = op(pa[i], pb[i]);
      } else if (sa == 1 && sb == 0) {
        const T vb = *pb;
        for (int64_t i = 0; i < inner; ++i) o[i] = op(pa[i], vb);
      } else if (sa == 0 && sb == 1) {
        const T va = *pa;
        for (int64_t i = 0; i < inner; ++i) o[i] = op(va, pb[i]);
      } else {
        for (int64_t i = 0; i < inner; ++i) o[i] = op(pa[i * sa], pb[i * sb]);
      }
    }
  });
}

template <class T, class Op>
void binary_dispatch_geometry(const T* a, const T* b, T* out, int64_t n, const BroadcastGeometry* g, Op op) {
  if (g == nullptr) {
    binary_contiguous(a, b, out, n, op);
  } else {
    binary_broadcast(a, b, out, n, *g, op);
  }
}

template <class T, class Op>
void unary_apply(const T* x, T* y, int64_t n, Op op) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = op(x[i]);
  });
}

template <class T, class Op>
void unary_grad(const T* y, const T* dy, T* dx, int64_t n, Op op) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = op.grad(y[i], dy[i]);
  });
}

}  // namespace

template <class T>
void binary_forward(BinaryOp op, const T* a, const T* b, T* out, int64_t n, const BroadcastGeometry* g) {
  switch (op) {
    case BinaryOp::add: return binary_dispatch_geometry(a, b, out, n, g, AddOp{});
    case BinaryOp::sub: return binary_dispatch_geometry(a, b, out, n, g, SubOp{});
    case BinaryOp::mul: return binary_dispatch_geometry(a, b, out, n, g, MulOp{});
    case BinaryOp::div: return binary_dispatch_geometry(a, b, out, n, g, DivOp{});
  }
}

template <class T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n) {
  switch (op) {
    case UnaryOp::relu: return unary_apply(x, y, n, ReluOp{});
    case UnaryOp::tanh: return unary_apply(x, y, n, TanhOp{});
    case UnaryOp::sigmoid: return unary_apply(x, y, n, SigmoidOp{});
  }
}

template <class T>
void unary_backward(UnaryOp op, const T* y, const T* dy, T* dx, int64_t n) {
  switch (op) {
    case UnaryOp::relu: return unary_grad(y, dy, dx, n, ReluOp{});
    case UnaryOp::tanh: return unary_grad(y, dy, dx, n, TanhOp{});
    case UnaryOp::sigmoid: return unary_grad(y, dy, dx, n, SigmoidOp{});
  }
}

template <class T>
void affine_forward(const T* x, T* y, int64_t n, T alpha, T beta) {
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = alpha * x[i] + beta;
  });
}

#define VARSTAR_INSTANTIATE(T)                                                                      \
  template void binary_forward<T>(BinaryOp, const T*, const T*, T*, int64_t, const BroadcastGeometry*); \
  template void unary_forward<T>(UnaryOp, const T*, T*, int64_t);                                   \
  template void unary_backward<T>(UnaryOp, const T*, const T*, T*, int64_t);                        \
  template void affine_forward<T>(const T*, T*, int64_t, T, T);
VARSTAR_INSTANTIATE(float)
VARSTAR_INSTANTIATE(double)
#undef VARSTAR_INSTANTIATE

}  // namespace varstar::cpu
