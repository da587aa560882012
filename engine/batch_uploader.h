#pragma once
// Asynchronous host-to-device batch copies for a training loop: the next batch
// uploads on a second stream while the current step computes.
//
//   BatchUploader up({{{32, 1, 359}, DType::f32}, {{32}, DType::i32}}, Device::cuda(0));
//   up.submit({x0, y0});                  // returns once staged in pinned memory
//   for (...) {
//     std::vector<Tensor> batch = up.next();  // the engine's stream waits for its copy
//     up.submit({x_next, y_next});        // copies while the step below computes
//     step(batch[0], batch[1]);
//   }
//
// Each of `depth` slots owns a pinned host staging buffer and device tensors.
// submit() waits on the host only until that slot's previous copy has left
// its pinned buffer; the copy itself waits (on the GPU, by event) until the
// engine's stream has finished with the slot's previous batch, i.e. with the
// work queued before the next() that followed it. Tensors returned by next()
// stay valid until the following next(); at most depth - 1 batches can wait
// while one is in use (depth >= 2).
// On the CPU the same calls copy synchronously, so a loop runs on either device.
#include <utility>
#include <vector>

#include "engine/tensor.h"
#include "kernels/common.h"

namespace varstar {

class BatchUploader {
 public:
  using Layout = std::vector<std::pair<Shape, DType>>;  // one entry per tensor of a batch
  BatchUploader(Layout layout, Device device, int depth = 2);
  ~BatchUploader();
  BatchUploader(const BatchUploader&) = delete;
  BatchUploader& operator=(const BatchUploader&) = delete;

  // Starts the upload of one batch: CPU tensors matching the layout (any
  // strides). At most depth - 1 batches may wait besides the one in use.
  void submit(const std::vector<Tensor>& host);
  // The oldest submitted batch, on the device.
  std::vector<Tensor> next();
  int pending() const { return static_cast<int>(submitted_ - taken_); }
  Device device() const { return device_; }

 private:
  struct Slot {
    void* pinned = nullptr;          // staging: every tensor of the batch back to back
    std::vector<size_t> offsets;     // byte offset of each tensor in `pinned`
    std::vector<Tensor> tensors;     // device copies
    void* copied = nullptr;          // event: the upload left `pinned`
    void* consumed = nullptr;        // event: the engine's stream is done with `tensors`
    bool consumed_recorded = false;
  };
  Layout layout_;
  Device device_;
  size_t batch_bytes_ = 0;
  std::vector<Slot> slots_;
  cuda_stream upload_stream_ = nullptr;
  int64_t submitted_ = 0, taken_ = 0;
  int last_taken_slot_ = -1;
};

}  // namespace varstar
