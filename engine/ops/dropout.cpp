// Front end of dropout (kernels/dropout.h): the mask is regenerated from the
// Philox stream in backward, never stored. Inside a CUDA graph capture the
// kernels also read the graph's Philox shift (engine/cuda_graph.h).
#include "engine/cuda_graph.h"
#include "engine/ops.h"
#include "engine/ops/common.h"
#include "kernels/dropout.h"

namespace varstar {

namespace {
Tensor dropout_apply(const Tensor& x, float p, uint64_t seed, uint64_t offset,
                     [[maybe_unused]] const uint64_t* offset_shift) {  // used on CUDA only
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  VARSTAR_PROFILE_COST(x.numel(), 2 * x.nbytes());  // the Philox draw is integer work, not counted
  if (x.device().is_cpu()) {
    VARSTAR_DISPATCH_FLOATING(x.dtype(), "dropout", [&] {
      cpu::dropout_apply<scalar_t>(xc.data<scalar_t>(), y.data<scalar_t>(), x.numel(), p, seed, offset);
    });
  } else {
    detail::check_cuda_dtype(x, "dropout");
    VARSTAR_CUDA_CALL(cuda::dropout_apply(xc.data<float>(), y.data<float>(), x.numel(), p, seed, offset,
                                          offset_shift, detail::stream_for(x)));
  }
  return y;
}
}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator& generator) {
  VARSTAR_PROFILE_OP("dropout", x);
  detail::check_defined(x, "dropout", "x");
  detail::check_floating(x, "dropout", "x");
  VARSTAR_CHECK(p >= 0.0 && p < 1.0, "dropout: probability must be in [0, 1), got {}", p);
  if (!training || p == 0.0) return x;
  const float pf = static_cast<float>(p);
  const uint64_t seed = generator.seed();
  const uint64_t* shift = x.device().is_cuda() && cuda::graph_capturing() ? cuda::captured_philox_shift(generator)
                                                                           : nullptr;
  const uint64_t offset = generator.reserve(static_cast<uint64_t>(x.numel()));
  Tensor y = dropout_apply(x, pf, seed, offset, shift);
  record_op("dropout", {x}, {y}, [pf, seed, offset, shift](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{dropout_apply(g[0], pf, seed, offset, shift)};
  });
  return y;
}

}  // namespace varstar
