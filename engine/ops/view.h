#pragma once
// View and copy ops behind the Tensor methods (reshape, permute, slice, ...).
// Views share storage with their input; gradients flow back through them.
#include "engine/tensor.h"

namespace varstar::ops_view {

Tensor contiguous(const Tensor& x);  // always copies
Tensor to_device(const Tensor& x, Device device);
Tensor to_dtype(const Tensor& x, DType dtype);
Tensor reshape(const Tensor& x, const Shape& shape);  // one -1 allowed
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor expand(const Tensor& x, const Shape& shape);

}  // namespace varstar::ops_view
