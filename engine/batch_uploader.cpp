// BatchUploader (engine/batch_uploader.h): pinned staging, a second stream and
// events between it and the engine's stream.
#include "engine/batch_uploader.h"

#include <cstring>

#include "engine/cuda_backend.h"

namespace varstar {

namespace {
constexpr size_t kAlign = 256;  // every tensor of a batch starts at a 256-byte offset
}

BatchUploader::BatchUploader(Layout layout, Device device, int depth) : layout_(std::move(layout)), device_(device) {
  VARSTAR_CHECK(depth >= 2, "BatchUploader: depth must be at least 2 (one batch in use, one uploading), got {}",
                depth);
  VARSTAR_CHECK(!layout_.empty(), "BatchUploader: a batch needs at least one tensor");
  std::vector<size_t> offsets;
  for (const auto& [shape, dtype] : layout_) {
    offsets.push_back(batch_bytes_);
    const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    batch_bytes_ += (bytes + kAlign - 1) / kAlign * kAlign;
  }
  if (device_.is_cuda()) upload_stream_ = cuda::create_stream(device_.index);
  slots_.resize(depth);
  for (Slot& s : slots_) {
    s.offsets = offsets;
    for (const auto& [shape, dtype] : layout_) s.tensors.push_back(Tensor::empty(shape, dtype, device_));
    if (device_.is_cuda()) {
      s.pinned = cuda::pinned_malloc(batch_bytes_);
      s.copied = cuda::event_create(device_.index);
      s.consumed = cuda::event_create(device_.index);
    }
  }
}

BatchUploader::~BatchUploader() {
  for (Slot& s : slots_) {
    if (s.copied) {
      try {
        cuda::event_synchronize(s.copied);
      } catch (...) {
      }
      cuda::event_destroy(s.copied);
    }
    cuda::event_destroy(s.consumed);
    cuda::pinned_free(s.pinned);
  }
  cuda::destroy_stream(upload_stream_);
}

void BatchUploader::submit(const std::vector<Tensor>& host) {
  // The slot handed out by the last next() is in use: it is not free for uploads.
  const int free_slots = static_cast<int>(slots_.size()) - (last_taken_slot_ >= 0 ? 1 : 0);
  VARSTAR_CHECK(pending() < free_slots, "BatchUploader: {} batches already waiting (depth {}); call next() first",
                pending(), slots_.size());
  VARSTAR_CHECK(host.size() == layout_.size(), "BatchUploader: a batch has {} tensors, got {}", layout_.size(),
                host.size());
  for (size_t i = 0; i < host.size(); ++i) {
    VARSTAR_CHECK(host[i].device().is_cpu(), "BatchUploader: tensor {} must be on the CPU, got {}", i,
                  host[i].device().str());
    VARSTAR_CHECK(host[i].shape() == layout_[i].first && host[i].dtype() == layout_[i].second,
                  "BatchUploader: tensor {} is {}, the layout says {}{}", i, host[i].str(),
                  dtype_name(layout_[i].second), shape_str(layout_[i].first));
  }
  Slot& s = slots_[submitted_ % static_cast<int64_t>(slots_.size())];
  if (device_.is_cpu()) {
    for (size_t i = 0; i < host.size(); ++i) s.tensors[i].copy_(host[i]);
  } else {
    cuda::event_synchronize(s.copied);  // the previous upload from this slot has left `pinned`
    for (size_t i = 0; i < host.size(); ++i) {
      const Tensor c = host[i].contiguous();
      if (c.nbytes() > 0) std::memcpy(static_cast<char*>(s.pinned) + s.offsets[i], c.raw_data(), c.nbytes());
    }
    // The engine's stream must be done with this slot's previous batch.
    if (s.consumed_recorded) cuda::stream_wait_event(upload_stream_, s.consumed);
    for (size_t i = 0; i < host.size(); ++i)
      cuda::copy_host_to_device_async(s.tensors[i].raw_data(), static_cast<char*>(s.pinned) + s.offsets[i],
                                      s.tensors[i].nbytes(), upload_stream_, device_.index);
    cuda::event_record(s.copied, upload_stream_);
  }
  ++submitted_;
}

std::vector<Tensor> BatchUploader::next() {
  VARSTAR_CHECK(pending() > 0, "BatchUploader::next: nothing submitted");
  const int index = static_cast<int>(taken_ % static_cast<int64_t>(slots_.size()));
  Slot& s = slots_[index];
  if (device_.is_cuda()) {
    cuda_stream compute = cuda::current_stream(device_.index);
    // Work queued so far used the previously taken batch: mark it consumed.
    if (last_taken_slot_ >= 0) {
      Slot& prev = slots_[last_taken_slot_];
      cuda::event_record(prev.consumed, compute);
      prev.consumed_recorded = true;
    }
    cuda::stream_wait_event(compute, s.copied);
  }
  last_taken_slot_ = index;
  ++taken_;
  return s.tensors;
}

}  // namespace varstar
