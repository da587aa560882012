#pragma once
// Helpers shared by the op front ends: argument checks with clear messages,
// device dispatch, kernel geometry from tensor views.
#include <string>

#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/profiler.h"
#include "engine/tensor.h"
#include "kernels/copy.h"
#include "kernels/elementwise_math.h"

namespace varstar::detail {

[[noreturn]] void no_cuda_backend();

void check_defined(const Tensor& t, const char* op, const char* arg);
// Same device as `ref`; names both.
void check_same_device(const Tensor& ref, const Tensor& t, const char* op, const char* arg);
void check_same_dtype(const Tensor& ref, const Tensor& t, const char* op, const char* arg);
void check_floating(const Tensor& t, const char* op, const char* arg);
void check_dtype(const Tensor& t, DType dtype, const char* op, const char* arg);
// Number of dimensions, with `layout` (e.g. "(B, C, L)") in the message.
void check_ndim(const Tensor& t, int64_t ndim, const char* op, const char* arg, const char* layout);
void check_shape(const Tensor& t, const Shape& shape, const char* op, const char* arg);
// The CUDA backend computes in float32.
void check_cuda_dtype(const Tensor& t, const char* op);

cuda_stream stream_for(const Tensor& t);
// Copies any view into fresh contiguous memory on its device (no autograd).
Tensor gather(const Tensor& x);
// Writes contiguous `src` into the (possibly strided) view `dst_view` (no autograd).
void scatter(const Tensor& src, const Tensor& dst_view);
StridedGeometry strided_geometry(const Tensor& t);
BroadcastGeometry broadcast_geometry(const Tensor& a, const Tensor& b, const Shape& out_shape);

}  // namespace varstar::detail

// Wraps a call into the CUDA kernels so that builds without the backend link;
// such builds cannot make CUDA tensors, so the branch is never taken there.
#ifdef VARSTAR_HAS_CUDA
#define VARSTAR_CUDA_CALL(...) __VA_ARGS__
#else
#define VARSTAR_CUDA_CALL(...) ::varstar::detail::no_cuda_backend()
#endif
