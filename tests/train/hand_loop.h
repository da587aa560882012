#pragma once
// The loop train_fold runs, written out with engine calls only: epoch e's
// rows in epoch_permutation's order, batch after batch (the last one smaller),
// one Adam step each, at the configuration's constant learning rate. For
// tests that check train_fold feeds each step its own batch.
#include <algorithm>
#include <memory>
#include <span>
#include <vector>

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
  REQUIRE(c.lr_schedule == "constant");
  REQUIRE(c.lr_warmup == 0);
  REQUIRE_FALSE(c.class_weights);
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
  const int64_t n = static_cast<int64_t>(job.train_rows.size());
  for (int epoch = 1; epoch <= c.epochs; ++epoch) {
    const std::vector<int64_t> order = train::epoch_permutation(job.train_rows, c.seed, job.fold, epoch);
    for (int64_t begin = 0; begin < n; begin += c.batch) {
      const std::span<const int64_t> rows(order.data() + begin, static_cast<size_t>(std::min(c.batch, n - begin)));
      adam.zero_grad();
      Tensor loss = cross_entropy(model->forward(train::gather_samples(data, rows).to(device)),
                                  train::gather_labels(data, rows).to(device));
      loss.backward();
      adam.step();
    }
  }
  return model;
}

}  // namespace varstar::test
