#pragma once
// Optimizer steps over parameter tensors (all contiguous):
//   adam_step: p, m, v updated in place from g (kernels/optim_math.h).
//   sgd_step:  p and the momentum buffer updated in place from g.
//   cuda::adam_multi_tensor: the Adam/AdamW step of many tensors in one launch
//     (a few for very many or very large tensors), apex's multi_tensor_apply
//     layout: the kernel's parameter block lists the tensors and, per thread
//     block, which chunk of which tensor it updates. The step counter and the
//     learning rate live on the device and the bias corrections are computed
//     there in double from them, so a CUDA graph that captured the step
//     replays later steps, at the learning rate of the moment, correctly.
// Bench: bench/dev/adam.cu (per-tensor vs fused), `varstar bench --device cuda --kernels`.
#include "kernels/common.h"
#include "kernels/optim_math.h"

namespace varstar {
// One parameter tensor of a multi-tensor step: n elements at each pointer (device memory).
struct AdamTensor {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t n;
};
// The hyper-parameters the bias corrections need, in double as the CPU path
// computes them (torch.optim.Adam does the same on the host).
struct AdamScalars {
  double beta1 = 0.9, beta2 = 0.999;
};
}  // namespace varstar

namespace varstar::cpu {
template <class T> void adam_step(T* p, const T* g, T* m, T* v, int64_t n, const AdamParams& a);
template <class T> void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdParams& s);
}  // namespace varstar::cpu

namespace varstar::cuda {
void adam_step(float* p, const float* g, float* m, float* v, int64_t n, const AdamParams& a, cuda_stream stream);
void sgd_step(float* p, const float* g, float* buf, int64_t n, const SgdParams& s, cuda_stream stream);
// tensors: `count` entries (host array). `lr`: the learning rate, one double
// on the device. `step`: one int32 on the device, incremented by this call
// before the update (it holds the number of steps taken). a.lr, a.step_size
// and a.bias_correction2_sqrt are ignored: they come from `lr`, `step` and
// `scalars`; a's other fields apply as in adam_update.
void adam_multi_tensor(const AdamTensor* tensors, int64_t count, const AdamParams& a, const AdamScalars& scalars,
                       const double* lr, int32_t* step, cuda_stream stream);
// *dst = value, in stream order (a kernel, so it may sit between graph replays).
void set_device_double(double* dst, double value, cuda_stream stream);
}  // namespace varstar::cuda
