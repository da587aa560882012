// bench_dev_reduce: the sum along one dimension (kernels/reduce.h: x seen as
// (outer, n, inner), out[o, i] = sum_k x[o, k, i]) by our kernels against
// NVIDIA's libraries on the same data:
//   1 naive       one thread per output, a serial loop over k
//   2 production  varstar::cuda::sum_dim (kernels/cuda/reduce.cu: a block per
//                 row, rows split into slices when few and long, column tiles)
//   3 cub         inner == 1, one row: cub::DeviceReduce::Sum; otherwise
//                 cub::DeviceSegmentedReduce::Sum, a segment per output, columns
//                 read through a Thrust permutation iterator; temporary storage
//                 sized and allocated once, outside the timing (CUB's own pattern)
//   4 thrust      thrust::reduce_by_key over (output index, value) pairs, as a
//                 Thrust user writes it: its temporary memory is allocated and
//                 freed by each call (cudaMalloc), and it returns the number of
//                 outputs to the host (a synchronisation), both inside the timing
// Every variant is checked against a float64 sum on the CPU before it is
// timed: |got - exact| <= kRelTol * sum_k |x[o, k, i]| for every output. CUB's
// reductions repeat run to run on one GPU (its documented default); the check
// runs each variant twice and reports whether the two results are bitwise equal.
// GB/s count the bytes an op must move (x read once, out written once), against
// a device-to-device copy of x timed in the same run. Shapes: whole tensors, the
// few long rows and many short rows the production paths split on, and the column
// sums of a linear layer's bias gradient at batch 32.
// Usage: bench_dev_reduce [--quick]; exit 0 all valid, 1 a mismatch, 77 no GPU.
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/discard_iterator.h>
#include <thrust/iterator/permutation_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/reduce.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_segmented_reduce.cuh>
#include <functional>
#include <string>
#include <vector>

#include "bench/cuda_timing.h"
#include "kernels/cuda/check.cuh"
#include "kernels/philox_math.h"
#include "kernels/reduce.h"

namespace {

// A float sum of n terms in any order is within about n * eps * sum|x| of the
// exact sum; tree orders (all but naive) within log2(n) * eps * sum|x|.
// n * eps at the longest row here (2^26 in one output) is 4; the tolerance is
// set for the tree orders, and naive is held to it too: at these sizes its
// serial error stays well below the worst case.
constexpr double kRelTol = 1e-4;

constexpr unsigned kBlock = 256;

struct Shape {
  const char* what;
  int64_t outer, n, inner;
  int64_t outputs() const { return outer * inner; }
  int64_t elements() const { return outer * n * inner; }
};

std::vector<Shape> shapes(bool quick) {
  std::vector<Shape> s = {
      {"whole tensor, 2^20", 1, 1 << 20, 1},
      {"whole tensor, 4,099", 1, 4099, 1},
      {"3 long rows (split rows)", 3, 200003, 1},
      {"4,096 short rows", 4096, 37, 1},
      {"32 x 1,024 rows", 32, 1024, 1},
      {"bias grad, batch 32, 1,024 outputs", 1, 32, 1024},
      {"1,000 x 37 columns (column tiles)", 1, 1000, 37},
      {"(4, 333, 45)", 4, 333, 45},
  };
  if (!quick) {
    s.insert(s.begin(), {"whole tensor, 2^26", 1, 1 << 26, 1});
    s.push_back({"32,768 rows of 1,024", 32768, 1024, 1});
  }
  return s;
}

// ---- 1: naive ----
__global__ void naive_kernel(const float* __restrict__ x, float* __restrict__ out, int64_t outer, int64_t n,
                             int64_t inner) {
  const int64_t idx = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (idx >= outer * inner) return;
  const int64_t o = idx / inner, i = idx % inner;
  const float* src = x + o * n * inner + i;
  float acc = 0.f;
  for (int64_t k = 0; k < n; ++k) acc += src[k * inner];
  out[idx] = acc;
}

// Segment s's k-th value (s = o * inner + i): x[o, k, i].
struct SegmentElement {
  int64_t n, inner;
  __host__ __device__ int64_t operator()(int64_t j) const {
    const int64_t s = j / n, k = j % n;
    return (s / inner) * n * inner + k * inner + s % inner;
  }
};
struct Times {
  int64_t n;
  __host__ __device__ int64_t operator()(int64_t s) const { return s * n; }
};
struct DividedBy {
  int64_t n;
  __host__ __device__ int64_t operator()(int64_t j) const { return j / n; }
};

auto segment_values(const float* x, const Shape& s) {
  return thrust::make_permutation_iterator(
      thrust::device_pointer_cast(x),
      thrust::make_transform_iterator(thrust::make_counting_iterator<int64_t>(0), SegmentElement{s.n, s.inner}));
}
auto segment_offsets(const Shape& s) {
  return thrust::make_transform_iterator(thrust::make_counting_iterator<int64_t>(0), Times{s.n});
}

// ---- 3: CUB. Call with temp == nullptr to size `bytes`, then with the storage. ----
void cub_sum(void* temp, size_t& bytes, const float* x, float* out, const Shape& s, cudaStream_t stream) {
  if (s.outer == 1 && s.inner == 1) {
    VARSTAR_CUDA_CHECK(cub::DeviceReduce::Sum(temp, bytes, x, out, s.n, stream));
  } else if (s.inner == 1) {
    VARSTAR_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(temp, bytes, x, out, s.outer, segment_offsets(s),
                                                       segment_offsets(s) + 1, stream));
  } else {
    VARSTAR_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(temp, bytes, segment_values(x, s), out, s.outputs(),
                                                       segment_offsets(s), segment_offsets(s) + 1, stream));
  }
}

