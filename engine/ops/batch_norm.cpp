// Front end of batch normalisation (kernels/batch_norm.h).
#include <cmath>

#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/batch_norm.h"

namespace varstar {

namespace {
// 1 / sqrt(var + eps) for the C running variances, computed on the host in double.
Tensor inverse_std(const Tensor& var, double eps) {
  Tensor host = var.detach().cpu().contiguous();
  std::vector<double> v(host.numel());
  VARSTAR_DISPATCH_FLOATING(host.dtype(), "batch_norm", [&] {
    for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / std::sqrt(static_cast<double>(host.data<scalar_t>()[i]) + eps);
  });
  return Tensor::from_vector(v, host.shape()).to(var.dtype()).to(var.device());
}
}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  VARSTAR_PROFILE_OP(op, x, gamma, beta);
  detail::check_defined(x, op, "x");
  detail::check_floating(x, op, "x");
  VARSTAR_CHECK(x.dim() >= 2 && x.dim() <= 4, "batch_norm: expected x of shape (N, C), (N, C, L) or (N, C, H, W), got {}",
                shape_str(x.shape()));
  NormShape s;
  s.n = x.shape()[0];
  s.c = x.shape()[1];
  s.s = x.numel() / std::max<int64_t>(s.n * s.c, 1);
  for (auto [t, name] : {std::pair{&gamma, "gamma"}, {&beta, "beta"}, {&running_mean, "running_mean"},
                         {&running_var, "running_var"}}) {
    if (!t->defined()) continue;
    detail::check_same_device(x, *t, op, name);
    detail::check_same_dtype(x, *t, op, name);
    detail::check_shape(*t, {s.c}, op, name);
  }
  VARSTAR_CHECK(training || (running_mean.defined() && running_var.defined()),
                "batch_norm: evaluation mode needs running_mean and running_var");
  VARSTAR_CHECK(!training || s.n * s.s > 1, "batch_norm: training needs more than one value per channel, got shape {}",
                shape_str(x.shape()));
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({s.c}, x.dtype(), x.device());
  Tensor invstd = Tensor::empty({s.c}, x.dtype(), x.device());
  const bool cpu = x.device().is_cpu();
  // Profiler count: training reads x twice (statistics, then normalisation).
  VARSTAR_PROFILE_COST((training ? 8 : 4) * x.numel(), (training ? 3 : 2) * x.nbytes());
  if (!cpu) detail::check_cuda_dtype(x, op);
  if (training) {
    if (cpu) {
      VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] {
        cpu::batch_norm_forward_train<scalar_t>(xc.data<scalar_t>(), gamma.defined() ? gamma.data<scalar_t>() : nullptr,
                                                beta.defined() ? beta.data<scalar_t>() : nullptr, y.data<scalar_t>(),
                                                mean.data<scalar_t>(), invstd.data<scalar_t>(),
                                                static_cast<scalar_t>(eps), s);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::batch_norm_forward_train(xc.data<float>(), gamma.defined() ? gamma.data<float>() : nullptr,
                                                       beta.defined() ? beta.data<float>() : nullptr, y.data<float>(),
                                                       mean.data<float>(), invstd.data<float>(),
                                                       static_cast<float>(eps), s, detail::stream_for(x)));
    }
    if (running_mean.defined() && running_var.defined()) {
      // PyTorch: running = (1 - momentum) running + momentum * batch, with the
      // unbiased variance; var recovered from invstd.
      NoGradGuard no_grad;
      const double count = static_cast<double>(s.n * s.s);
      Tensor var = add_scalar(div(Tensor::ones({s.c}, x.dtype(), x.device()), mul(invstd, invstd)), -eps);
      Tensor new_mean = add(mul_scalar(running_mean.detach(), 1.0 - momentum), mul_scalar(mean, momentum));
      Tensor new_var = add(mul_scalar(running_var.detach(), 1.0 - momentum),
                           mul_scalar(var, momentum * count / std::max(count - 1.0, 1.0)));
      Tensor(running_mean.impl_ptr()).copy_(new_mean);
      Tensor(running_var.impl_ptr()).copy_(new_var);
    }
  } else {
    mean.copy_(running_mean.detach());
    invstd.copy_(inverse_std(running_var, eps));
    if (cpu) {
      VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] {
        cpu::batch_norm_forward_eval<scalar_t>(xc.data<scalar_t>(), gamma.defined() ? gamma.data<scalar_t>() : nullptr,
                                               beta.defined() ? beta.data<scalar_t>() : nullptr, mean.data<scalar_t>(),
                                               running_var.contiguous().data<scalar_t>(), y.data<scalar_t>(),
                                               static_cast<scalar_t>(eps), s);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::batch_norm_forward_eval(xc.data<float>(), gamma.defined() ? gamma.data<float>() : nullptr,
                                                      beta.defined() ? beta.data<float>() : nullptr, mean.data<float>(),
                                                      running_var.contiguous().data<float>(), y.data<float>(),
                                                      static_cast<float>(eps), s, detail::stream_for(x)));
    }
  }
  if (any_requires_grad({&x, &gamma, &beta})) {
    const Tensor xd = xc.detach();
    const Tensor gd = gamma.defined() ? gamma.detach().contiguous() : Tensor();
    const bool need_x = x.requires_grad(), need_g = gamma.defined() && gamma.requires_grad(),
               need_b = beta.defined() && beta.requires_grad();
    record_op(op, {x, gamma, beta}, {y}, [=](const std::vector<Tensor>& g) {
      Tensor dy = g[0].contiguous();
      VARSTAR_PROFILE_COST(10 * dy.numel(), 5 * dy.nbytes());
      Tensor dx = need_x ? Tensor::empty(xd.shape(), dy.dtype(), dy.device()) : Tensor();
      Tensor dgamma = Tensor::empty({s.c}, dy.dtype(), dy.device()), dbeta = Tensor::empty({s.c}, dy.dtype(), dy.device());
      if (dy.device().is_cpu()) {
        VARSTAR_DISPATCH_FLOATING(dy.dtype(), op, [&] {
          cpu::batch_norm_backward<scalar_t>(dy.data<scalar_t>(), xd.data<scalar_t>(),
                                             gd.defined() ? gd.data<scalar_t>() : nullptr, mean.data<scalar_t>(),
                                             invstd.data<scalar_t>(), training,
                                             need_x ? dx.data<scalar_t>() : nullptr, dgamma.data<scalar_t>(),
                                             dbeta.data<scalar_t>(), s);
        });
      } else {
        VARSTAR_CUDA_CALL(cuda::batch_norm_backward(dy.data<float>(), xd.data<float>(), gd.defined() ? gd.data<float>() : nullptr,
                                                    mean.data<float>(), invstd.data<float>(), training,
                                                    need_x ? dx.data<float>() : nullptr, dgamma.data<float>(),
                                                    dbeta.data<float>(), s, detail::stream_for(dy)));
      }
      return std::vector<Tensor>{dx, need_g ? dgamma : Tensor(), need_b ? dbeta : Tensor()};
    });
  }
  return y;
}

}  // namespace varstar
