// Front ends of the elementwise ops: add, sub, mul, div (broadcasting),
// scalar arithmetic, relu, tanh, sigmoid.
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/elementwise.h"

namespace varstar {

namespace {

// Profiler count: relu is a compare, tanh and sigmoid an exponential and a few operations.
double unary_flops_per_element(UnaryOp op) { return op == UnaryOp::relu ? 1.0 : 4.0; }

Tensor binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  detail::check_defined(a, name, "a");
  detail::check_defined(b, name, "b");
  detail::check_same_device(a, b, name, "b");
  detail::check_same_dtype(a, b, name, "b");
  detail::check_floating(a, name, "a");
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const int64_t n = out.numel();
  VARSTAR_PROFILE_COST(n, (a.numel() + b.numel() + n) * dtype_size(a.dtype()));
  if (n == 0) return out;
  const bool plain = a.shape() == b.shape() && a.is_contiguous() && b.is_contiguous();
  const BroadcastGeometry geometry = plain ? BroadcastGeometry{} : detail::broadcast_geometry(a, b, out_shape);
  const BroadcastGeometry* g = plain ? nullptr : &geometry;
  if (a.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(a.dtype(), name, [&] {
      cpu::binary_forward<scalar_t>(op, a.data<scalar_t>(), b.data<scalar_t>(), out.data<scalar_t>(), n, g);
    });
  } else {
    detail::check_cuda_dtype(a, name);
    VARSTAR_CUDA_CALL(cuda::binary_forward(op, a.data<float>(), b.data<float>(), out.data<float>(), n, g,
                                           detail::stream_for(a)));
  }
  return out;
}

Tensor unary(UnaryOp op, const char* name, const Tensor& x) {
  detail::check_defined(x, name, "x");
  detail::check_floating(x, name, "x");
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const int64_t n = x.numel();
  VARSTAR_PROFILE_COST(unary_flops_per_element(op) * n, 2 * n * dtype_size(x.dtype()));
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), name,
                              [&] { cpu::unary_forward<scalar_t>(op, xc.data<scalar_t>(), y.data<scalar_t>(), n); });
  } else {
    detail::check_cuda_dtype(x, name);
    VARSTAR_CUDA_CALL(cuda::unary_forward(op, xc.data<float>(), y.data<float>(), n, detail::stream_for(x)));
  }
  Tensor y_saved = y.detach();
  record_op(name, {x}, {y}, [op, name, y_saved](const std::vector<Tensor>& g) {
    Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
    const int64_t n = dy.numel();
    VARSTAR_PROFILE_COST(2 * n, 3 * n * dtype_size(dy.dtype()));
    if (dy.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(dy.dtype(), name, [&] {
        cpu::unary_backward<scalar_t>(op, y_saved.data<scalar_t>(), dy.data<scalar_t>(), dx.data<scalar_t>(), n);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::unary_backward(op, y_saved.data<float>(), dy.data<float>(), dx.data<float>(), n,
                                             detail::stream_for(dy)));
    }
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor affine(const char* name, const Tensor& x, double alpha, double beta) {
  detail::check_defined(x, name, "x");
  detail::check_floating(x, name, "x");
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const int64_t n = x.numel();
  VARSTAR_PROFILE_COST(2 * n, 2 * n * dtype_size(x.dtype()));
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), name, [&] {
      cpu::affine_forward<scalar_t>(xc.data<scalar_t>(), y.data<scalar_t>(), n, static_cast<scalar_t>(alpha),
                                    static_cast<scalar_t>(beta));
    });
  } else {
    detail::check_cuda_dtype(x, name);
    VARSTAR_CUDA_CALL(cuda::affine_forward(xc.data<float>(), y.data<float>(), n, static_cast<float>(alpha),
                                           static_cast<float>(beta), detail::stream_for(x)));
  }
  return y;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  VARSTAR_PROFILE_OP("add", a, b);
  Tensor out = binary(BinaryOp::add, "add", a, b);
  const Shape sa = a.shape(), sb = b.shape();
  record_op("add", {a, b}, {out}, [sa, sb](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{sum_to(g[0], sa), sum_to(g[0], sb)};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  VARSTAR_PROFILE_OP("sub", a, b);
  Tensor out = binary(BinaryOp::sub, "sub", a, b);
  const Shape sa = a.shape(), sb = b.shape();
  const bool need_b = b.requires_grad();
  record_op("sub", {a, b}, {out}, [sa, sb, need_b](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{sum_to(g[0], sa), need_b ? sum_to(mul_scalar(g[0], -1.0), sb) : Tensor()};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  VARSTAR_PROFILE_OP("mul", a, b);
  Tensor out = binary(BinaryOp::mul, "mul", a, b);
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record_op("mul", {a, b}, {out}, [ad, bd, need_a, need_b](const std::vector<Tensor>& g) {
      return std::vector<Tensor>{need_a ? sum_to(mul(g[0], bd), ad.shape()) : Tensor(),
                                 need_b ? sum_to(mul(g[0], ad), bd.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  VARSTAR_PROFILE_OP("div", a, b);
  Tensor out = binary(BinaryOp::div, "div", a, b);
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record_op("div", {a, b}, {out}, [ad, bd, need_a, need_b](const std::vector<Tensor>& g) {
      Tensor da, db;
      if (need_a) da = sum_to(div(g[0], bd), ad.shape());
      if (need_b) db = sum_to(mul_scalar(div(mul(g[0], ad), mul(bd, bd)), -1.0), bd.shape());
      return std::vector<Tensor>{da, db};
    });
  }
  return out;
}

Tensor mul_scalar(const Tensor& x, double s) {
  VARSTAR_PROFILE_OP("mul_scalar", x);
  Tensor y = affine("mul_scalar", x, s, 0.0);
  record_op("mul_scalar", {x}, {y}, [s](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{mul_scalar(g[0], s)};
  });
  return y;
}

Tensor add_scalar(const Tensor& x, double s) {
  VARSTAR_PROFILE_OP("add_scalar", x);
  Tensor y = affine("add_scalar", x, 1.0, s);
  record_op("add_scalar", {x}, {y}, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return y;
}

Tensor relu(const Tensor& x) {
  VARSTAR_PROFILE_OP("relu", x);
  return unary(UnaryOp::relu, "relu", x);
}
Tensor tanh(const Tensor& x) {
  VARSTAR_PROFILE_OP("tanh", x);
  return unary(UnaryOp::tanh, "tanh", x);
}
Tensor sigmoid(const Tensor& x) {
  VARSTAR_PROFILE_OP("sigmoid", x);
  return unary(UnaryOp::sigmoid, "sigmoid", x);
}

}  // namespace varstar
