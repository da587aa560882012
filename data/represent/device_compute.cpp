// The representation kernels on the CPU or one GPU (device_compute.h).
// GPU memory: inputs are staged in pinned host buffers and uploaded with
// cudaMemcpyAsync on the engine's stream of the device (engine/cuda_backend.h),
// device buffers come from the engine's caching allocator; every buffer grows
// by half again when a chunk needs more, so a run allocates a few times only.
// Chunks are serialised on one stream and one chunk is in flight at a time,
// so single input and output buffers suffice: submit() of chunk k+1 comes
// after collect() of chunk k, which waited for everything chunk k queued.
#include "data/represent/device_compute.h"

#include <algorithm>
#include <cstring>

#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "kernels/dmdt.h"
#include "kernels/harmonic.h"

#ifdef VARSTAR_HAS_CUDA
#include "kernels/cuda/check.cuh"
#endif

namespace varstar::data::repr {

void check_representation_device(Device device) {
  if (device.is_cpu()) return;
  const int count = cuda::device_count();
  if (device.index >= 0 && device.index < count) return;
  throw Error(fmt::format("representations on {} requested, but {}; choose the device with resolve_device() (as "
                          "--device does), which falls back to the CPU",
                          device.str(), count == 0 ? cuda::unavailable_reason()
                                                   : fmt::format("only {} GPU(s) are visible", count)));
}

#ifdef VARSTAR_HAS_CUDA

namespace {

// A growable pinned host array.
template <class T>
struct PinnedArray {
  T* ptr = nullptr;
  size_t capacity = 0;
  PinnedArray() = default;
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;
  ~PinnedArray() { cuda::pinned_free(ptr); }
  // Precondition: no copy from or to the old buffer is pending.
  void reserve(size_t n) {
    if (n <= capacity) return;
    const size_t grown = std::max(n, capacity + capacity / 2);
    cuda::pinned_free(ptr);
    ptr = nullptr;
    capacity = 0;
    ptr = static_cast<T*>(cuda::pinned_malloc(grown * sizeof(T)));
    capacity = grown;
  }
};

// A growable device array from the caching allocator (stream-ordered on the
// engine's stream, so freeing the old block while work on it is queued there
// is safe).
template <class T>
struct DeviceArray {
  int device = 0;
  T* ptr = nullptr;
  size_t capacity = 0;
  explicit DeviceArray(int d) : device(d) {}
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cuda::device_free(ptr, device); }
  void reserve(size_t n) {
    if (n <= capacity) return;
    const size_t grown = std::max(n, capacity + capacity / 2);
    cuda::device_free(ptr, device);
    ptr = nullptr;
    capacity = 0;
    ptr = static_cast<T*>(cuda::device_malloc(grown * sizeof(T), device));
    capacity = grown;
  }
};

void upload(void* dst, const void* src, size_t bytes, cuda_stream stream) {
  if (bytes > 0) VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}
void download(void* dst, const void* src, size_t bytes, cuda_stream stream) {
  if (bytes > 0) VARSTAR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
}

// Stars per synthesis launch: at most this many output floats (256 MiB).
constexpr int64_t kSynthesisChunkValues = int64_t{1} << 26;

}  // namespace

struct DmdtBinner::Gpu {
  int index;
  cuda_stream stream;
  PinnedArray<double> h_t, h_m;
  PinnedArray<int64_t> h_offsets, h_pairs;
  PinnedArray<uint32_t> h_counts;
  DeviceArray<double> d_t, d_m;
  DeviceArray<int64_t> d_offsets, d_pairs;
  DeviceArray<uint32_t> d_counts;
  explicit Gpu(int i)
      : index(i), stream(cuda::current_stream(i)), d_t(i), d_m(i), d_offsets(i), d_pairs(i), d_counts(i) {}
};

