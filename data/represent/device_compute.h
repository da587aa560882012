#pragma once
// Where the representation kernels run: the CPU twins of kernels/dmdt.h and
// kernels/harmonic.h, or their CUDA twins on one GPU. Internal to
// data/represent (build_dmdt, build_harmonic); the results of the two backends
// are the same integers for dm-dt and agree within kHarmonicDeviceTolerance
// for synthesis (represent.h).
//
// The GPU dm-dt path is a two-stage pipeline on the engine's stream of the
// device: submit() copies a chunk's series into pinned staging memory, queues
// the upload and the binning kernel and returns at once, so the host prepares
// the next chunk (synthesis, sorting) and normalises the previous one while
// the GPU bins; collect() waits for the counts. Without the CUDA backend only
// the CPU path exists.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/device.h"
#include "kernels/dmdt_math.h"

namespace varstar::data::repr {

// Throws varstar::Error unless `device` is the CPU or a usable GPU of this
// build (resolve_device() is how callers pick one; this is the library's guard).
void check_representation_device(Device device);

// Batched harmonic synthesis on `device` (kernels/harmonic.h), host arrays:
//   coeffs: (n_stars, 2 n_harmonics + 1) double; phase: (n_points) double;
//   out:    (n_stars, n_points) float.
// On a GPU the stars go in chunks (bounded device memory), synchronously.
void harmonic_synthesis(Device device, const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                        int64_t n_points, float* out);

// dm-dt histograms of chunks of series (kernels/dmdt.h), one chunk in flight.
class DmdtBinner {
 public:
  DmdtBinner(const DmdtPlan& plan, Device device);
  ~DmdtBinner();
  DmdtBinner(const DmdtBinner&) = delete;
  DmdtBinner& operator=(const DmdtBinner&) = delete;

  // Starts binning one chunk. t, m: (offsets.back()) sorted by time within
  // each series; offsets: (n_series + 1), offsets[0] == 0. The inputs may be
  // changed as soon as submit() returns. Precondition: no chunk in flight
  // (collect() was called after the previous submit()).
  void submit(std::span<const double> t, std::span<const double> m, std::span<const int64_t> offsets);
  // Waits for the submitted chunk. counts: (n_series, dmdt_plan_size(plan))
  // raw counts; pairs: (n_series) pairs with dt > 0. Resized here.
  void collect(std::vector<uint32_t>& counts, std::vector<int64_t>& pairs);

  Device device() const { return device_; }

 private:
  struct Gpu;
  DmdtPlan plan_;
  Device device_;
  std::unique_ptr<Gpu> gpu_;
  bool in_flight_ = false;
  int64_t n_series_ = 0;
  std::vector<uint32_t> cpu_counts_;  // CPU path: the chunk's results until collect()
  std::vector<int64_t> cpu_pairs_;
};

}  // namespace varstar::data::repr
