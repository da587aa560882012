// Front end of the GELU activation (kernels/gelu.h): validate, dispatch to the
// CPU or CUDA kernel, record the backward rule (which needs the input x).
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/gelu.h"

namespace varstar {

namespace {
// Profiler count per element: erf and exp are counted as one operation each.
constexpr double kGeluForwardFlops = 5.0;
constexpr double kGeluBackwardFlops = 10.0;
}  // namespace

Tensor gelu(const Tensor& x) {
  const char* op = "gelu";
  VARSTAR_PROFILE_OP(op, x);
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op, "x");
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const int64_t n = x.numel();
  VARSTAR_PROFILE_COST(kGeluForwardFlops * n, 2 * x.nbytes());  // read x, write y
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] { cpu::gelu_forward<scalar_t>(xc.data<scalar_t>(), y.data<scalar_t>(), n); });
  } else {
    detail::check_cuda_dtype(x, op);
    VARSTAR_CUDA_CALL(cuda::gelu_forward(xc.data<float>(), y.data<float>(), n, detail::stream_for(x)));
  }
  const Tensor x_saved = xc.detach();  // backward needs the input, not the output
  record_op(op, {x}, {y}, [op, x_saved](const std::vector<Tensor>& g) {
    Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
    const int64_t n = dy.numel();
    VARSTAR_PROFILE_COST(kGeluBackwardFlops * n, 3 * dy.nbytes());  // read x and dy, write dx
    if (dy.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(dy.dtype(), op, [&] {
        cpu::gelu_backward<scalar_t>(x_saved.data<scalar_t>(), dy.data<scalar_t>(), dx.data<scalar_t>(), n);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::gelu_backward(x_saved.data<float>(), dy.data<float>(), dx.data<float>(), n,
                                            detail::stream_for(dy)));
    }
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace varstar
