#pragma once
// Optimizers over named parameters: Adam (PyTorch's L2 weight_decay), AdamW
// (decoupled weight decay) and SGD with momentum. Their state (moment
// buffers, step count, hyper-parameters) can be saved and restored, so a
// resumed run continues exactly.
#include <map>
#include <string>

#include "engine/nn/module.h"

namespace varstar::optim {

struct OptimizerState {
  nn::NamedTensors tensors;                // e.g. "exp_avg.conv1.weight"
  std::map<std::string, double> scalars;   // e.g. "step", "lr"
};

class Optimizer {
 public:
  explicit Optimizer(nn::NamedTensors params) : params_(std::move(params)) {}
  virtual ~Optimizer() = default;
  // Applies one update from the parameters' current gradients (parameters
  // without a gradient are left alone, as PyTorch does).
  virtual void step() = 0;
  void zero_grad();
  virtual OptimizerState state() const = 0;
  virtual void load_state(const OptimizerState& state) = 0;
  virtual std::string name() const = 0;
  double lr() const { return lr_; }
  virtual void set_lr(double lr) { lr_ = lr; }
  const nn::NamedTensors& params() const { return params_; }

 protected:
  nn::NamedTensors params_;
  double lr_ = 1e-3;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  bool decoupled = false;  // true: AdamW
};

class Adam : public Optimizer {
 public:
  Adam(nn::NamedTensors params, AdamOptions options);
  void step() override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;
  std::string name() const override { return options_.decoupled ? "AdamW" : "Adam"; }
  // On CUDA the rate is also written to the device, where the fused launch
  // reads it: a captured step replays at the rate set since. Not inside a capture.
  void set_lr(double lr) override;
  // Steps applied so far (on CUDA read from the device counter, which also
  // counts the replays of a captured CUDA graph).
  int64_t steps_taken() const;

 private:
  void write_lr_to_device();

  AdamOptions options_;
  int64_t step_ = 0;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
  // CUDA parameters: one fused multi-tensor launch per step, whose step
  // counter (int32, one element) and learning rate (a double, as two int32)
  // live on the device.
  Tensor step_device_, lr_device_;
  double lr_on_device_ = 0.0;        // what lr_device_ holds, once defined
  uint64_t synced_graph_epoch_ = 0;  // cuda::graph_epoch() when step_ last matched the device
};

// AdamW with PyTorch's default weight decay of 0.01.
inline AdamOptions adamw_options(double lr, double weight_decay = 0.01) {
  AdamOptions o;
  o.lr = lr;
  o.weight_decay = weight_decay;
  o.decoupled = true;
  return o;
}

struct SgdOptions {
  double lr = 1e-2, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(nn::NamedTensors params, SgdOptions options);
  void step() override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;
  std::string name() const override { return "SGD"; }

 private:
  SgdOptions options_;
  int64_t step_ = 0;
  std::vector<Tensor> momentum_buffer_;
};

}  // namespace varstar::optim
