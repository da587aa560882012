// View ops (reshape, permute, slice, select, expand) and copies (contiguous,
// device and dtype transfers), each with its backward rule.
#include "engine/ops/view.h"

#include <numeric>

#include "engine/ops.h"
#include "engine/ops/common.h"

namespace varstar::ops_view {

namespace {

// Gradient of a view: zeros of the base's shape with `g` written through the
// same view geometry (relative to a contiguous base).
Tensor view_backward(const Tensor& g, const Shape& base_shape, const Shape& view_shape,
                     const Shape& view_strides, int64_t view_offset) {
  Tensor base = Tensor::zeros(base_shape, g.dtype(), g.device());
  detail::scatter(g.contiguous(), make_view(base, view_shape, view_strides, view_offset));
  return base;
}

}  // namespace

Tensor contiguous(const Tensor& x) {
  VARSTAR_PROFILE_OP("contiguous", x);
  detail::check_defined(x, "contiguous", "x");
  VARSTAR_PROFILE_COST(0, 2 * x.nbytes());
  Tensor out = detail::gather(x);
  record_op("contiguous", {x}, {out}, [](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0]}; });
  return out;
}

Tensor to_device(const Tensor& x, Device device) {
  VARSTAR_PROFILE_OP("to_device", x);
  detail::check_defined(x, "to", "x");
  VARSTAR_PROFILE_COST(0, x.nbytes());  // bytes over the bus
  if (device.is_cuda()) detail::check_cuda_dtype(x, "to(cuda)");
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), device);
  out.copy_(src);
  const Device from = x.device();
  record_op("to_device", {x}, {out},
            [from](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0].to(from)}; });
  return out;
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  VARSTAR_PROFILE_OP("to_dtype", x);
  detail::check_defined(x, "to", "x");
  Tensor src = x.detach().contiguous();
  Tensor out = Tensor::empty(x.shape(), dtype, x.device());
  VARSTAR_PROFILE_COST(x.numel(), x.nbytes() + out.nbytes());
  const int64_t n = x.numel();
  if (x.device().is_cpu()) {
    const DType from = x.dtype();
    if (from == DType::f32 && dtype == DType::f64) cpu::cast(src.data<float>(), out.data<double>(), n);
    else if (from == DType::f64 && dtype == DType::f32) cpu::cast(src.data<double>(), out.data<float>(), n);
    else if (from == DType::i32 && dtype == DType::f32) cpu::cast(src.data<int32_t>(), out.data<float>(), n);
    else if (from == DType::i32 && dtype == DType::f64) cpu::cast(src.data<int32_t>(), out.data<double>(), n);
    else if (from == DType::f32 && dtype == DType::i32) cpu::cast(src.data<float>(), out.data<int32_t>(), n);
    else if (from == DType::f64 && dtype == DType::i32) cpu::cast(src.data<double>(), out.data<int32_t>(), n);
  } else {
    VARSTAR_CHECK(x.dtype() == DType::i32 && dtype == DType::f32,
                  "to({}): the CUDA backend casts int32 -> float32 only, got {}", dtype_name(dtype),
                  dtype_name(x.dtype()));
    VARSTAR_CUDA_CALL(cuda::cast(src.data<int32_t>(), out.data<float>(), n, detail::stream_for(x)));
  }
  if (is_floating(x.dtype()) && is_floating(dtype)) {
    const DType from = x.dtype();
    record_op("to_dtype", {x}, {out}, [from](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0].to(from)}; });
  }
  return out;
}

