// Tensor: creation, element access, copies between devices and dtypes.
// View methods forward to the recorded ops in engine/ops/view.cpp.
#include "engine/tensor.h"

#include <cstring>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "engine/ops/view.h"

namespace varstar {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape) VARSTAR_CHECK(s >= 0, "negative dimension in shape {}", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  impl->storage = std::make_shared<Storage>(bytes, device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  VARSTAR_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
                "from_vector: {} values do not fill shape {}", values.size(), shape_str(shape));
  Tensor host = empty(shape, dtype_of<T>(), Device::cpu());
  if (!values.empty()) std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(T));
  return device.is_cpu() ? host : host.to(device);
}
template Tensor Tensor::from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector<int32_t>(const std::vector<int32_t>&, const Shape&, Device);

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] != 1 && strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "undefined";
  return fmt::format("{}{} {}", dtype_name(dtype()), shape_str(shape()), device().str());
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + offset() * static_cast<int64_t>(dtype_size(dtype()));
}

template <class T>
T* Tensor::data() const {
  VARSTAR_CHECK(dtype() == dtype_of<T>(), "data<{}>() on a {} tensor", dtype_name(dtype_of<T>()),
                dtype_name(dtype()));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int32_t* Tensor::data<int32_t>() const;

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->offset = impl_->offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Tensor& Tensor::set_requires_grad(bool value) {
  VARSTAR_CHECK(!value || is_floating(dtype()), "only floating tensors can require grad, got {}",
                dtype_name(dtype()));
  VARSTAR_CHECK(is_leaf() || value, "cannot clear requires_grad of a non-leaf tensor; use detach()");
  impl().requires_grad = value;
  return *this;
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  VARSTAR_CHECK(requires_grad(), "backward() on a tensor that does not require grad (nothing to differentiate)");
  Tensor seed = grad;
  if (!seed.defined()) {
    VARSTAR_CHECK(numel() == 1, "backward() without a gradient needs a one-element tensor, got shape {}",
                  shape_str(shape()));
    seed = Tensor::ones(shape(), dtype(), device());
  }
  run_backward(*this, seed, retain_graph);
}

// ---- copies ---------------------------------------------------------------------

void Tensor::copy_(const Tensor& src) {
  VARSTAR_CHECK(src.shape() == shape(), "copy_: shape {} into {}", shape_str(src.shape()), shape_str(shape()));
  VARSTAR_CHECK(src.dtype() == dtype(), "copy_: dtype {} into {}", dtype_name(src.dtype()), dtype_name(dtype()));
  VARSTAR_CHECK(is_contiguous(), "copy_: the destination must be contiguous");
  NoGradGuard no_grad;
  Tensor s = src.contiguous();
  const size_t bytes = nbytes();
  if (bytes == 0) return;
  if (device().is_cpu() && s.device().is_cpu()) {
    std::memmove(raw_data(), s.raw_data(), bytes);
  } else if (device().is_cpu()) {
    cuda::copy_device_to_host(raw_data(), s.raw_data(), bytes, s.device().index);
  } else if (s.device().is_cpu()) {
    cuda::copy_host_to_device(raw_data(), s.raw_data(), bytes, device().index);
  } else {
    VARSTAR_CHECK(s.device() == device(), "copy_ between two GPUs is not supported");
    cuda::copy_device_to_device(raw_data(), s.raw_data(), bytes, device().index);
  }
}

void Tensor::fill_(double value) {
  VARSTAR_CHECK(is_contiguous(), "fill_: the tensor must be contiguous");
  const int64_t n = numel();
  if (device().is_cpu()) {
    switch (dtype()) {
      case DType::f32: cpu::fill(data<float>(), n, static_cast<float>(value)); break;
      case DType::f64: cpu::fill(data<double>(), n, value); break;
      case DType::i32: cpu::fill(data<int32_t>(), n, static_cast<int32_t>(value)); break;
    }
    return;
  }
  detail::check_cuda_dtype(*this, "fill_");
  if (dtype() == DType::f32) {
    VARSTAR_CUDA_CALL(cuda::fill(data<float>(), n, static_cast<float>(value), detail::stream_for(*this)));
  } else {
    VARSTAR_CUDA_CALL(cuda::fill(data<int32_t>(), n, static_cast<int32_t>(value), detail::stream_for(*this)));
  }
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = detach().cpu().contiguous();
  const T* p = host.data<T>();
  return std::vector<T>(p, p + host.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;

double Tensor::item() const {
  VARSTAR_CHECK(numel() == 1, "item() needs a one-element tensor, got shape {}", shape_str(shape()));
  switch (dtype()) {
    case DType::f32: return to_vector<float>()[0];
    case DType::f64: return to_vector<double>()[0];
    case DType::i32: return to_vector<int32_t>()[0];
  }
  return 0;
}

// ---- view wrappers ----------------------------------------------------------------

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : ops_view::contiguous(*this); }
Tensor Tensor::clone() const { return ops_view::contiguous(*this); }
Tensor Tensor::to(Device device) const { return device == this->device() ? *this : ops_view::to_device(*this, device); }
Tensor Tensor::to(DType dtype) const { return dtype == this->dtype() ? *this : ops_view::to_dtype(*this, dtype); }
Tensor Tensor::reshape(const Shape& shape) const { return ops_view::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim) const {
  const int64_t start = wrap_dim(start_dim, dim(), "flatten");
  Shape s(shape().begin(), shape().begin() + start);
  int64_t rest = 1;
  for (int64_t d = start; d < dim(); ++d) rest *= shape()[d];
  s.push_back(rest);
  return reshape(s);
}
Tensor Tensor::permute(const std::vector<int64_t>& dims) const { return ops_view::permute(*this, dims); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> dims(dim());
  for (int64_t i = 0; i < dim(); ++i) dims[i] = i;
  std::swap(dims[wrap_dim(d0, dim(), "transpose")], dims[wrap_dim(d1, dim(), "transpose")]);
  return permute(dims);
}
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return ops_view::slice(*this, dim, start, end, step);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return ops_view::select(*this, dim, index); }
Tensor Tensor::unsqueeze(int64_t d) const {
  const int64_t pos = wrap_dim(d, this->dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + pos, 1);
  return reshape(s);
}
Tensor Tensor::expand(const Shape& shape) const { return ops_view::expand(*this, shape); }

// ---- operators --------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator*(const Tensor& a, double s) { return mul_scalar(a, s); }
Tensor operator*(double s, const Tensor& a) { return mul_scalar(a, s); }
Tensor operator+(const Tensor& a, double s) { return add_scalar(a, s); }
Tensor operator-(const Tensor& a) { return mul_scalar(a, -1.0); }

}  // namespace varstar
