// Front end of cat: joins tensors along one dimension.
#include "engine/ops.h"
#include "engine/ops/common.h"

namespace varstar {

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  const char* op = "cat";
  VARSTAR_PROFILE_OP(op, tensors);
  VARSTAR_CHECK(!tensors.empty(), "cat: expected at least one tensor");
  const Tensor& first = tensors[0];
  detail::check_defined(first, op, "tensors[0]");
  const int64_t d = wrap_dim(dim, first.dim(), op);
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined(t, op, "tensors[i]");
    detail::check_same_device(first, t, op, "tensors[i]");
    detail::check_same_dtype(first, t, op, "tensors[i]");
    bool compatible = t.dim() == first.dim();
    for (int64_t k = 0; compatible && k < t.dim(); ++k) compatible = k == d || t.shape()[k] == first.shape()[k];
    VARSTAR_CHECK(compatible, "cat: tensor {} has shape {}, incompatible with {} along dimension {}", i,
                  shape_str(t.shape()), shape_str(first.shape()), d);
    sizes.push_back(t.shape()[d]);
    out_shape[d] += t.shape()[d];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  VARSTAR_PROFILE_COST(0, 2 * out.nbytes());
  {
    NoGradGuard no_grad;
    int64_t offset = 0;
    for (const Tensor& t : tensors) {
      detail::scatter(t.detach().contiguous(), out.slice(d, offset, offset + t.shape()[d]));
      offset += t.shape()[d];
    }
  }
  record_op(op, tensors, {out}, [d, sizes](const std::vector<Tensor>& g) {
    std::vector<Tensor> grads;
    int64_t offset = 0;
    for (int64_t size : sizes) {
      grads.push_back(g[0].slice(d, offset, offset + size).contiguous());
      offset += size;
    }
    return grads;
  });
  return out;
}

}  // namespace varstar
