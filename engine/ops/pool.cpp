// Front ends of maxpool1d and maxpool2d (kernels/pool.h).
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/pool.h"

namespace varstar {

namespace {

Tensor maxpool_impl(const char* op, const Tensor& x, const PoolShape& s, const Shape& out_shape) {
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor argmax = Tensor::empty(out_shape, DType::i32, x.device());
  // Profiler count: one comparison per window element; x read, y and argmax written.
  VARSTAR_PROFILE_COST(y.numel() * s.kh * s.kw, (x.numel() + y.numel()) * dtype_size(x.dtype()) + 4 * y.numel());
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] {
      cpu::maxpool2d_forward<scalar_t>(xc.data<scalar_t>(), y.data<scalar_t>(), argmax.data<int32_t>(), s);
    });
  } else {
    detail::check_cuda_dtype(x, op);
    VARSTAR_CUDA_CALL(cuda::maxpool2d_forward(xc.data<float>(), y.data<float>(), argmax.data<int32_t>(), s,
                                              detail::stream_for(x)));
  }
  const Shape x_shape = x.shape();
  record_op(op, {x}, {y}, [op, s, x_shape, argmax](const std::vector<Tensor>& g) {
    Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
    VARSTAR_PROFILE_COST(dy.numel(), (dy.numel() + dx.numel()) * dtype_size(dy.dtype()) + 4 * dy.numel());
    if (dy.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(dy.dtype(), op, [&] {
        cpu::maxpool2d_backward<scalar_t>(dy.data<scalar_t>(), argmax.data<int32_t>(), dx.data<scalar_t>(), s);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::maxpool2d_backward(dy.data<float>(), argmax.data<int32_t>(), dx.data<float>(), s,
                                                 detail::stream_for(dy)));
    }
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace

Tensor maxpool1d(const Tensor& x, int64_t kernel, int64_t stride) {
  const char* op = "maxpool1d";
  VARSTAR_PROFILE_OP(op, x);
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op, "x");
  detail::check_ndim(x, 3, op, "x", "(B, C, L)");
  if (stride == 0) stride = kernel;
  VARSTAR_CHECK(kernel >= 1 && stride >= 1 && kernel <= x.shape()[2],
                "maxpool1d: kernel {} and stride {} do not fit input length {}", kernel, stride, x.shape()[2]);
  PoolShape s;
  s.planes = x.shape()[0] * x.shape()[1];
  s.w = x.shape()[2];
  s.kw = kernel;
  s.stride_w = stride;
  s.out_w = (s.w - kernel) / stride + 1;
  return maxpool_impl(op, x, s, {x.shape()[0], x.shape()[1], s.out_w});
}

Tensor maxpool2d(const Tensor& x, std::array<int64_t, 2> kernel, std::array<int64_t, 2> stride) {
  const char* op = "maxpool2d";
  VARSTAR_PROFILE_OP(op, x);
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op, "x");
  detail::check_ndim(x, 4, op, "x", "(B, C, H, W)");
  if (stride[0] == 0) stride = kernel;
  VARSTAR_CHECK(kernel[0] >= 1 && kernel[1] >= 1 && stride[0] >= 1 && stride[1] >= 1 && kernel[0] <= x.shape()[2] &&
                    kernel[1] <= x.shape()[3],
                "maxpool2d: kernel {}x{} and stride {}x{} do not fit input {}x{}", kernel[0], kernel[1], stride[0],
                stride[1], x.shape()[2], x.shape()[3]);
  PoolShape s;
  s.planes = x.shape()[0] * x.shape()[1];
  s.h = x.shape()[2];
  s.w = x.shape()[3];
  s.kh = kernel[0];
  s.kw = kernel[1];
  s.stride_h = stride[0];
  s.stride_w = stride[1];
  s.out_h = (s.h - s.kh) / s.stride_h + 1;
  s.out_w = (s.w - s.kw) / s.stride_w + 1;
  return maxpool_impl(op, x, s, {x.shape()[0], x.shape()[1], s.out_h, s.out_w});
}

}  // namespace varstar
