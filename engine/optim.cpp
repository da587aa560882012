// Optimizer steps and state (see optim.h).
#include "engine/optim.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops/common.h"
#include "kernels/optim.h"

namespace varstar::optim {

namespace {

void check_param(const Tensor& p, const std::string& name, const char* opt) {
  VARSTAR_CHECK(p.is_contiguous(), "{}: parameter '{}' must be contiguous", opt, name);
  const Tensor g = p.grad();
  VARSTAR_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
                "{}: gradient {} does not match parameter '{}' {}", opt, g.str(), name, p.str());
}

Tensor state_tensor(const OptimizerState& state, const std::string& key, const Tensor& like, const char* opt) {
  for (const auto& [name, t] : state.tensors)
    if (name == key) {
      VARSTAR_CHECK(t.shape() == like.shape(), "{} state '{}' has shape {}, the parameter {}", opt, key,
                    shape_str(t.shape()), shape_str(like.shape()));
      return t.to(like.dtype()).to(like.device()).clone();
    }
  throw Error(fmt::format("{} state is missing '{}'", opt, key));
}

double state_scalar(const OptimizerState& state, const std::string& key, const char* opt) {
  auto it = state.scalars.find(key);
  VARSTAR_CHECK(it != state.scalars.end(), "{} state is missing '{}'", opt, key);
  return it->second;
}

}  // namespace

void Optimizer::zero_grad() {
  for (auto& [name, p] : params_) p.zero_grad();
}

Adam::Adam(nn::NamedTensors params, AdamOptions options) : Optimizer(std::move(params)), options_(options) {
  lr_ = options.lr;
  for (const auto& [name, p] : params_) {
    exp_avg_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
    exp_avg_sq_.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  }
}

void Adam::step() {
  VARSTAR_PROFILE_OP(options_.decoupled ? "adamw_step" : "adam_step", profiler::Direction::optimizer, params_);
  VARSTAR_PROFILE_COST(12 * profiler::numel_with_grad(params_), 7 * profiler::nbytes_with_grad(params_));
  NoGradGuard no_grad;
  const int64_t previous_steps = steps_taken();
  step_ = previous_steps + 1;
  AdamParams a;
  a.lr = static_cast<float>(lr_);
  a.beta1 = static_cast<float>(options_.beta1);
  a.beta2 = static_cast<float>(options_.beta2);
  a.eps = static_cast<float>(options_.eps);
  a.weight_decay = static_cast<float>(options_.weight_decay);
  a.decoupled = options_.decoupled;
  const double bc1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
  a.step_size = static_cast<float>(lr_ / bc1);
  a.bias_correction2_sqrt = static_cast<float>(std::sqrt(bc2));
  std::vector<AdamTensor> fused;  // CUDA parameters, one launch for all
  std::vector<Tensor> fused_grads;  // keeps contiguous copies of gradients alive until the launch
  Device fused_device = Device::cpu();
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    check_param(p, params_[i].first, "Adam");
    Tensor g = p.grad().contiguous();
    Tensor& m = exp_avg_[i];
    Tensor& v = exp_avg_sq_[i];
    if (m.device() != p.device()) {  // the model moved after construction
      m = m.to(p.device());
      v = v.to(p.device());
    }
    if (p.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(p.dtype(), "Adam", [&] {
        cpu::adam_step<scalar_t>(p.data<scalar_t>(), g.data<scalar_t>(), m.data<scalar_t>(), v.data<scalar_t>(),
                                 p.numel(), a);
      });
    } else {
      detail::check_cuda_dtype(p, "Adam");
      VARSTAR_CHECK(fused.empty() || fused_device == p.device(), "Adam: parameters on {} and {}; one GPU per optimizer",
                    fused_device.str(), p.device().str());
      fused_device = p.device();
      fused.push_back({p.data<float>(), g.data<float>(), m.data<float>(), v.data<float>(), p.numel()});
      fused_grads.push_back(g);
    }
  }
  if (!fused.empty()) {
    if (!step_device_.defined() || step_device_.device() != fused_device) {
      // Made here in a capture, their initial fills would be part of the graph and reset them at every replay.
      VARSTAR_CHECK(!cuda::graph_capturing(),
                    "Adam: its first step on {} cannot be captured in a CUDA graph (it creates the device step "
                    "counter); run one step eagerly first (GraphedStep's warm-up does)",
                    fused_device.str());
      step_device_ = Tensor::full({1}, static_cast<double>(previous_steps), DType::i32, fused_device);
      lr_device_ = Tensor::empty({2}, DType::i32, fused_device);
      write_lr_to_device();
      synced_graph_epoch_ = cuda::graph_epoch();
    }
    AdamScalars scalars;
    scalars.beta1 = options_.beta1;
    scalars.beta2 = options_.beta2;
    VARSTAR_CUDA_CALL(cuda::adam_multi_tensor(fused.data(), static_cast<int64_t>(fused.size()), a, scalars,
                                              reinterpret_cast<const double*>(lr_device_.data<int32_t>()),
                                              step_device_.data<int32_t>(), detail::stream_for(step_device_)));
  } else if (step_device_.defined()) {
    // Captured, this fill would set the counter back to one value at every replay.
    VARSTAR_CHECK(!cuda::graph_capturing(),
                  "Adam: a captured CUDA graph step with no CUDA parameter gradients cannot advance the device step "
                  "counter; this step has nothing to capture");
    step_device_.fill_(static_cast<double>(step_));
  }
}