void harmonic_synthesis(Device device, const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                        int64_t n_points, float* out) {
  if (device.is_cpu()) return cpu::harmonic_synthesis_forward(coeffs, n_stars, n_harmonics, phase, n_points, out);
  check_representation_device(device);
  if (n_stars == 0 || n_points == 0) return;
  const int index = device.index;
  VARSTAR_CUDA_CHECK(cudaSetDevice(index));
  const cuda_stream stream = cuda::current_stream(index);
  const int stride = harmonic_coeff_stride(n_harmonics);
  const int64_t chunk = std::max<int64_t>(1, std::min(n_stars, kSynthesisChunkValues / n_points));
  DeviceArray<double> d_coeffs(index), d_phase(index);
  DeviceArray<float> d_out(index);
  d_coeffs.reserve(static_cast<size_t>(chunk * stride));
  d_phase.reserve(static_cast<size_t>(n_points));
  d_out.reserve(static_cast<size_t>(chunk * n_points));
  upload(d_phase.ptr, phase, sizeof(double) * n_points, stream);
  for (int64_t s0 = 0; s0 < n_stars; s0 += chunk) {
    const int64_t n = std::min(chunk, n_stars - s0);
    upload(d_coeffs.ptr, coeffs + s0 * stride, sizeof(double) * n * stride, stream);
    cuda::harmonic_synthesis_forward(d_coeffs.ptr, n, n_harmonics, d_phase.ptr, n_points, d_out.ptr, stream);
    download(out + s0 * n_points, d_out.ptr, sizeof(float) * n * n_points, stream);
    // The pageable copies are synchronous with the host already; this makes
    // the wait explicit before the buffers are reused or freed.
    VARSTAR_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
}

#else  // no CUDA backend

struct DmdtBinner::Gpu {};

void harmonic_synthesis(Device device, const double* coeffs, int64_t n_stars, int n_harmonics, const double* phase,
                        int64_t n_points, float* out) {
  check_representation_device(device);  // throws for any GPU
  cpu::harmonic_synthesis_forward(coeffs, n_stars, n_harmonics, phase, n_points, out);
}

#endif

DmdtBinner::DmdtBinner(const DmdtPlan& plan, Device device) : plan_(plan), device_(device) {
  check_representation_device(device);
#ifdef VARSTAR_HAS_CUDA
  if (device.is_cuda()) {
    VARSTAR_CUDA_CHECK(cudaSetDevice(device.index));
    gpu_ = std::make_unique<Gpu>(device.index);
  }
#endif
}

DmdtBinner::~DmdtBinner() {
#ifdef VARSTAR_HAS_CUDA
  // A chunk abandoned by an exception: let its copies finish before the
  // pinned buffers go (destructors only log, never throw).
  if (gpu_ && in_flight_) {
    const cudaError_t err = cudaStreamSynchronize(gpu_->stream);
    if (err != cudaSuccess) std::fprintf(stderr, "varstar: dm-dt binner: %s\n", cudaGetErrorString(err));
  }
#endif
}

void DmdtBinner::submit(std::span<const double> t, std::span<const double> m, std::span<const int64_t> offsets) {
  VARSTAR_CHECK(!in_flight_, "internal: dm-dt chunk submitted before the previous one was collected");
  VARSTAR_CHECK(!offsets.empty() && offsets.front() == 0 && offsets.back() == static_cast<int64_t>(t.size()) &&
                    t.size() == m.size(),
                "internal: dm-dt chunk with inconsistent offsets ({} points, {} magnitudes)", t.size(), m.size());
  n_series_ = static_cast<int64_t>(offsets.size()) - 1;
  const int size = dmdt_plan_size(plan_);
  const size_t n_counts = static_cast<size_t>(n_series_) * size;
  if (!gpu_) {
    cpu_counts_.assign(n_counts, 0);
    cpu_pairs_.assign(static_cast<size_t>(n_series_), 0);
    cpu::dmdt_histogram_forward(plan_, t.data(), m.data(), offsets.data(), n_series_, cpu_counts_.data(),
                                cpu_pairs_.data());
    in_flight_ = true;
    return;
  }
#ifdef VARSTAR_HAS_CUDA
  Gpu& g = *gpu_;
  const size_t points = t.size(), n_off = offsets.size(), n_ser = static_cast<size_t>(n_series_);
  int64_t longest = 0;
  for (int64_t s = 0; s < n_series_; ++s) longest = std::max(longest, offsets[s + 1] - offsets[s]);
  g.h_t.reserve(points);
  g.h_m.reserve(points);
  g.h_offsets.reserve(n_off);
  g.h_counts.reserve(n_counts);
  g.h_pairs.reserve(n_ser);
  g.d_t.reserve(points);
  g.d_m.reserve(points);
  g.d_offsets.reserve(n_off);
  g.d_counts.reserve(n_counts);
  g.d_pairs.reserve(n_ser);
  if (points > 0) {
    std::memcpy(g.h_t.ptr, t.data(), sizeof(double) * points);
    std::memcpy(g.h_m.ptr, m.data(), sizeof(double) * points);
  }
  std::memcpy(g.h_offsets.ptr, offsets.data(), sizeof(int64_t) * n_off);
  VARSTAR_CUDA_CHECK(cudaSetDevice(g.index));
  upload(g.d_t.ptr, g.h_t.ptr, sizeof(double) * points, g.stream);
  upload(g.d_m.ptr, g.h_m.ptr, sizeof(double) * points, g.stream);
  upload(g.d_offsets.ptr, g.h_offsets.ptr, sizeof(int64_t) * n_off, g.stream);
  in_flight_ = true;  // from here on the stream may touch the pinned buffers
  cuda::dmdt_histogram_forward(plan_, g.d_t.ptr, g.d_m.ptr, g.d_offsets.ptr, n_series_, longest, g.d_counts.ptr,
                               g.d_pairs.ptr, g.stream);
  download(g.h_counts.ptr, g.d_counts.ptr, sizeof(uint32_t) * n_counts, g.stream);
  download(g.h_pairs.ptr, g.d_pairs.ptr, sizeof(int64_t) * n_ser, g.stream);
#endif
}

void DmdtBinner::collect(std::vector<uint32_t>& counts, std::vector<int64_t>& pairs) {
  VARSTAR_CHECK(in_flight_, "internal: dm-dt collect() without a submitted chunk");
  if (!gpu_) {
    counts.swap(cpu_counts_);
    pairs.swap(cpu_pairs_);
    in_flight_ = false;
    return;
  }
#ifdef VARSTAR_HAS_CUDA
  Gpu& g = *gpu_;
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(g.stream));
  in_flight_ = false;
  const size_t n_counts = static_cast<size_t>(n_series_) * dmdt_plan_size(plan_);
  counts.assign(g.h_counts.ptr, g.h_counts.ptr + n_counts);
  pairs.assign(g.h_pairs.ptr, g.h_pairs.ptr + n_series_);
#endif
}

}  // namespace varstar::data::repr
