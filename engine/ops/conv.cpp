// Front ends of conv1d and conv2d (kernels/conv.h). conv1d runs as conv2d
// with a height of 1.
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/conv.h"

namespace varstar {

namespace {

Tensor conv_impl(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvShape& s,
                 const Shape& out_shape) {
  Tensor xc = x.contiguous(), wc = weight.contiguous();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  // Profiler count: one multiply-add per weight tap per output element.
  const double conv_flops = 2.0 * static_cast<double>(y.numel()) * static_cast<double>(s.c_in * s.kh * s.kw);
  VARSTAR_PROFILE_COST(conv_flops, (x.numel() + weight.numel() + s.c_out + y.numel()) * dtype_size(x.dtype()));
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] {
      cpu::conv2d_forward<scalar_t>(xc.data<scalar_t>(), wc.data<scalar_t>(),
                                    bc.defined() ? bc.data<scalar_t>() : nullptr, y.data<scalar_t>(), s);
    });
  } else {
    detail::check_cuda_dtype(x, op);
    VARSTAR_CUDA_CALL(cuda::conv2d_forward(xc.data<float>(), wc.data<float>(), bc.defined() ? bc.data<float>() : nullptr,
                                           y.data<float>(), s, detail::stream_for(x)));
  }
  if (any_requires_grad({&x, &weight, &bias})) {
    const Tensor xd = xc.detach(), wd = wc.detach();
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad(),
               need_b = bias.defined() && bias.requires_grad();
    const Shape x_shape = x.shape(), w_shape = weight.shape();
    const Shape b_shape = bias.defined() ? bias.shape() : Shape{};
    record_op(op, {x, weight, bias}, {y}, [=](const std::vector<Tensor>& g) {
      Tensor dy = g[0].contiguous();
      VARSTAR_PROFILE_COST(conv_flops * ((need_x ? 1 : 0) + (need_w || need_b ? 1 : 0)),
                           ((need_x ? dy.numel() + wd.numel() + xd.numel() : 0) +
                            (need_w || need_b ? dy.numel() + xd.numel() + wd.numel() + s.c_out : 0)) *
                               dtype_size(dy.dtype()));
      Tensor dx, dw, db;
      if (need_x) dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
      if (need_w || need_b) {
        dw = Tensor::empty(w_shape, dy.dtype(), dy.device());
        db = Tensor::empty({s.c_out}, dy.dtype(), dy.device());
      }
      if (dy.device().is_cpu()) {
        VARSTAR_DISPATCH_FLOATING(dy.dtype(), op, [&] {
          cpu::conv2d_backward<scalar_t>(dy.data<scalar_t>(), xd.data<scalar_t>(), wd.data<scalar_t>(),
                                         need_x ? dx.data<scalar_t>() : nullptr,
                                         dw.defined() ? dw.data<scalar_t>() : nullptr,
                                         dw.defined() ? db.data<scalar_t>() : nullptr, s);
        });
      } else {
        if (need_x)
          VARSTAR_CUDA_CALL(cuda::conv2d_backward_input(dy.data<float>(), wd.data<float>(), dx.data<float>(), s,
                                                        detail::stream_for(dy)));
        if (dw.defined())
          VARSTAR_CUDA_CALL(cuda::conv2d_backward_weight(dy.data<float>(), xd.data<float>(), dw.data<float>(),
                                                         db.data<float>(), s, detail::stream_for(dy)));
      }
      return std::vector<Tensor>{dx, need_w ? dw : Tensor(), need_b ? db.reshape(b_shape) : Tensor()};
    });
  }
  return y;
}

void check_conv_args(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t dims) {
  detail::check_defined(x, op, "x");
  detail::check_defined(weight, op, "weight");
  detail::check_floating(x, op, "x");
  detail::check_same_device(x, weight, op, "weight");
  detail::check_same_dtype(x, weight, op, "weight");
  detail::check_ndim(x, dims + 2, op, "x", dims == 1 ? "(B, C_in, L)" : "(B, C_in, H, W)");
  detail::check_ndim(weight, dims + 2, op, "weight", dims == 1 ? "(C_out, C_in, K)" : "(C_out, C_in, KH, KW)");
  VARSTAR_CHECK(x.shape()[1] == weight.shape()[1], "{}: x has {} input channels (shape {}), weight expects {} (shape {})",
                op, x.shape()[1], shape_str(x.shape()), weight.shape()[1], shape_str(weight.shape()));
  if (bias.defined()) {
    detail::check_same_device(x, bias, op, "bias");
    detail::check_same_dtype(x, bias, op, "bias");
    detail::check_shape(bias, {weight.shape()[0]}, op, "bias");
  }
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding) {
  const char* op = "conv1d";
  VARSTAR_PROFILE_OP(op, x, weight, bias);
  check_conv_args(op, x, weight, bias, 1);
  VARSTAR_CHECK(stride >= 1 && padding >= 0, "conv1d: stride must be >= 1 and padding >= 0, got {} and {}", stride,
                padding);
  ConvShape s;
  s.batch = x.shape()[0];
  s.c_in = x.shape()[1];
  s.w = x.shape()[2];
  s.c_out = weight.shape()[0];
  s.kw = weight.shape()[2];
  s.stride_w = stride;
  s.pad_w = padding;
  s.out_w = conv_out_size(s.w, s.kw, stride, padding);
  VARSTAR_CHECK(s.out_w >= 1, "conv1d: kernel {} does not fit input length {} with padding {}", s.kw, s.w, padding);
  return conv_impl(op, x, weight, bias, s, {s.batch, s.c_out, s.out_w});
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::array<int64_t, 2> stride,
              std::array<int64_t, 2> padding) {
  const char* op = "conv2d";
  VARSTAR_PROFILE_OP(op, x, weight, bias);
  check_conv_args(op, x, weight, bias, 2);
  VARSTAR_CHECK(stride[0] >= 1 && stride[1] >= 1 && padding[0] >= 0 && padding[1] >= 0,
                "conv2d: strides must be >= 1 and paddings >= 0");
  ConvShape s;
  s.batch = x.shape()[0];
  s.c_in = x.shape()[1];
  s.h = x.shape()[2];
  s.w = x.shape()[3];
  s.c_out = weight.shape()[0];
  s.kh = weight.shape()[2];
  s.kw = weight.shape()[3];
  s.stride_h = stride[0];
  s.stride_w = stride[1];
  s.pad_h = padding[0];
  s.pad_w = padding[1];
  s.out_h = conv_out_size(s.h, s.kh, s.stride_h, s.pad_h);
  s.out_w = conv_out_size(s.w, s.kw, s.stride_w, s.pad_w);
  VARSTAR_CHECK(s.out_h >= 1 && s.out_w >= 1, "conv2d: kernel {}x{} does not fit input {}x{} with padding {}x{}", s.kh,
                s.kw, s.h, s.w, s.pad_h, s.pad_w);
  return conv_impl(op, x, weight, bias, s, {s.batch, s.c_out, s.out_h, s.out_w});
}

}  // namespace varstar
