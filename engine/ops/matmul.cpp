// Front ends of matmul and linear (y = x W^T + b), GEMM-backed.
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "engine/ops/gemm_util.h"

namespace varstar {

Tensor matmul(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  VARSTAR_PROFILE_OP(op, a, b);
  detail::check_defined(a, op, "a");
  detail::check_defined(b, op, "b");
  detail::check_same_device(a, b, op, "b");
  detail::check_same_dtype(a, b, op, "b");
  detail::check_floating(a, op, "a");
  VARSTAR_CHECK((a.dim() == 2 || a.dim() == 3) && (b.dim() == 2 || b.dim() == 3) && !(a.dim() == 2 && b.dim() == 3),
                "matmul: expected (M, K) @ (K, N), (B, M, K) @ (B, K, N) or (B, M, K) @ (K, N), got {} @ {}",
                shape_str(a.shape()), shape_str(b.shape()));
  const int64_t k = a.shape()[a.dim() - 1];
  VARSTAR_CHECK(b.shape()[b.dim() - 2] == k, "matmul: inner dimensions differ: {} @ {}", shape_str(a.shape()),
                shape_str(b.shape()));
  // Profiler count: 2 M N K per batch entry; a, b read and the output written.
  VARSTAR_PROFILE_COST(2.0 * static_cast<double>(a.numel()) * static_cast<double>(b.shape()[b.dim() - 1]),
                       (a.numel() + b.numel() + a.numel() / std::max<int64_t>(k, 1) * b.shape()[b.dim() - 1]) *
                           dtype_size(a.dtype()));
  Tensor out;
  if (a.dim() == 2) {
    out = Tensor::empty({a.shape()[0], b.shape()[1]}, a.dtype(), a.device());
    detail::gemm_into(a, false, b, false, out, 1.0, 0.0);
  } else if (b.dim() == 2) {
    const int64_t batch = a.shape()[0], m = a.shape()[1], n = b.shape()[1];
    out = Tensor::empty({batch, m, n}, a.dtype(), a.device());
    NoGradGuard no_grad;
    detail::gemm_into(a.detach().reshape({batch * m, k}), false, b, false, out.reshape({batch * m, n}), 1.0, 0.0);
  } else {
    VARSTAR_CHECK(a.shape()[0] == b.shape()[0], "matmul: batch sizes differ: {} @ {}", shape_str(a.shape()),
                  shape_str(b.shape()));
    out = Tensor::empty({a.shape()[0], a.shape()[1], b.shape()[2]}, a.dtype(), a.device());
    detail::gemm_batched_into(a, false, b, false, out, 1.0, 0.0);
  }
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record_op(op, {a, b}, {out}, [ad, bd, need_a, need_b](const std::vector<Tensor>& g) {
      Tensor da, db;
      const Tensor& gy = g[0];
      if (ad.dim() == 2) {
        if (need_a) da = matmul(gy, bd.transpose(0, 1));
        if (need_b) db = matmul(ad.transpose(0, 1), gy);
      } else if (bd.dim() == 2) {
        if (need_a) da = matmul(gy, bd.transpose(0, 1));
        if (need_b) {
          const int64_t k = ad.shape()[2], n = gy.shape()[2];
          db = matmul(ad.reshape({-1, k}).transpose(0, 1), gy.reshape({-1, n}));
        }
      } else {
        if (need_a) da = matmul(gy, bd.transpose(1, 2));
        if (need_b) db = matmul(ad.transpose(1, 2), gy);
      }
      return std::vector<Tensor>{da, db};
    });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  VARSTAR_PROFILE_OP(op, x, weight, bias);
  detail::check_defined(x, op, "x");
  detail::check_defined(weight, op, "weight");
  detail::check_same_device(x, weight, op, "weight");
  detail::check_same_dtype(x, weight, op, "weight");
  detail::check_floating(x, op, "x");
  detail::check_ndim(weight, 2, op, "weight", "(out_features, in_features)");
  VARSTAR_CHECK(x.dim() >= 1, "linear: expected x of shape (..., in_features), got a scalar");
  const int64_t in = weight.shape()[1], out_features = weight.shape()[0];
  VARSTAR_CHECK(x.shape().back() == in, "linear: x has {} features (shape {}), weight expects {} (shape {})",
                x.shape().back(), shape_str(x.shape()), in, shape_str(weight.shape()));
  if (bias.defined()) {
    detail::check_same_device(x, bias, op, "bias");
    detail::check_same_dtype(x, bias, op, "bias");
    detail::check_shape(bias, {out_features}, op, "bias");
  }
  const int64_t rows = in == 0 ? 0 : x.numel() / in;
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  VARSTAR_PROFILE_COST(2.0 * static_cast<double>(rows) * static_cast<double>(in) * static_cast<double>(out_features),
                       (x.numel() + weight.numel() + (bias.defined() ? out_features : 0) + y.numel()) *
                           dtype_size(x.dtype()));
  {
    NoGradGuard no_grad;
    Tensor x2 = x.detach().reshape({rows, in});
    Tensor y2 = y.reshape({rows, out_features});
    double beta = 0.0;
    if (bias.defined()) {
      y2.copy_(bias.detach().expand({rows, out_features}));
      beta = 1.0;
    }
    detail::gemm_into(x2, false, weight.detach(), true, y2, 1.0, beta);
  }
  if (any_requires_grad({&x, &weight, &bias})) {
    const Tensor xd = x.detach(), wd = weight.detach();
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad(),
               need_b = bias.defined() && bias.requires_grad();
    record_op(op, {x, weight, bias}, {y}, [xd, wd, need_x, need_w, need_b, rows, in, out_features](const std::vector<Tensor>& g) {
      Tensor g2 = g[0].reshape({rows, out_features});
      VARSTAR_PROFILE_COST(2.0 * static_cast<double>(rows) * static_cast<double>(in) * static_cast<double>(out_features) *
                               ((need_x ? 1 : 0) + (need_w ? 1 : 0)),
                           ((need_x ? g2.numel() + wd.numel() + xd.numel() : 0) +
                            (need_w ? g2.numel() + xd.numel() + wd.numel() : 0)) *
                               dtype_size(g2.dtype()));
      Tensor dx, dw, db;
      if (need_x) {
        dx = Tensor::empty({rows, in}, g2.dtype(), g2.device());
        detail::gemm_into(g2, false, wd, false, dx, 1.0, 0.0);
        dx = dx.reshape(xd.shape());
      }
      if (need_w) {
        dw = Tensor::empty({out_features, in}, g2.dtype(), g2.device());
        detail::gemm_into(g2, true, xd.reshape({rows, in}), false, dw, 1.0, 0.0);
      }
      if (need_b) db = sum(g2, {0});
      return std::vector<Tensor>{dx, dw, db};
    });
  }
  return y;
}

}  // namespace varstar
