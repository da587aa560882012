// Front ends of log_softmax and the fused cross-entropy (kernels/softmax.h).
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/softmax.h"

namespace varstar {

namespace {
thread_local bool t_check_targets = true;
}  // namespace

void set_cross_entropy_target_check(bool on) { t_check_targets = on; }
bool cross_entropy_target_check() { return t_check_targets; }

Tensor log_softmax(const Tensor& x) {
  const char* op = "log_softmax";
  VARSTAR_PROFILE_OP(op, x);
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op, "x");
  detail::check_ndim(x, 2, op, "x", "(N, C)");
  const int64_t n = x.shape()[0], c = x.shape()[1];
  VARSTAR_CHECK(c >= 1, "log_softmax: needs at least one class");
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  VARSTAR_PROFILE_COST(4 * x.numel(), 2 * x.nbytes());  // max, exp-sum, log, subtract
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), op,
                              [&] { cpu::log_softmax_forward<scalar_t>(xc.data<scalar_t>(), y.data<scalar_t>(), n, c); });
  } else {
    detail::check_cuda_dtype(x, op);
    VARSTAR_CUDA_CALL(cuda::log_softmax_forward(xc.data<float>(), y.data<float>(), n, c, detail::stream_for(x)));
  }
  const Tensor yd = y.detach();
  record_op(op, {x}, {y}, [yd, n, c, op](const std::vector<Tensor>& g) {
    Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
    VARSTAR_PROFILE_COST(3 * dy.numel(), 3 * dy.nbytes());
    if (dy.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(dy.dtype(), op, [&] {
        cpu::log_softmax_backward<scalar_t>(yd.data<scalar_t>(), dy.data<scalar_t>(), dx.data<scalar_t>(), n, c);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::log_softmax_backward(yd.data<float>(), dy.data<float>(), dx.data<float>(), n, c,
                                                   detail::stream_for(dy)));
    }
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& class_weights) {
  const char* op = "cross_entropy";
  VARSTAR_PROFILE_OP(op, logits, targets, class_weights);
  detail::check_defined(logits, op, "logits");
  detail::check_defined(targets, op, "targets");
  detail::check_floating(logits, op, "logits");
  detail::check_ndim(logits, 2, op, "logits", "(N, C)");
  detail::check_dtype(targets, DType::i32, op, "targets");
  detail::check_same_device(logits, targets, op, "targets");
  const int64_t n = logits.shape()[0], c = logits.shape()[1];
  detail::check_shape(targets, {n}, op, "targets");
  VARSTAR_CHECK(n >= 1, "cross_entropy: empty batch");
  if (class_weights.defined()) {
    detail::check_same_device(logits, class_weights, op, "class_weights");
    detail::check_same_dtype(logits, class_weights, op, "class_weights");
    detail::check_shape(class_weights, {c}, op, "class_weights");
  }
  Tensor tc = targets.contiguous();
  // Out-of-range labels: reject them with the offending value. On CUDA this
  // reads the targets on the host (a synchronisation), so it can be switched
  // off, and never runs inside a CUDA graph capture; the CUDA kernels then
  // make the loss NaN instead of reading outside the row. The CPU always checks.
  const bool check = tc.device().is_cpu() || (t_check_targets && !cuda::graph_capturing());
  if (check) {
    const std::vector<int32_t> t = tc.to_vector<int32_t>();
    for (int64_t i = 0; i < n; ++i)
      VARSTAR_CHECK(t[i] >= 0 && t[i] < c, "cross_entropy: target {} of sample {} is outside [0, {})", t[i], i, c);
  }
  Tensor lc = logits.contiguous();
  Tensor wc = class_weights.defined() ? class_weights.contiguous() : Tensor();
  Tensor probs = Tensor::empty({n, c}, logits.dtype(), logits.device());
  Tensor loss_sum = Tensor::empty({}, logits.dtype(), logits.device());
  Tensor weight_sum = Tensor::empty({}, logits.dtype(), logits.device());
  // Profiler count: softmax (4 per logit) and the picked log-probability; logits read, probabilities written.
  VARSTAR_PROFILE_COST(5 * n * c, 2 * logits.nbytes() + targets.nbytes());
  if (logits.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(logits.dtype(), op, [&] {
      cpu::cross_entropy_forward<scalar_t>(lc.data<scalar_t>(), tc.data<int32_t>(),
                                           wc.defined() ? wc.data<scalar_t>() : nullptr, probs.data<scalar_t>(),
                                           loss_sum.data<scalar_t>(), weight_sum.data<scalar_t>(), n, c);
    });
  } else {
    detail::check_cuda_dtype(logits, op);
    VARSTAR_CUDA_CALL(cuda::cross_entropy_forward(lc.data<float>(), tc.data<int32_t>(),
                                                  wc.defined() ? wc.data<float>() : nullptr, probs.data<float>(),
                                                  loss_sum.data<float>(), weight_sum.data<float>(), n, c,
                                                  detail::stream_for(logits)));
  }
  Tensor loss;
  {
    NoGradGuard no_grad;
    loss = div(loss_sum, weight_sum);
  }
  record_op(op, {logits, Tensor(), class_weights}, {loss}, [=](const std::vector<Tensor>& g) {
    Tensor dlogits = Tensor::empty({n, c}, probs.dtype(), probs.device());
    VARSTAR_PROFILE_COST(2 * n * c, 2 * probs.nbytes() + tc.nbytes());
    if (probs.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(probs.dtype(), op, [&] {
        const scalar_t scale = static_cast<scalar_t>(g[0].item() / weight_sum.item());
        cpu::cross_entropy_backward<scalar_t>(probs.data<scalar_t>(), tc.data<int32_t>(),
                                              wc.defined() ? wc.data<scalar_t>() : nullptr, scale,
                                              dlogits.data<scalar_t>(), n, c);
      });
    } else {
      Tensor dloss = g[0].contiguous();
      VARSTAR_CUDA_CALL(cuda::cross_entropy_backward(probs.data<float>(), tc.data<int32_t>(),
                                                     wc.defined() ? wc.data<float>() : nullptr, dloss.data<float>(),
                                                     weight_sum.data<float>(), dlogits.data<float>(), n, c,
                                                     detail::stream_for(probs)));
    }
    return std::vector<Tensor>{dlogits, Tensor(), Tensor()};
  });
  return loss;
}

}  // namespace varstar
