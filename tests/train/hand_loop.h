#pragma once
// The loop train_fold runs, written out with engine calls only: epoch e's
// rows in epoch_permutation's order, batch after batch (the last one smaller),
// one Adam step each at scheduled_lr's rate for that step, the loss weighted
// by the training rows' balanced class weights when asked. For tests that
// check train_fold feeds each step its own batch at its own rate.
#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "data/balance.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/optim.h"
#include "engine/threads.h"
#include "models/models.h"
#include "train/dataset.h"
#include "train/trainer.h"

namespace varstar::test {

inline std::unique_ptr<models::Model> hand_trained(const train::TrainConfig& c, const train::Dataset& data,
                                                   const train::FoldJob& job, Device device) {
  REQUIRE(c.optimizer == "adam");
  REQUIRE(c.weight_decay == 0);
  REQUIRE(c.validation_fraction == 0);
  REQUIRE_FALSE(job.resume);
  set_num_threads(c.threads);
  if (device.is_cuda()) cuda::set_allow_tf32(c.tf32);
  auto model = models::make_model(
      c.model, models::config_for_input(c.model, data.sample_shape, data.n_classes(), c.seed + job.fold));
  model->to(device);
  model->train();
  optim::AdamOptions o;
  o.lr = c.lr;
  optim::Adam adam(model->named_parameters(), o);
  Tensor class_weights;
  if (c.class_weights) {
    std::vector<int32_t> labels;
    for (int64_t r : job.train_rows) labels.push_back(data.labels[r]);
    const auto w = data::balanced_class_weights(data::class_counts(labels, data.n_classes()));
    class_weights = Tensor::from_vector(std::vector<float>(w.begin(), w.end()), {data.n_classes()}).to(device);
  }
  const int64_t n = static_cast<int64_t>(job.train_rows.size()), steps = (n + c.batch - 1) / c.batch;
  for (int epoch = 1; epoch <= c.epochs; ++epoch) {
    const std::vector<int64_t> order = train::epoch_permutation(job.train_rows, c.seed, job.fold, epoch);
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t begin = step * c.batch;
      const std::span<const int64_t> rows(order.data() + begin, static_cast<size_t>(std::min(c.batch, n - begin)));
      adam.set_lr(train::scheduled_lr(c, epoch, step, steps));
      adam.zero_grad();
      Tensor loss = cross_entropy(model->forward(train::gather_samples(data, rows).to(device)),
                                  train::gather_labels(data, rows).to(device), class_weights);
      loss.backward();
      adam.step();
    }
  }
  return model;
}

}  // namespace varstar::test