// ---- 4: Thrust ----
void thrust_sum(const float* x, float* out, const Shape& s, cudaStream_t stream) {
  const auto keys = thrust::make_transform_iterator(thrust::make_counting_iterator<int64_t>(0), DividedBy{s.n});
  const auto result = thrust::reduce_by_key(thrust::cuda::par.on(stream), keys, keys + s.elements(),
                                            segment_values(x, s), thrust::make_discard_iterator(),
                                            thrust::device_pointer_cast(out));
  if (result.second.get() - out != s.outputs()) {
    std::printf("thrust::reduce_by_key wrote %lld outputs, not %lld\n",
                static_cast<long long>(result.second.get() - out), static_cast<long long>(s.outputs()));
    std::exit(1);
  }
}

struct Variant {
  const char* name;
  std::function<void(const float*, float*, cudaStream_t)> run;
};

// Worst |got - exact| / sum|x| over the outputs (infinity on NaN).
double max_error(const std::vector<float>& got, const std::vector<double>& exact, const std::vector<double>& mass) {
  double worst = 0;
  for (size_t j = 0; j < got.size(); ++j) {
    const double e = std::isnan(got[j]) ? INFINITY : std::fabs(double(got[j]) - exact[j]) / mass[j];
    worst = e > worst ? e : worst;
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaStream_t stream;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const int reps = quick ? 20 : 100;
  int failures = 0;
  std::printf("%-36s %-11s %10s %10s %8s %9s %s\n", "shape (outer, n, inner)", "variant", "ms", "GB/s", "of copy",
              "rel err", "repeats");
  for (const Shape& s : shapes(quick)) {
    std::vector<float> x(static_cast<size_t>(s.elements()));
    for (size_t j = 0; j < x.size(); ++j) x[j] = 2.f * varstar::philox_uniform(7, j) - 1.f;
    std::vector<double> exact(static_cast<size_t>(s.outputs())), mass(exact.size());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t k = 0; k < s.n; ++k)
        for (int64_t i = 0; i < s.inner; ++i) {
          const double v = x[static_cast<size_t>((o * s.n + k) * s.inner + i)];
          exact[static_cast<size_t>(o * s.inner + i)] += v;
          mass[static_cast<size_t>(o * s.inner + i)] += std::fabs(v);
        }
    float *dx, *dout, *dcopy;
    VARSTAR_CUDA_CHECK(cudaMalloc(&dx, x.size() * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&dcopy, x.size() * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMalloc(&dout, exact.size() * sizeof(float)));
    VARSTAR_CUDA_CHECK(cudaMemcpy(dx, x.data(), x.size() * sizeof(float), cudaMemcpyHostToDevice));
    size_t cub_bytes = 0;
    cub_sum(nullptr, cub_bytes, dx, dout, s, stream);
    void* cub_temp = nullptr;
    VARSTAR_CUDA_CHECK(cudaMalloc(&cub_temp, cub_bytes > 0 ? cub_bytes : 1));

    const double bytes = 4.0 * static_cast<double>(s.elements() + s.outputs());
    const double copy_ms = varstar::bench::median_event_ms(
        [&] {
          VARSTAR_CUDA_CHECK(
              cudaMemcpyAsync(dcopy, dx, x.size() * sizeof(float), cudaMemcpyDeviceToDevice, stream));
        },
        stream, 3, reps);
    const double copy_gbs = 2.0 * 4.0 * static_cast<double>(s.elements()) / (copy_ms * 1e6);

    const std::vector<Variant> variants = {
        {"naive",
         [&](const float* in, float* out, cudaStream_t st) {
           naive_kernel<<<varstar::cuda::detail::grid_for(s.outputs(), kBlock), kBlock, 0, st>>>(in, out, s.outer,
                                                                                                 s.n, s.inner);
           VARSTAR_CUDA_CHECK_LAUNCH("naive_kernel");
         }},
        {"production",
         [&](const float* in, float* out, cudaStream_t st) {
           varstar::cuda::sum_dim(in, out, s.outer, s.n, s.inner, st);
         }},
        {"cub", [&](const float* in, float* out, cudaStream_t st) { cub_sum(cub_temp, cub_bytes, in, out, s, st); }},
        {"thrust", [&](const float* in, float* out, cudaStream_t st) { thrust_sum(in, out, s, st); }},
    };
    const std::string label = std::string(s.what) + " (" + std::to_string(s.outer) + ", " + std::to_string(s.n) +
                              ", " + std::to_string(s.inner) + ")";
    for (const Variant& v : variants) {
      std::vector<float> first(exact.size()), second(exact.size());
      for (std::vector<float>* got : {&first, &second}) {
        VARSTAR_CUDA_CHECK(cudaMemsetAsync(dout, 0xff, exact.size() * sizeof(float), stream));  // NaN
        v.run(dx, dout, stream);
        VARSTAR_CUDA_CHECK(cudaMemcpyAsync(got->data(), dout, exact.size() * sizeof(float), cudaMemcpyDeviceToHost,
                                           stream));
        VARSTAR_CUDA_CHECK(cudaStreamSynchronize(stream));
      }
      const double err = max_error(first, exact, mass);
      const bool repeats = std::memcmp(first.data(), second.data(), first.size() * sizeof(float)) == 0;
      const bool ok = err <= kRelTol;
      double ms = NAN, gbs = NAN;
      if (ok) {
        ms = varstar::bench::median_event_ms([&] { v.run(dx, dout, stream); }, stream, 3, reps);
        gbs = bytes / (ms * 1e6);
      } else {
        ++failures;
      }
      std::printf("%-36s %-11s %10.4f %10.1f %7.0f%% %9.1e %s%s\n", label.c_str(), v.name, ms, gbs,
                  100.0 * gbs / copy_gbs, err, repeats ? "bitwise" : "DIFFER",
                  ok ? "" : "  FAILED validation: not timed");
    }
    std::printf("%-36s %-11s %10.4f %10.1f\n", label.c_str(), "(d2d copy)", copy_ms, copy_gbs);
    for (void* p : {static_cast<void*>(dx), static_cast<void*>(dout), static_cast<void*>(dcopy), cub_temp})
      cudaFree(p);
  }
  cudaStreamDestroy(stream);
  return failures == 0 ? 0 : 1;
}
