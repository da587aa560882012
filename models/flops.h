#pragma once
// Arithmetic counts of the thesis networks, for benchmark reports.
#include <string>

#include "models/models.h"

namespace varstar::models {

// Floating-point operations (multiply and add counted separately) of one
// forward pass of `model` on `batch` samples: convolutions, LSTMs and linear
// layers only (activations and pooling are a rounding error).
double forward_flops(const Model& model, int64_t batch);
// A training step is counted as three forward passes (backward needs the
// gradients of both inputs and weights), the usual convention.
inline double training_step_flops(const Model& model, int64_t batch) { return 3.0 * forward_flops(model, batch); }

}  // namespace varstar::models