void Adam::set_lr(double lr) {
  const bool to_device = lr_device_.defined() && lr != lr_on_device_;
  VARSTAR_CHECK(!to_device || !cuda::graph_capturing(),
                "Adam::set_lr inside a captured CUDA graph step: set the learning rate between replays");
  lr_ = lr;
  if (to_device) write_lr_to_device();
}

void Adam::write_lr_to_device() {
  VARSTAR_CUDA_CALL(cuda::set_device_double(reinterpret_cast<double*>(lr_device_.data<int32_t>()), lr_,
                                            detail::stream_for(lr_device_)));
  lr_on_device_ = lr_;
}

int64_t Adam::steps_taken() const {
  // The host count is exact unless a CUDA graph captured or replayed steps
  // since it was last read from the device.
  if (step_device_.defined() && !cuda::graph_capturing() && synced_graph_epoch_ != cuda::graph_epoch()) {
    auto* self = const_cast<Adam*>(this);
    self->step_ = static_cast<int64_t>(step_device_.item());
    self->synced_graph_epoch_ = cuda::graph_epoch();
  }
  return step_;
}

OptimizerState Adam::state() const {
  OptimizerState s;
  for (size_t i = 0; i < params_.size(); ++i) {
    s.tensors.emplace_back("exp_avg." + params_[i].first, exp_avg_[i]);
    s.tensors.emplace_back("exp_avg_sq." + params_[i].first, exp_avg_sq_[i]);
  }
  s.scalars = {{"step", static_cast<double>(steps_taken())}, {"lr", lr_},
               {"beta1", options_.beta1}, {"beta2", options_.beta2},
               {"eps", options_.eps}, {"weight_decay", options_.weight_decay},
               {"decoupled", options_.decoupled ? 1.0 : 0.0}};
  return s;
}

