// GEMM on tensors (see gemm_util.h).
#include "engine/ops/gemm_util.h"

#include "engine/ops/common.h"
#include "kernels/gemm.h"

namespace varstar::detail {

namespace {

struct Operand {
  Tensor t;
  bool trans;  // stored transposed relative to its logical shape
  int64_t ld;
};

// Reads the last two dimensions of t as a matrix in place when possible.
Operand as_operand(const Tensor& t) {
  const int64_t nd = t.dim();
  const int64_t rows = t.shape()[nd - 2], cols = t.shape()[nd - 1];
  const int64_t rs = t.strides()[nd - 2], cs = t.strides()[nd - 1];
  const bool batch_ok = nd == 2 || t.shape()[0] == 1 || t.strides()[0] >= rows * cols;
  if (batch_ok && (cs == 1 || cols == 1) && rs >= std::max<int64_t>(cols, 1)) return {t, false, rs};
  if (batch_ok && (rs == 1 || rows == 1) && cs >= std::max<int64_t>(rows, 1)) return {t, true, cs};
  Tensor c = t.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

}  // namespace

void gemm_into(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c, double alpha,
               double beta) {
  const Operand oa = as_operand(a), ob = as_operand(b);
  const int64_t m = trans_a ? a.shape()[1] : a.shape()[0];
  const int64_t k = trans_a ? a.shape()[0] : a.shape()[1];
  const int64_t n = trans_b ? b.shape()[0] : b.shape()[1];
  const int64_t ldc = c.strides()[0];
  const bool ta = trans_a != oa.trans, tb = trans_b != ob.trans;
  if (c.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(c.dtype(), "gemm", [&] {
      cpu::gemm<scalar_t>(ta, tb, m, n, k, static_cast<scalar_t>(alpha), oa.t.data<scalar_t>(), oa.ld,
                          ob.t.data<scalar_t>(), ob.ld, static_cast<scalar_t>(beta), c.data<scalar_t>(), ldc);
    });
  } else {
    VARSTAR_CUDA_CALL(cuda::gemm(ta, tb, m, n, k, static_cast<float>(alpha), oa.t.data<float>(), oa.ld,
                                 ob.t.data<float>(), ob.ld, static_cast<float>(beta), c.data<float>(), ldc,
                                 stream_for(c)));
  }
}

void gemm_batched_into(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, const Tensor& c, double alpha,
                       double beta) {
  const Operand oa = as_operand(a), ob = as_operand(b);
  const int64_t batch = c.shape()[0];
  const int64_t m = trans_a ? a.shape()[2] : a.shape()[1];
  const int64_t k = trans_a ? a.shape()[1] : a.shape()[2];
  const int64_t n = trans_b ? b.shape()[1] : b.shape()[2];
  const int64_t sa = oa.t.shape()[0] == 1 ? 0 : oa.t.strides()[0];
  const int64_t sb = ob.t.shape()[0] == 1 ? 0 : ob.t.strides()[0];
  const bool ta = trans_a != oa.trans, tb = trans_b != ob.trans;
  if (c.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(c.dtype(), "gemm", [&] {
      cpu::gemm_strided_batched<scalar_t>(ta, tb, m, n, k, static_cast<scalar_t>(alpha), oa.t.data<scalar_t>(),
                                          oa.ld, sa, ob.t.data<scalar_t>(), ob.ld, sb, static_cast<scalar_t>(beta),
                                          c.data<scalar_t>(), n, m * n, batch);
    });
  } else {
    VARSTAR_CUDA_CALL(cuda::gemm_strided_batched(ta, tb, m, n, k, static_cast<float>(alpha), oa.t.data<float>(),
                                                 oa.ld, sa, ob.t.data<float>(), ob.ld, sb, static_cast<float>(beta),
                                                 c.data<float>(), n, m * n, batch, stream_for(c)));
  }
}

}  // namespace varstar::detail
