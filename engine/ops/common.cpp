// Argument checks and geometry helpers for the op front ends.
#include "engine/ops/common.h"

namespace varstar::detail {

void no_cuda_backend() {
  throw Error("this varstar was built without the CUDA backend (configure with -DVARSTAR_CUDA=ON)");
}

void check_defined(const Tensor& t, const char* op, const char* arg) {
  VARSTAR_CHECK(t.defined(), "{}: argument '{}' is an undefined tensor", op, arg);
}

void check_same_device(const Tensor& ref, const Tensor& t, const char* op, const char* arg) {
  VARSTAR_CHECK(ref.device() == t.device(), "{}: expected '{}' on {} (like the first input), got {}", op, arg,
                ref.device().str(), t.device().str());
}

void check_same_dtype(const Tensor& ref, const Tensor& t, const char* op, const char* arg) {
  VARSTAR_CHECK(ref.dtype() == t.dtype(), "{}: expected '{}' of dtype {} (like the first input), got {}", op,
                arg, dtype_name(ref.dtype()), dtype_name(t.dtype()));
}

void check_floating(const Tensor& t, const char* op, const char* arg) {
  VARSTAR_CHECK(is_floating(t.dtype()), "{}: expected '{}' to be float32 or float64, got {}", op, arg,
                dtype_name(t.dtype()));
}

void check_dtype(const Tensor& t, DType dtype, const char* op, const char* arg) {
  VARSTAR_CHECK(t.dtype() == dtype, "{}: expected '{}' of dtype {}, got {}", op, arg, dtype_name(dtype),
                dtype_name(t.dtype()));
}

void check_ndim(const Tensor& t, int64_t ndim, const char* op, const char* arg, const char* layout) {
  VARSTAR_CHECK(t.dim() == ndim, "{}: expected '{}' with {} dimensions {}, got shape {}", op, arg, ndim,
                layout, shape_str(t.shape()));
}

void check_shape(const Tensor& t, const Shape& shape, const char* op, const char* arg) {
  VARSTAR_CHECK(t.shape() == shape, "{}: expected '{}' of shape {}, got {}", op, arg, shape_str(shape),
                shape_str(t.shape()));
}

void check_cuda_dtype(const Tensor& t, const char* op) {
  VARSTAR_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::i32,
                "{}: the CUDA backend computes in float32, got a {} tensor", op, dtype_name(t.dtype()));
}

cuda_stream stream_for(const Tensor& t) { return cuda::current_stream(t.device().index); }

StridedGeometry strided_geometry(const Tensor& t) {
  VARSTAR_CHECK(t.dim() <= kMaxDims, "tensors have at most {} dimensions, got {}", kMaxDims, t.dim());
  StridedGeometry g;
  g.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < g.ndim; ++d) {
    g.shape[d] = t.shape()[d];
    g.strides[d] = t.strides()[d];
  }
  return g;
}

BroadcastGeometry broadcast_geometry(const Tensor& a, const Tensor& b, const Shape& out) {
  VARSTAR_CHECK(static_cast<int64_t>(out.size()) <= kMaxDims, "tensors have at most {} dimensions", kMaxDims);
  BroadcastGeometry g;
  g.ndim = static_cast<int>(out.size());
  const auto fill = [&](const Tensor& t, int64_t* strides) {
    const int64_t lead = static_cast<int64_t>(out.size()) - t.dim();
    for (int64_t d = 0; d < g.ndim; ++d) {
      if (d < lead) {
        strides[d] = 0;
      } else {
        strides[d] = t.shape()[d - lead] == 1 ? 0 : t.strides()[d - lead];
      }
    }
  };
  for (int d = 0; d < g.ndim; ++d) g.shape[d] = out[d];
  fill(a, g.stride_a);
  fill(b, g.stride_b);
  // Merge a trailing run of dimensions that are contiguous in all three, so the
  // CPU kernel's inner loop is as long as possible.
  while (g.ndim >= 2) {
    const int i = g.ndim - 1;
    const bool a_ok = g.stride_a[i - 1] == g.stride_a[i] * g.shape[i];
    const bool b_ok = g.stride_b[i - 1] == g.stride_b[i] * g.shape[i];
    if (!a_ok || !b_ok) break;
    g.shape[i - 1] *= g.shape[i];
    g.stride_a[i - 1] = g.stride_a[i];
    g.stride_b[i - 1] = g.stride_b[i];
    --g.ndim;
  }
  if (g.ndim == 0) {
    g.ndim = 1;
    g.shape[0] = 1;
    g.stride_a[0] = g.stride_b[0] = 0;
  }
  return g;
}

// Copies any view into fresh contiguous memory on the same device.
Tensor gather(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.numel() == 0) return out;
  const StridedGeometry g = detail::strided_geometry(x);
  if (x.device().is_cpu()) {
    switch (x.dtype()) {
      case DType::f32: cpu::copy_strided(x.data<float>(), g, out.data<float>()); break;
      case DType::f64: cpu::copy_strided(x.data<double>(), g, out.data<double>()); break;
      case DType::i32: cpu::copy_strided(x.data<int32_t>(), g, out.data<int32_t>()); break;
    }
  } else {
    VARSTAR_CUDA_CALL(cuda::copy_strided(x.raw_data(), dtype_size(x.dtype()), g, out.raw_data(),
                                         stream_for(x)));
  }
  return out;
}

// Writes contiguous `src` into the strided view `dst_view`.
void scatter(const Tensor& src, const Tensor& dst_view) {
  const StridedGeometry g = detail::strided_geometry(dst_view);
  if (src.numel() == 0) return;
  if (src.device().is_cpu()) {
    switch (src.dtype()) {
      case DType::f32: cpu::scatter_strided(src.data<float>(), g, dst_view.data<float>()); break;
      case DType::f64: cpu::scatter_strided(src.data<double>(), g, dst_view.data<double>()); break;
      case DType::i32: cpu::scatter_strided(src.data<int32_t>(), g, dst_view.data<int32_t>()); break;
    }
  } else {
    VARSTAR_CUDA_CALL(cuda::scatter_strided(src.raw_data(), dtype_size(src.dtype()), g, dst_view.raw_data(),
                                            stream_for(src)));
  }
}

}  // namespace varstar::detail