void Adam::load_state(const OptimizerState& s) {
  const char* opt = "Adam";
  VARSTAR_CHECK((state_scalar(s, "decoupled", opt) != 0.0) == options_.decoupled,
                "optimizer state is for {}, this optimizer is {}",
                state_scalar(s, "decoupled", opt) != 0.0 ? "AdamW" : "Adam", name());
  for (size_t i = 0; i < params_.size(); ++i) {
    exp_avg_[i] = state_tensor(s, "exp_avg." + params_[i].first, params_[i].second, opt);
    exp_avg_sq_[i] = state_tensor(s, "exp_avg_sq." + params_[i].first, params_[i].second, opt);
  }
  step_ = static_cast<int64_t>(state_scalar(s, "step", opt));
  if (step_device_.defined()) {
    step_device_.fill_(static_cast<double>(step_));
    synced_graph_epoch_ = cuda::graph_epoch();
  }
  set_lr(state_scalar(s, "lr", opt));
  options_.beta1 = state_scalar(s, "beta1", opt);
  options_.beta2 = state_scalar(s, "beta2", opt);
  options_.eps = state_scalar(s, "eps", opt);
  options_.weight_decay = state_scalar(s, "weight_decay", opt);
}

SGD::SGD(nn::NamedTensors params, SgdOptions options) : Optimizer(std::move(params)), options_(options) {
  lr_ = options.lr;
  for (const auto& [name, p] : params_)
    momentum_buffer_.push_back(options.momentum != 0.0 ? Tensor::zeros(p.shape(), p.dtype(), p.device()) : Tensor());
}

void SGD::step() {
  VARSTAR_PROFILE_OP("sgd_step", profiler::Direction::optimizer, params_);
  VARSTAR_PROFILE_COST(6 * profiler::numel_with_grad(params_), 5 * profiler::nbytes_with_grad(params_));
  NoGradGuard no_grad;
  SgdParams s;
  s.lr = static_cast<float>(lr_);
  s.momentum = static_cast<float>(options_.momentum);
  s.dampening = static_cast<float>(options_.dampening);
  s.weight_decay = static_cast<float>(options_.weight_decay);
  s.nesterov = options_.nesterov;
  s.first_step = step_ == 0;
  ++step_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].second;
    if (!p.grad().defined()) continue;
    check_param(p, params_[i].first, "SGD");
    Tensor g = p.grad().contiguous();
    Tensor& buf = momentum_buffer_[i];
    if (buf.defined() && buf.device() != p.device()) buf = buf.to(p.device());
    if (p.device().is_cpu()) {
      VARSTAR_DISPATCH_FLOATING(p.dtype(), "SGD", [&] {
        cpu::sgd_step<scalar_t>(p.data<scalar_t>(), g.data<scalar_t>(), buf.defined() ? buf.data<scalar_t>() : nullptr,
                                p.numel(), s);
      });
    } else {
      VARSTAR_CUDA_CALL(cuda::sgd_step(p.data<float>(), g.data<float>(), buf.defined() ? buf.data<float>() : nullptr,
                                       p.numel(), s, detail::stream_for(p)));
    }
  }
}

OptimizerState SGD::state() const {
  OptimizerState s;
  for (size_t i = 0; i < params_.size(); ++i)
    if (momentum_buffer_[i].defined()) s.tensors.emplace_back("momentum_buffer." + params_[i].first, momentum_buffer_[i]);
  s.scalars = {{"step", static_cast<double>(step_)}, {"lr", lr_}, {"momentum", options_.momentum},
               {"dampening", options_.dampening}, {"weight_decay", options_.weight_decay},
               {"nesterov", options_.nesterov ? 1.0 : 0.0}};
  return s;
}

void SGD::load_state(const OptimizerState& s) {
  const char* opt = "SGD";
  step_ = static_cast<int64_t>(state_scalar(s, "step", opt));
  lr_ = state_scalar(s, "lr", opt);
  options_.momentum = state_scalar(s, "momentum", opt);
  options_.dampening = state_scalar(s, "dampening", opt);
  options_.weight_decay = state_scalar(s, "weight_decay", opt);
  options_.nesterov = state_scalar(s, "nesterov", opt) != 0.0;
  for (size_t i = 0; i < params_.size(); ++i)
    momentum_buffer_[i] = options_.momentum != 0.0
                              ? state_tensor(s, "momentum_buffer." + params_[i].first, params_[i].second, opt)
                              : Tensor();
}

}  // namespace varstar::optim
