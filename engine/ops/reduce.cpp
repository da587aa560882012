// Front ends of the reductions: sum, mean, and sum_to (broadcast gradients).
#include <algorithm>

#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/reduce.h"

namespace varstar {

namespace {

// Sum over one dimension, keeping it with size 1. No autograd.
Tensor sum_one_dim(const Tensor& x, int64_t d) {
  Tensor xc = x.contiguous();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int64_t n = x.shape()[d];
  Shape out_shape = x.shape();
  out_shape[d] = 1;
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  VARSTAR_PROFILE_COST(x.numel(), (x.numel() + out.numel()) * dtype_size(x.dtype()));
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), "sum", [&] {
      cpu::sum_dim<scalar_t>(xc.data<scalar_t>(), out.data<scalar_t>(), outer, n, inner);
    });
  } else {
    detail::check_cuda_dtype(x, "sum");
    VARSTAR_CUDA_CALL(cuda::sum_dim(xc.data<float>(), out.data<float>(), outer, n, inner, detail::stream_for(x)));
  }
  return out;
}

std::vector<int64_t> normalise_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
  } else {
    for (int64_t d : dims) out.push_back(wrap_dim(d, x.dim(), op));
  }
  std::sort(out.begin(), out.end());
  VARSTAR_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), "{}: a dimension is repeated", op);
  return out;
}

// Sums over sorted `dims`; result keeps them as size 1. No autograd.
Tensor sum_keepdim(const Tensor& x, const std::vector<int64_t>& dims) {
  if (dims.size() == static_cast<size_t>(x.dim()) && x.dim() > 1) {
    // Everything: one pass over the flattened tensor.
    Tensor flat = sum_one_dim(x.detach().reshape({x.numel()}), 0);
    return flat.reshape(Shape(x.dim(), 1));
  }
  Tensor acc = x.detach();
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) acc = sum_one_dim(acc, *it);
  return acc;
}

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) {
      out.push_back(shape[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

Tensor reduce(const char* name, const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim, bool average) {
  detail::check_defined(x, name, "x");
  detail::check_floating(x, name, "x");
  const std::vector<int64_t> dims = normalise_dims(x, dims_in, name);
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x.dim() == 0 ? x.detach().clone() : sum_keepdim(x, dims);
    if (average) out = mul_scalar(out, count > 0 ? 1.0 / static_cast<double>(count) : 0.0);
    out = out.reshape(reduced_shape(x.shape(), dims, keepdim)).detach();
  }
  const Shape in_shape = x.shape();
  const Shape keep_shape = reduced_shape(in_shape, dims, true);
  const double scale = average && count > 0 ? 1.0 / static_cast<double>(count) : 1.0;
  record_op(name, {x}, {out}, [in_shape, keep_shape, scale](const std::vector<Tensor>& g) {
    Tensor grad = g[0].reshape(keep_shape).expand(in_shape).contiguous();
    if (scale != 1.0) grad = mul_scalar(grad, scale);
    return std::vector<Tensor>{grad};
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  VARSTAR_PROFILE_OP("sum", x);
  return reduce("sum", x, dims, keepdim, false);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  VARSTAR_PROFILE_OP("mean", x);
  return reduce("mean", x, dims, keepdim, true);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  VARSTAR_CHECK(lead >= 0, "sum_to: cannot reduce {} to {}", shape_str(x.shape()), shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
      dims.push_back(d);
    } else {
      VARSTAR_CHECK(shape[d - lead] == x.shape()[d], "sum_to: cannot reduce {} to {}", shape_str(x.shape()),
                    shape_str(shape));
    }
  }
  return sum(x, dims, true).reshape(shape);
}

}  // namespace varstar
