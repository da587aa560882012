#pragma once
// The registry of differentiable ops: every op front end that records a
// backward rule is listed here. tests/engine/test_gradcheck.cpp fails when a
// listed op has no finite-difference gradient check, and the CUDA parity test
// fails when an op has no CUDA parity entry.
//   VARSTAR_OP(name)
#define VARSTAR_OP_LIST(VARSTAR_OP) \
  VARSTAR_OP(add)                   \
  VARSTAR_OP(sub)                   \
  VARSTAR_OP(mul)                   \
  VARSTAR_OP(div)                   \
  VARSTAR_OP(mul_scalar)            \
  VARSTAR_OP(add_scalar)            \
  VARSTAR_OP(relu)                  \
  VARSTAR_OP(tanh)                  \
  VARSTAR_OP(sigmoid)               \
  VARSTAR_OP(gelu)                  \
  VARSTAR_OP(sum)                   \
  VARSTAR_OP(mean)                  \
  VARSTAR_OP(contiguous)            \
  VARSTAR_OP(to_dtype)              \
  VARSTAR_OP(reshape)               \
  VARSTAR_OP(permute)               \
  VARSTAR_OP(slice)                 \
  VARSTAR_OP(select)                \
  VARSTAR_OP(expand)                \
  VARSTAR_OP(cat)                   \
  VARSTAR_OP(matmul)                \
  VARSTAR_OP(linear)                \
  VARSTAR_OP(conv1d)                \
  VARSTAR_OP(conv2d)                \
  VARSTAR_OP(maxpool1d)             \
  VARSTAR_OP(maxpool2d)             \
  VARSTAR_OP(dropout)               \
  VARSTAR_OP(lstm)                  \
  VARSTAR_OP(batch_norm)            \
  VARSTAR_OP(log_softmax)           \
  VARSTAR_OP(cross_entropy)

#include <string_view>
#include <vector>

namespace varstar {
// Names of all registered ops, in the order above.
const std::vector<std::string_view>& registered_ops();
}  // namespace varstar
