#pragma once
// Module: a layer or network holding named parameters (trainable leaves),
// buffers (state such as batch-norm running statistics) and child modules.
// Names follow PyTorch's state_dict convention ("conv1.weight",
// "lstm1.weight_ih_l0"), so checkpoints load into PyTorch models.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace varstar::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;

  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;
  // Parameters then buffers: everything a checkpoint stores.
  NamedTensors state() const;
  int64_t parameter_count() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves parameters and buffers in place (tensor identities are kept, so
  // optimizers holding them stay valid).
  void to(Device device);
  void zero_grad();

 protected:
  Tensor& register_parameter(const std::string& name, Tensor value);
  Tensor& register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void collect(const std::string& prefix, NamedTensors& out, bool parameters) const;
  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Replaces the contents (storage, shape, dtype, device) of `target` with those
// of `source`, keeping target's identity and requires_grad.
void assign_tensor(Tensor& target, const Tensor& source);

}  // namespace varstar::nn
