#pragma once
// Tensor: a strided view of a Storage, with an optional link into the
// autograd graph. Copying a Tensor copies a handle (like torch.Tensor).
//
// Layout: element (i0, i1, ...) lives at data + offset + sum_k i_k * strides[k],
// strides counted in elements. Most kernels need contiguous row-major input;
// op front ends call contiguous(), which copies only when needed.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/dtype.h"
#include "engine/shape.h"
#include "engine/storage.h"

namespace varstar {

struct Node;

namespace detail {
inline std::atomic<int64_t> g_live_tensors{0};
}  // namespace detail
// Number of TensorImpl objects alive (tensors and views), for memory reports.
inline int64_t live_tensor_count() { return detail::g_live_tensors.load(std::memory_order_relaxed); }

struct TensorImpl {
  TensorImpl() { detail::g_live_tensors.fetch_add(1, std::memory_order_relaxed); }
  ~TensorImpl() { detail::g_live_tensors.fetch_sub(1, std::memory_order_relaxed); }
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // set on tensors produced by a recorded op
  int output_nr = 0;              // which output of grad_fn this tensor is
  std::shared_ptr<TensorImpl> grad;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
                     Device device = Device::cpu());
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu());

  // ---- properties --------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const { return shape_numel(impl().shape); }
  int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string str() const;  // "float32[32, 1, 359] cpu"

  // Pointer to the first element (offset applied). Checks T against dtype.
  template <class T> T* data() const;
  void* raw_data() const;

  // ---- copies and conversions -------------------------------------------
  Tensor contiguous() const;  // recorded: gradients flow through
  Tensor clone() const;       // recorded
  Tensor detach() const;      // shares storage, leaves the graph
  Tensor to(Device device) const;  // copy to another device (recorded)
  Tensor to(DType dtype) const;    // cast (recorded between float types)
  Tensor cpu() const { return to(Device::cpu()); }
  // Copies `src` (same shape) into this tensor's memory, no autograd.
  void copy_(const Tensor& src);
  // Fills this tensor's memory with `value`, no autograd.
  void fill_(double value);
  template <class T> std::vector<T> to_vector() const;  // host copy, row-major
  double item() const;  // the value of a one-element tensor

  // ---- views (recorded; share storage) ----------------------------------
  Tensor reshape(const Shape& shape) const;  // copies only when not viewable
  Tensor flatten(int64_t start_dim = 1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // drops `dim`; negative index counts from the end
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Shape& shape) const;  // broadcast view (stride 0)

  // ---- autograd ------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool value);
  Tensor grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
  void zero_grad() { impl().grad.reset(); }
  // Gradient of this tensor with respect to every leaf that requires grad,
  // accumulated into their grad(). `grad` defaults to 1 for a one-element tensor.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }

  TensorImpl& impl() const {
    VARSTAR_CHECK(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& other) const {
    return impl().storage == other.impl().storage;
  }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// A tensor aliasing `storage` with the given geometry (no autograd link).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

// ---- arithmetic operators (recorded; broadcasting) -----------------------
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, double s);
Tensor operator*(double s, const Tensor& a);
Tensor operator+(const Tensor& a, double s);
Tensor operator-(const Tensor& a);

}  // namespace varstar
