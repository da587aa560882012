// Front end of the LSTM layer (kernels/lstm.h).
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/lstm.h"

namespace varstar {

Tensor lstm(const Tensor& x, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const char* op = "lstm";
  VARSTAR_PROFILE_OP(op, x, w_ih, w_hh, b_ih, b_hh);
  for (auto [t, name] : {std::pair{&x, "x"}, {&w_ih, "w_ih"}, {&w_hh, "w_hh"}, {&b_ih, "b_ih"}, {&b_hh, "b_hh"}}) {
    detail::check_defined(*t, op, name);
    detail::check_same_device(x, *t, op, name);
    detail::check_same_dtype(x, *t, op, name);
  }
  detail::check_floating(x, op, "x");
  detail::check_ndim(x, 3, op, "x", "(B, T, I) (batch first)");
  detail::check_ndim(w_hh, 2, op, "w_hh", "(4H, H)");
  LstmShape s;
  s.batch = x.shape()[0];
  s.steps = x.shape()[1];
  s.input = x.shape()[2];
  s.hidden = w_hh.shape()[1];
  VARSTAR_CHECK(s.steps >= 1, "lstm: the sequence must have at least one step, got shape {}", shape_str(x.shape()));
  const int64_t G = 4 * s.hidden;
  detail::check_shape(w_hh, {G, s.hidden}, op, "w_hh");
  detail::check_shape(w_ih, {G, s.input}, op, "w_ih");
  detail::check_shape(b_ih, {G}, op, "b_ih");
  detail::check_shape(b_hh, {G}, op, "b_hh");

  Tensor xc = x.contiguous(), wi = w_ih.contiguous(), wh = w_hh.contiguous(), bi = b_ih.contiguous(),
         bh = b_hh.contiguous();
  Tensor y = Tensor::empty({s.batch, s.steps, s.hidden}, x.dtype(), x.device());
  Tensor gates = Tensor::empty({s.batch, s.steps, G}, x.dtype(), x.device());
  Tensor cell = Tensor::empty({s.batch, s.steps, s.hidden}, x.dtype(), x.device());
  // Profiler count: the two gate GEMMs per time step, and about 10 operations
  // per hidden unit for the gate nonlinearities and the cell update.
  const double gemm_flops = 2.0 * static_cast<double>(s.batch * s.steps) * static_cast<double>(G * (s.input + s.hidden));
  const double cell_flops = 10.0 * static_cast<double>(s.batch * s.steps * s.hidden);
  VARSTAR_PROFILE_COST(gemm_flops + cell_flops, (x.numel() + w_ih.numel() + w_hh.numel() + 2 * G + y.numel() +
                                                 gates.numel() + cell.numel()) * dtype_size(x.dtype()));
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), op, [&] {
      cpu::lstm_forward<scalar_t>(xc.data<scalar_t>(), wi.data<scalar_t>(), wh.data<scalar_t>(), bi.data<scalar_t>(),
                                  bh.data<scalar_t>(), y.data<scalar_t>(), gates.data<scalar_t>(),
                                  cell.data<scalar_t>(), s);
    });
  } else {
    detail::check_cuda_dtype(x, op);
    VARSTAR_CUDA_CALL(cuda::lstm_forward(xc.data<float>(), wi.data<float>(), wh.data<float>(), bi.data<float>(),
                                         bh.data<float>(), y.data<float>(), gates.data<float>(), cell.data<float>(), s,
                                         detail::stream_for(x)));
  }
  if (any_requires_grad({&x, &w_ih, &w_hh, &b_ih, &b_hh})) {
    const Tensor xd = xc.detach(), wid = wi.detach(), whd = wh.detach(), yd = y.detach();
    const bool need_x = x.requires_grad();
    const bool need_bi = b_ih.requires_grad(), need_bh = b_hh.requires_grad();
    record_op(op, {x, w_ih, w_hh, b_ih, b_hh}, {y}, [=](const std::vector<Tensor>& g) {
      Tensor dy = g[0].contiguous();
      // Profiler count: d_gates against both weights (input and state gradients) and the weight gradients.
      VARSTAR_PROFILE_COST(2.0 * gemm_flops + 2.0 * cell_flops,
                           (2 * dy.numel() + 2 * xd.numel() + 2 * (wid.numel() + whd.numel()) + G + 3 * gates.numel() +
                            2 * cell.numel()) * dtype_size(dy.dtype()));
      const DType dt = dy.dtype();
      const Device dev = dy.device();
      Tensor dx = need_x ? Tensor::empty(xd.shape(), dt, dev) : Tensor();
      Tensor dwi = Tensor::empty(wid.shape(), dt, dev), dwh = Tensor::empty(whd.shape(), dt, dev);
      Tensor db = Tensor::empty({G}, dt, dev);
      Tensor dgates = Tensor::empty({s.batch, s.steps, G}, dt, dev);
      Tensor h_prev = Tensor::empty({s.batch, s.steps, s.hidden}, dt, dev);
      Tensor state = Tensor::empty({2, s.batch, s.hidden}, dt, dev);
      if (dev.is_cpu()) {
        VARSTAR_DISPATCH_FLOATING(dt, op, [&] {
          cpu::lstm_backward<scalar_t>(dy.data<scalar_t>(), xd.data<scalar_t>(), wid.data<scalar_t>(),
                                       whd.data<scalar_t>(), yd.data<scalar_t>(), gates.data<scalar_t>(),
                                       cell.data<scalar_t>(), need_x ? dx.data<scalar_t>() : nullptr,
                                       dwi.data<scalar_t>(), dwh.data<scalar_t>(), db.data<scalar_t>(),
                                       dgates.data<scalar_t>(), h_prev.data<scalar_t>(), state.data<scalar_t>(), s);
        });
      } else {
        VARSTAR_CUDA_CALL(cuda::lstm_backward(dy.data<float>(), xd.data<float>(), wid.data<float>(), whd.data<float>(),
                                              yd.data<float>(), gates.data<float>(), cell.data<float>(),
                                              need_x ? dx.data<float>() : nullptr, dwi.data<float>(), dwh.data<float>(),
                                              db.data<float>(), dgates.data<float>(), h_prev.data<float>(),
                                              state.data<float>(), s, detail::stream_for(dy)));
      }
      return std::vector<Tensor>{dx, dwi, dwh, need_bi ? db : Tensor(), need_bh ? db.clone() : Tensor()};
    });
  }
  return y;
}

}  // namespace varstar