Tensor reshape(const Tensor& x, const Shape& requested) {
  VARSTAR_PROFILE_OP("reshape", x);
  detail::check_defined(x, "reshape", "x");
  Shape shape = requested;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      VARSTAR_CHECK(infer < 0, "reshape: only one dimension may be -1, got {}", shape_str(requested));
      infer = static_cast<int64_t>(i);
    } else {
      VARSTAR_CHECK(shape[i] >= 0, "reshape: invalid shape {}", shape_str(requested));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    VARSTAR_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot reshape {} into {}",
                  shape_str(x.shape()), shape_str(requested));
    shape[infer] = x.numel() / known;
  }
  VARSTAR_CHECK(shape_numel(shape) == x.numel(), "reshape: cannot reshape {} ({} elements) into {} ({} elements)",
                shape_str(x.shape()), x.numel(), shape_str(shape), shape_numel(shape));
  if (!x.is_contiguous()) VARSTAR_PROFILE_COST(0, 2 * x.nbytes());  // not viewable: copied
  Tensor base = x.is_contiguous() ? x.detach() : detail::gather(x);
  Tensor out = make_view(base, shape, contiguous_strides(shape), base.offset());
  const Shape in_shape = x.shape();
  record_op("reshape", {x}, {out},
            [in_shape](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0].reshape(in_shape)}; });
  return out;
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  VARSTAR_PROFILE_OP("permute", x);
  detail::check_defined(x, "permute", "x");
  VARSTAR_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), "permute: {} dims given for a {}-d tensor",
                dims.size(), x.dim());
  Shape shape(dims.size()), strides(dims.size());
  std::vector<int64_t> inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    VARSTAR_CHECK(inverse[d] < 0, "permute: dimension {} repeated in the permutation", d);
    inverse[d] = static_cast<int64_t>(i);
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  record_op("permute", {x}, {out},
            [inverse](const std::vector<Tensor>& g) { return std::vector<Tensor>{g[0].permute(inverse)}; });
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  VARSTAR_PROFILE_OP("slice", x);
  detail::check_defined(x, "slice", "x");
  const int64_t d = wrap_dim(dim, x.dim(), "slice");
  const int64_t n = x.shape()[d];
  VARSTAR_CHECK(step > 0, "slice: step must be positive, got {}", step);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  const int64_t offset = x.offset() + start * x.strides()[d];
  Tensor out = make_view(x, shape, strides, offset);
  const Shape base_shape = x.shape();
  Shape rel_strides = contiguous_strides(base_shape);
  const int64_t rel_offset = start * rel_strides[d];
  rel_strides[d] *= step;
  record_op("slice", {x}, {out}, [base_shape, shape, rel_strides, rel_offset](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{view_backward(g[0], base_shape, shape, rel_strides, rel_offset)};
  });
  return out;
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  VARSTAR_PROFILE_OP("select", x);
  detail::check_defined(x, "select", "x");
  const int64_t d = wrap_dim(dim, x.dim(), "select");
  const int64_t n = x.shape()[d];
  VARSTAR_CHECK(index >= -n && index < n, "select: index {} out of range for dimension {} of size {}", index, d, n);
  if (index < 0) index += n;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_view(x, shape, strides, x.offset() + index * x.strides()[d]);
  const Shape base_shape = x.shape();
  Shape rel_strides = contiguous_strides(base_shape);
  const int64_t rel_offset = index * rel_strides[d];
  rel_strides.erase(rel_strides.begin() + d);
  record_op("select", {x}, {out}, [base_shape, shape, rel_strides, rel_offset](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{view_backward(g[0], base_shape, shape, rel_strides, rel_offset)};
  });
  return out;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  VARSTAR_PROFILE_OP("expand", x);
  detail::check_defined(x, "expand", "x");
  VARSTAR_CHECK(static_cast<int64_t>(shape.size()) >= x.dim(), "expand: cannot expand {} to fewer dimensions {}",
                shape_str(x.shape()), shape_str(shape));
  const int64_t lead = static_cast<int64_t>(shape.size()) - x.dim();
  Shape strides(shape.size(), 0);
  for (int64_t i = 0; i < x.dim(); ++i) {
    const int64_t s = x.shape()[i];
    VARSTAR_CHECK(s == shape[lead + i] || s == 1, "expand: cannot expand {} to {}", shape_str(x.shape()),
                  shape_str(shape));
    strides[lead + i] = s == 1 ? 0 : x.strides()[i];
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  const Shape in_shape = x.shape();
  record_op("expand", {x}, {out},
            [in_shape](const std::vector<Tensor>& g) { return std::vector<Tensor>{sum_to(g[0], in_shape)}; });
  return out;
}

}  // namespace varstar::ops_view
