// kernels/cuda/*.cu on the CPU under the SIMT emulator (tests/emu/simt.h),
// against the CPU reference: the launchers, grids, shared memory, barriers and
// warp shuffles of the CUDA kernels run here without a GPU. Each kernel runs
// with the threads of a block in order, reversed and shuffled (a result that
// changes reads another thread's write without a barrier), the last with
// grid-stride launches capped at two blocks (every loop takes several turns).
//
// What this cannot show: timing, the device's own rounding of intrinsics,
// and races between blocks. test_cuda_parity on a GPU stays the proof.
#include <doctest/doctest.h>

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/dropout.h"
#include "kernels/gemm.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"
#include "tests/emu/emu_test.h"
#include "tests/emu/simt.h"

namespace cpu = varstar::cpu;
namespace gpu = varstar::cuda;

using namespace emutest;

namespace {

// After a run of every test case with none failed: every kernel of
// kernels/cuda/ must have run (or be exempted with a reason), or the program
// exits 1 naming the kernels that never ran, as the op registry test does for ops.
class KernelCoverage : public doctest::IReporter {
 public:
  explicit KernelCoverage(const doctest::ContextOptions&) {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    if (stats.numTestCasesPassingFilters != stats.numTestCases || stats.numTestCasesFailed > 0) return;
    const std::vector<std::string> missing = emu::kernels_never_run();
    if (missing.empty()) return;
    std::fprintf(stderr, "emu: %zu kernels of kernels/cuda/ never ran under the emulator (add a case to tests/emu/):\n",
                 missing.size());
    for (const std::string& key : missing) std::fprintf(stderr, "  %s\n", key.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("emu-kernel-coverage", 1, KernelCoverage);

// Runs only on tensors of 2^31 elements or more (pool.cu takes 32-bit index arithmetic below):
// 8 GiB of float, too much for a test here; no GPU test reaches it either.
const bool kPoolBackward64Exempt =
    (emu::exempt_kernel("pool.cu:maxpool_backward_kernel", "needs 2^31 elements"), true);

// ---- kernels written for the emulator's own tests ----------------------------------

// out[block] = sum of x over the block's threads: shared memory, a tree of barriers.
__global__ void block_sum_kernel(const float* x, float* out) {
  __shared__ float partial[256];
  const unsigned t = threadIdx.x;
  partial[t] = x[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (t < stride) partial[t] += partial[t + stride];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

// The same without the barriers: thread t reads what thread t + stride may not have written.
__global__ void racy_block_sum_kernel(const float* x, float* out) {
  __shared__ float partial[256];
  const unsigned t = threadIdx.x;
  partial[t] = x[blockIdx.x * blockDim.x + t];
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1)
    if (t < stride) partial[t] += partial[t + stride];
  if (t == 0) out[blockIdx.x] = partial[0];
}

// A warp's butterfly: every lane ends with the sum of all 32.
__global__ void warp_sum_kernel(const float* x, float* out) {
  float v = x[threadIdx.x];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  out[threadIdx.x] = v;
}

// Threads of odd index leave before the barrier the others wait at.
__global__ void divergent_barrier_kernel(float* out) {
  if (threadIdx.x % 2 == 1) return;
  __syncthreads();
  out[threadIdx.x] = 1.f;
}

// Lane 0 asks for a shuffle over the whole warp, lane 1 over lanes 0-1.
__global__ void mismatched_mask_kernel(float* out) {
  const unsigned mask = threadIdx.x == 1 ? 0x3u : 0xffffffffu;
  out[threadIdx.x] = __shfl_down_sync(mask, 1.f, 1);
}

// Lanes of the same value: bit l set for each lane l whose key equals the caller's.
__global__ void match_any_kernel(const int* key, unsigned* out) {
  out[threadIdx.x] = __match_any_sync(0xffffffffu, key[threadIdx.x]);
}

// Each block writes its index, and after the grid barrier reads its neighbour's.
__global__ void grid_neighbour_kernel(float* slots, float* out) {
  if (threadIdx.x == 0) slots[blockIdx.x] = static_cast<float>(blockIdx.x);
  cooperative_groups::this_grid().sync();
  if (threadIdx.x == 0) out[blockIdx.x] = slots[(blockIdx.x + 1) % gridDim.x];
}

// Block 0 leaves; the others wait for it at the grid barrier.
__global__ void grid_exit_kernel(float* out) {
  if (blockIdx.x == 0) return;
  cooperative_groups::this_grid().sync();
  out[blockIdx.x] = 1.f;
}

}  // namespace

TEST_CASE("emu: a cooperative launch's grid barrier waits for every block; a block that leaves is a deadlock") {
  constexpr unsigned kBlocks = 6;
  std::vector<float> slots(kBlocks, NAN), out(kBlocks, NAN);
  float* slot_ptr = slots.data();
  float* out_ptr = out.data();
  void* args[] = {&slot_ptr, &out_ptr};
  REQUIRE(cudaLaunchCooperativeKernel(grid_neighbour_kernel, dim3(kBlocks), dim3(64), args) == cudaSuccess);
  for (unsigned b = 0; b < kBlocks; ++b) CHECK(out[b] == static_cast<float>((b + 1) % kBlocks));
  void* exit_args[] = {&out_ptr};
  CHECK_THROWS_WITH(cudaLaunchCooperativeKernel(grid_exit_kernel, dim3(kBlocks), dim3(32), exit_args),
                    doctest::Contains("deadlock"));
}

TEST_CASE("emu: shared memory and barriers give the block's sum in any thread order") {
  const std::vector<float> x = uniform(3 * 256, 1);
  for (emu::Order order : {emu::Order::forward, emu::Order::reverse, emu::Order::shuffled}) {
    emu::set_order(order);
    std::vector<float> out(3, 0.f);
    emu::launch(emu::config(3, 256), [](const float* a, float* b) { block_sum_kernel(a, b); }, x.data(), out.data());
    for (int b = 0; b < 3; ++b) {
      double want = 0;
      for (int t = 0; t < 256; ++t) want += x[b * 256 + t];
      CHECK(out[b] == doctest::Approx(want).epsilon(1e-5));
    }
  }
  emu::set_order(emu::Order::forward);
}

TEST_CASE("emu: a missing barrier changes the result with the thread order") {
  const std::vector<float> x = uniform(256, 2, 1.f, 2.f);
  std::vector<float> forward(1), reverse(1), shuffled(1);
  const auto run = [&](emu::Order order, std::vector<float>& out) {
    emu::set_order(order);
    emu::launch(emu::config(1, 256), [](const float* a, float* b) { racy_block_sum_kernel(a, b); }, x.data(),
                out.data());
    emu::set_order(emu::Order::forward);
  };
  run(emu::Order::forward, forward);
  run(emu::Order::reverse, reverse);
  run(emu::Order::shuffled, shuffled);
  // Out of order, a thread reads its partner's element before the partner adds to it.
  CHECK(forward[0] != reverse[0]);
  CHECK(forward[0] != shuffled[0]);
}

TEST_CASE("emu: warp shuffles, __match_any_sync, and the errors real hardware leaves undefined") {
  const std::vector<float> x = uniform(32, 3);
  std::vector<float> out(32);
  emu::launch(emu::config(1, 32), [](const float* a, float* b) { warp_sum_kernel(a, b); }, x.data(), out.data());
  double want = 0;
  for (float v : x) want += v;
  for (float v : out) CHECK(v == doctest::Approx(want).epsilon(1e-5));

  std::vector<int> key(32);
  for (int l = 0; l < 32; ++l) key[l] = l % 3;
  std::vector<unsigned> same(32);
  emu::launch(emu::config(1, 32), [](const int* k, unsigned* o) { match_any_kernel(k, o); }, key.data(), same.data());
  for (int l = 0; l < 32; ++l) {
    unsigned want_mask = 0;
    for (int k = 0; k < 32; ++k)
      if (k % 3 == l % 3) want_mask |= 1u << k;
    CHECK(same[l] == want_mask);
  }

  CHECK_THROWS_WITH(emu::launch(emu::config(1, 64), [](float* o) { divergent_barrier_kernel(o); }, out.data()),
                    doctest::Contains("deadlock"));
  CHECK_THROWS_WITH(emu::launch(emu::config(1, 32), [](float* o) { mismatched_mask_kernel(o); }, out.data()),
                    doctest::Contains("__shfl_down_sync"));
  CHECK_THROWS_WITH(emu::launch(emu::config(1, 1025), [](float* o) { divergent_barrier_kernel(o); }, out.data()),
                    doctest::Contains("at most 1024"));
}

// ---- streams and graphs (tests/emu/runtime_api.cpp) ------------------------------------

namespace {
__global__ void add_one_kernel(float* x, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) x[i] += 1.f;
}
// add_one_kernel<<<blocks, 32, 0, stream>>>(x, n), as translate.cmake writes it.
void add_one(unsigned blocks, cudaStream_t stream, float* x, int n) {
  emu::launch(emu::config(blocks, 32, 0, stream), [](float* p, int count) { add_one_kernel(p, count); }, x, n);
}
}  // namespace

TEST_CASE("emu streams: a capture records launches, copies and products without running them; each replay runs them") {
  cudaStream_t s = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamDefault) == cudaSuccess);
  std::vector<float> x(40, 0.f), y(40, -1.f);
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess);
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaErrorIllegalState);
  add_one(2, s, x.data(), 40);
  REQUIRE(cudaMemcpyAsync(y.data(), x.data(), sizeof(float) * 40, cudaMemcpyDeviceToDevice, s) == cudaSuccess);
  gpu::gemm(false, false, 1, 1, 1, 2.f, x.data(), 1, x.data(), 1, 0.f, y.data() + 39, 1, s);
  add_one(2, nullptr, x.data(), 40);  // another stream (the legacy one): see below
  cudaGraph_t graph = nullptr;
  CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
  CHECK(graph == nullptr);
  CHECK(cudaGetLastError() == cudaErrorStreamCaptureImplicit);  // the legacy launch's error
  CHECK(x == std::vector<float>(40, 0.f));                      // nothing ran

  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess);
  add_one(2, s, x.data(), 40);
  REQUIRE(cudaMemcpyAsync(y.data(), x.data(), sizeof(float) * 40, cudaMemcpyDeviceToDevice, s) == cudaSuccess);
  gpu::gemm(false, false, 1, 1, 1, 2.f, x.data(), 1, x.data(), 1, 0.f, y.data() + 39, 1, s);
  REQUIRE(cudaStreamEndCapture(s, &graph) == cudaSuccess);
  size_t nodes = 0;
  REQUIRE(cudaGraphGetNodes(graph, nullptr, &nodes) == cudaSuccess);
  CHECK(nodes == 3);
  CHECK(x == std::vector<float>(40, 0.f));
  CHECK(y == std::vector<float>(40, -1.f));
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  for (float replay = 1; replay <= 3; ++replay) {
    REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
    CHECK(x[0] == replay);
    CHECK(y[0] == replay);
    CHECK(y[39] == 2.f * replay * replay);  // the product reads the replay's x
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(s);
}

TEST_CASE("emu streams: what a GPU forbids during a capture ends it with an error; a non-blocking stream is free") {
  cudaStream_t s = nullptr, other = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamDefault) == cudaSuccess);
  REQUIRE(cudaStreamCreateWithFlags(&other, cudaStreamNonBlocking) == cudaSuccess);
  std::vector<float> x(4, 0.f);
  cudaEvent_t event = nullptr;
  REQUIRE(cudaEventCreateWithFlags(&event, cudaEventDisableTiming) == cudaSuccess);
  void* block = nullptr;
  REQUIRE(cudaMalloc(&block, 64) == cudaSuccess);
  const auto ends_capture = [&](const char* what, const std::function<cudaError_t()>& call, cudaError_t error) {
    CAPTURE(what);
    REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess);
    add_one(1, s, x.data(), 4);
    CHECK(call() == error);
    // Work queued after the failure is refused, as on a GPU.
    CHECK(cudaMemsetAsync(x.data(), 0, 4, s) == cudaErrorStreamCaptureInvalidated);
    cudaGraph_t graph = nullptr;
    CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
    CHECK(graph == nullptr);
  };
  ends_capture("synchronising the capturing stream", [&] { return cudaStreamSynchronize(s); },
               cudaErrorStreamCaptureUnsupported);
  ends_capture("synchronising the device", [] { return cudaDeviceSynchronize(); }, cudaErrorStreamCaptureUnsupported);
  ends_capture("a copy on the legacy stream", [&] { return cudaMemcpy(x.data(), x.data(), 4, cudaMemcpyDefault); },
               cudaErrorStreamCaptureImplicit);
  ends_capture("cudaFree", [&] { return cudaFree(block); }, cudaErrorStreamCaptureUnsupported);
  ends_capture("waiting for an event of the capture", [&] {
    REQUIRE(cudaEventRecord(event, s) == cudaSuccess);
    return cudaEventSynchronize(event);
  }, cudaErrorStreamCaptureUnsupported);
  CHECK(x == std::vector<float>(4, 0.f));

  // A non-blocking stream runs at once while another captures, and cudaMalloc is allowed (relaxed mode).
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess);
  add_one(1, other, x.data(), 4);
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(x == std::vector<float>(4, 1.f));
  void* fresh = nullptr;
  CHECK(cudaMalloc(&fresh, 16) == cudaSuccess);
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(s, &graph) == cudaSuccess);
  CHECK(cudaGraphDestroy(graph) == cudaSuccess);
  CHECK(cudaFree(fresh) == cudaSuccess);
  CHECK(cudaFree(block) == cudaSuccess);
  CHECK(cudaFree(block) == cudaErrorInvalidValue);  // not (any longer) cudaMalloc's
  cudaEventDestroy(event);
  cudaStreamDestroy(other);
  cudaStreamDestroy(s);
}

namespace {
// Deferred streams for one test case; eager again after it, even when a check throws.
struct DeferredStreams {
  DeferredStreams() { emu::set_deferred_streams(true); }
  ~DeferredStreams() { emu::set_deferred_streams(false); }
  DeferredStreams(const DeferredStreams&) = delete;
  DeferredStreams& operator=(const DeferredStreams&) = delete;
};
}  // namespace

TEST_CASE("emu deferred streams: work runs when a host wait needs it, in the order of streams and events") {
  std::vector<float> x(8, 0.f), seen(8, -1.f);
  DeferredStreams deferred;  // runs what is left queued before x and seen go
  cudaStream_t a = nullptr, b = nullptr, free_running = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&a, cudaStreamDefault) == cudaSuccess);
  REQUIRE(cudaStreamCreateWithFlags(&b, cudaStreamDefault) == cudaSuccess);
  REQUIRE(cudaStreamCreateWithFlags(&free_running, cudaStreamNonBlocking) == cudaSuccess);
  cudaEvent_t done = nullptr;
  REQUIRE(cudaEventCreateWithFlags(&done, cudaEventDisableTiming) == cudaSuccess);
  const auto copy_on = [&](cudaStream_t s) {
    REQUIRE(cudaMemcpyAsync(seen.data(), x.data(), sizeof(float) * 8, cudaMemcpyDeviceToDevice, s) == cudaSuccess);
  };

  add_one(1, a, x.data(), 8);
  CHECK(x[0] == 0.f);
  REQUIRE(cudaStreamSynchronize(a) == cudaSuccess);
  CHECK(x[0] == 1.f);

  SUBCASE("a copy on another stream overtakes a launch it does not wait for") {
    add_one(1, a, x.data(), 8);
    copy_on(b);
    REQUIRE(cudaStreamSynchronize(b) == cudaSuccess);
    CHECK(seen[0] == 1.f);
    CHECK(x[0] == 1.f);
  }
  SUBCASE("cudaStreamWaitEvent orders it after the launch") {
    add_one(1, a, x.data(), 8);
    REQUIRE(cudaEventRecord(done, a) == cudaSuccess);
    REQUIRE(cudaStreamWaitEvent(b, done, 0) == cudaSuccess);
    copy_on(b);
    REQUIRE(cudaStreamSynchronize(b) == cudaSuccess);
    CHECK(seen[0] == 2.f);
  }
  SUBCASE("cudaEventQuery: not ready while queued, one step of the device each time") {
    add_one(1, a, x.data(), 8);
    add_one(1, a, x.data(), 8);
    REQUIRE(cudaEventRecord(done, a) == cudaSuccess);
    CHECK(cudaEventQuery(done) == cudaErrorNotReady);
    CHECK(x[0] == 2.f);
    CHECK(cudaEventQuery(done) == cudaErrorNotReady);
    CHECK(x[0] == 3.f);
    CHECK(cudaEventQuery(done) == cudaErrorNotReady);  // the record itself
    CHECK(cudaEventQuery(done) == cudaSuccess);
  }
  SUBCASE("the legacy stream and the blocking streams wait for each other's earlier work; a non-blocking one does not") {
    add_one(1, free_running, x.data(), 8);
    add_one(1, a, x.data(), 8);
    float legacy_seen = -1.f;
    REQUIRE(cudaMemcpy(&legacy_seen, x.data(), sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(legacy_seen == 2.f);
    REQUIRE(cudaMemsetAsync(x.data(), 0, sizeof(float) * 8, nullptr) == cudaSuccess);
    add_one(1, b, x.data(), 8);
    REQUIRE(cudaStreamSynchronize(b) == cudaSuccess);
    CHECK(x[0] == 1.f);  // the non-blocking stream's launch is still queued
    REQUIRE(cudaStreamSynchronize(free_running) == cudaSuccess);
    CHECK(x[0] == 2.f);
  }
  SUBCASE("a copy reads a pageable source when issued, a pinned one when it runs") {
    float* pinned = nullptr;
    REQUIRE(cudaHostAlloc(reinterpret_cast<void**>(&pinned), sizeof(float) * 8, cudaHostAllocDefault) == cudaSuccess);
    std::vector<float> pageable(8, 5.f), from_pageable(8), from_pinned(8);
    std::fill(pinned, pinned + 8, 5.f);
    REQUIRE(cudaMemcpyAsync(from_pageable.data(), pageable.data(), sizeof(float) * 8, cudaMemcpyHostToDevice, a) ==
            cudaSuccess);
    REQUIRE(cudaMemcpyAsync(from_pinned.data(), pinned + 2, sizeof(float) * 4, cudaMemcpyHostToDevice, a) ==
            cudaSuccess);
    pageable[0] = 9.f;
    pinned[2] = 9.f;
    REQUIRE(cudaStreamSynchronize(a) == cudaSuccess);
    CHECK(from_pageable[0] == 5.f);
    CHECK(from_pinned[0] == 9.f);
    CHECK(cudaFreeHost(pinned) == cudaSuccess);
  }
  SUBCASE("an event re-recorded on another stream reflects its newest record, and may go before its old one runs") {
    cudaEvent_t start = nullptr, end = nullptr;
    REQUIRE(cudaEventCreate(&start) == cudaSuccess);
    REQUIRE(cudaEventCreate(&end) == cudaSuccess);
    REQUIRE(cudaEventRecord(start, b) == cudaSuccess);
    add_one(1, a, x.data(), 8);
    REQUIRE(cudaEventRecord(end, a) == cudaSuccess);  // queued behind the launch
    REQUIRE(cudaEventRecord(end, b) == cudaSuccess);
    REQUIRE(cudaEventSynchronize(end) == cudaSuccess);
    CHECK(x[0] == 1.f);  // the newest record did not wait for stream a
    float first = -1.f, second = -1.f;
    REQUIRE(cudaEventElapsedTime(&first, start, end) == cudaSuccess);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(cudaStreamSynchronize(a) == cudaSuccess);  // the old record runs now: too late to count
    CHECK(x[0] == 2.f);
    REQUIRE(cudaEventElapsedTime(&second, start, end) == cudaSuccess);
    CHECK(second == first);

    add_one(1, a, x.data(), 8);
    REQUIRE(cudaEventRecord(end, a) == cudaSuccess);
    REQUIRE(cudaEventRecord(end, b) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(b) == cudaSuccess);
    CHECK(cudaEventDestroy(end) == cudaSuccess);
    CHECK(x[0] == 2.f);  // destroying it waited for nothing
    REQUIRE(cudaStreamSynchronize(a) == cudaSuccess);  // its old record runs after it is gone (ASan: no use after free)
    CHECK(x[0] == 3.f);
    cudaEventDestroy(start);
  }
  SUBCASE("a full queue runs its oldest item; turning deferral off runs the rest") {
    for (int i = 0; i < 1025; ++i) add_one(1, a, x.data(), 8);
    CHECK(x[0] == 2.f);
    emu::set_deferred_streams(false);
    CHECK(x[0] == 1026.f);
  }
  cudaEventDestroy(done);
  cudaStreamDestroy(free_running);
  cudaStreamDestroy(b);
  cudaStreamDestroy(a);
}

TEST_CASE("emu device: hidden unless VARSTAR_EMU_GPU=1 (test_cuda_emulated runs without it)") {
  int count = -1;
  CHECK(cudaGetDeviceCount(&count) == cudaErrorNoDevice);
  CHECK(count == 0);
  CHECK(cudaSetDevice(0) == cudaErrorInvalidDevice);
  CHECK(std::string(cudaGetErrorString(cudaErrorNoDevice)).find("VARSTAR_EMU_GPU=1") != std::string::npos);
}

// ---- softmax.cu -------------------------------------------------------------------------

TEST_CASE("emu softmax.cu: log_softmax forward and backward, a warp per row, against the CPU") {
  // Row lengths for each register count (1, 2, 4, 8, 16 per lane) and the one-pass form above 512.
  for (const auto& [n, c] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 5}, {9, 33}, {17, 64}, {3, 129}, {5, 300}, {2, 513}, {3, 1500}}) {
    CAPTURE(n);
    CAPTURE(c);
    const std::vector<float> x = uniform(n * c, 10 + static_cast<uint32_t>(c), -8.f, 8.f);
    const std::vector<float> dy = uniform(n * c, 20 + static_cast<uint32_t>(c));
    std::vector<float> y_cpu(n * c), dx_cpu(n * c);
    cpu::log_softmax_forward(x.data(), y_cpu.data(), n, c);
    cpu::log_softmax_backward(y_cpu.data(), dy.data(), dx_cpu.data(), n, c);
    for_each_run([&] {
      std::vector<float> y(n * c, NAN), dx(n * c, NAN);
      gpu::log_softmax_forward(x.data(), y.data(), n, c, nullptr);
      gpu::log_softmax_backward(y_cpu.data(), dy.data(), dx.data(), n, c, nullptr);
      CHECK(max_abs_diff(y, y_cpu) < kSoftmaxAbsTolerance);
      CHECK(max_abs_diff(dx, dx_cpu) < kSoftmaxAbsTolerance);
    });
  }
}

TEST_CASE("emu softmax.cu: cross-entropy forward and backward against the CPU, one launch and several") {
  // n <= 32: one block of a warp per row writing the sums; more: blocks of 8 warps and a second launch.
  for (const auto& [n, c] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 5}, {32, 5}, {32, 10}, {7, 700}, {33, 10}, {300, 7}, {40, 1100}}) {
    for (bool weighted : {false, true}) {
      CAPTURE(n);
      CAPTURE(c);
      CAPTURE(weighted);
      const std::vector<float> logits = uniform(n * c, 30 + static_cast<uint32_t>(n), -4.f, 4.f);
      std::vector<int32_t> targets(n);
      for (int64_t i = 0; i < n; ++i) targets[i] = static_cast<int32_t>((i * 7 + 3) % c);
      const std::vector<float> class_weights = uniform(c, 40, 0.5f, 2.f);
      const float* w = weighted ? class_weights.data() : nullptr;
      std::vector<float> probs_cpu(n * c), dlogits_cpu(n * c);
      float loss_cpu = 0, weight_cpu = 0;
      cpu::cross_entropy_forward(logits.data(), targets.data(), w, probs_cpu.data(), &loss_cpu, &weight_cpu, n, c);
      const float dloss = 0.75f;
      cpu::cross_entropy_backward(probs_cpu.data(), targets.data(), w, dloss / weight_cpu, dlogits_cpu.data(), n, c);
      for_each_run([&] {
        emu::reset_launch_count();
        std::vector<float> probs(n * c, NAN), dlogits(n * c, NAN);
        float loss = NAN, weight = NAN;
        gpu::cross_entropy_forward(logits.data(), targets.data(), w, probs.data(), &loss, &weight, n, c, nullptr);
        if (n <= 32) CHECK(emu::launch_count() == 1);
        CHECK(max_abs_diff(probs, probs_cpu) < kSoftmaxAbsTolerance);
        CHECK(loss == doctest::Approx(loss_cpu).epsilon(kSumRelTolerance));
        CHECK(weight == doctest::Approx(weight_cpu).epsilon(kSumRelTolerance));
        gpu::cross_entropy_backward(probs_cpu.data(), targets.data(), w, &dloss, &weight_cpu, dlogits.data(), n, c,
                                    nullptr);
        CHECK(max_abs_diff(dlogits, dlogits_cpu) < 1e-7);
      });
    }
  }
}

TEST_CASE("emu softmax.cu: a target outside [0, C) makes the loss and its gradient row NaN, nothing else") {
  const int64_t n = 6, c = 5;
  const std::vector<float> logits = uniform(n * c, 50);
  const std::vector<int32_t> targets = {0, 1, 5, 2, -1, 4};
  std::vector<float> probs(n * c), dlogits(n * c);
  float loss = 0, weight = 0;
  gpu::cross_entropy_forward(logits.data(), targets.data(), nullptr, probs.data(), &loss, &weight, n, c, nullptr);
  CHECK(std::isnan(loss));
  CHECK(weight == 4.f);  // the four valid rows
  const float dloss = 1.f;
  gpu::cross_entropy_backward(probs.data(), targets.data(), nullptr, &dloss, &weight, dlogits.data(), n, c, nullptr);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k) CHECK(std::isnan(dlogits[i * c + k]) == (i == 2 || i == 4));
}

// ---- reduce.cu ---------------------------------------------------------------------------

TEST_CASE("emu reduce.cu: sum_dim on every path against float64") {
  struct Shape {
    int64_t outer, n, inner;
    const char* path;
  };
  for (const Shape& s : std::vector<Shape>{{5, 37, 1, "rows"},
                                           {2, 140001, 1, "row slices, then the rows of partials"},
                                           {3, 40, 45, "column tiles"},
                                           {2, 5, 33, "columns (short n)"},
                                           {1, 1, 1, "one element"}}) {
    const std::string path = s.path;
    CAPTURE(path);
    const std::vector<float> x = uniform(s.outer * s.n * s.inner, 60 + static_cast<uint32_t>(s.n));
    std::vector<double> want(s.outer * s.inner, 0.0), magnitude(s.outer * s.inner, 0.0);
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t k = 0; k < s.n; ++k)
        for (int64_t i = 0; i < s.inner; ++i) {
          want[o * s.inner + i] += x[(o * s.n + k) * s.inner + i];
          magnitude[o * s.inner + i] += std::fabs(x[(o * s.n + k) * s.inner + i]);
        }
    for_each_run([&] {
      std::vector<float> out(s.outer * s.inner, NAN);
      gpu::sum_dim(x.data(), out.data(), s.outer, s.n, s.inner, nullptr);
      for (size_t j = 0; j < out.size(); ++j)
        CHECK(std::fabs(out[j] - want[j]) <= kSumRelTolerance * magnitude[j] + 1e-7);
    });
  }
}

// ---- optim.cu ----------------------------------------------------------------------------

TEST_CASE("emu optim.cu: the fused multi-tensor Adam equals per-tensor CPU steps, its rate and step on the device") {
  // 50 tensors (more than one launch's 48), one of them longer than a launch's 320 chunks of 8,192.
  std::vector<int64_t> sizes;
  for (int i = 0; i < 49; ++i) sizes.push_back(1 + (i * 37) % 300);
  sizes.insert(sizes.begin() + 20, 320 * 8192 + 5001);
  struct State {
    std::vector<float> p, g, m, v;
  };
  std::vector<State> cpu_state, gpu_state;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const auto n = static_cast<size_t>(sizes[i]);
    State s{uniform(n, 70 + i), uniform(n, 170 + i), uniform(n, 270 + i, 0.f, 0.1f), uniform(n, 370 + i, 0.f, 0.01f)};
    cpu_state.push_back(s);
    gpu_state.push_back(s);
  }
  varstar::AdamParams a;
  a.weight_decay = 0.01f;
  a.decoupled = true;
  const varstar::AdamScalars scalars;
  int32_t step = 4;  // device memory in a real run: incremented by the launch
  const double lr = 3e-3;
  std::vector<varstar::AdamTensor> tensors;
  for (State& s : gpu_state) tensors.push_back({s.p.data(), s.g.data(), s.m.data(), s.v.data(), static_cast<int64_t>(s.p.size())});
  gpu::adam_multi_tensor(tensors.data(), static_cast<int64_t>(tensors.size()), a, scalars, &lr, &step, nullptr);
  CHECK(step == 5);

  varstar::AdamParams c = a;
  c.lr = static_cast<float>(lr);
  c.step_size = static_cast<float>(lr / (1.0 - std::pow(scalars.beta1, 5.0)));
  c.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(scalars.beta2, 5.0)));
  for (State& s : cpu_state)
    cpu::adam_step(s.p.data(), s.g.data(), s.m.data(), s.v.data(), static_cast<int64_t>(s.p.size()), c);
  for (size_t i = 0; i < sizes.size(); ++i) {
    CAPTURE(i);
    CHECK(max_abs_diff(gpu_state[i].p, cpu_state[i].p) < kUpdateAbsTolerance);
    CHECK(max_abs_diff(gpu_state[i].m, cpu_state[i].m) < kUpdateAbsTolerance);
    CHECK(max_abs_diff(gpu_state[i].v, cpu_state[i].v) < kUpdateAbsTolerance);
  }
}

TEST_CASE("emu optim.cu: per-tensor Adam and SGD with momentum against the CPU") {
  const int64_t n = 1001;
  varstar::AdamParams a;
  a.weight_decay = 0.1f;
  a.step_size = 2e-3f;
  a.bias_correction2_sqrt = 0.3f;
  varstar::SgdParams s;
  s.lr = 0.05f;
  s.momentum = 0.9f;
  for_each_run([&] {
    std::vector<float> p = uniform(n, 80), g = uniform(n, 81), m = uniform(n, 82), v = uniform(n, 83, 0.f, 1.f);
    std::vector<float> p2 = p, m2 = m, v2 = v;
    gpu::adam_step(p.data(), g.data(), m.data(), v.data(), n, a, nullptr);
    cpu::adam_step(p2.data(), g.data(), m2.data(), v2.data(), n, a);
    CHECK(max_abs_diff(p, p2) < kUpdateAbsTolerance);
    CHECK(max_abs_diff(m, m2) < kUpdateAbsTolerance);
    CHECK(max_abs_diff(v, v2) < kUpdateAbsTolerance);
    std::vector<float> q = uniform(n, 84), buf = uniform(n, 85);
    std::vector<float> q2 = q, buf2 = buf;
    gpu::sgd_step(q.data(), g.data(), buf.data(), n, s, nullptr);
    cpu::sgd_step(q2.data(), g.data(), buf2.data(), n, s);
    CHECK(max_abs_diff(q, q2) < kUpdateAbsTolerance);
    CHECK(max_abs_diff(buf, buf2) < kUpdateAbsTolerance);
  });
}

TEST_CASE("emu optim.cu: set_device_double writes the learning rate the fused Adam reads") {
  double lr = 0;
  gpu::set_device_double(&lr, 2.5e-4, nullptr);
  CHECK(lr == 2.5e-4);
}

// ---- gemm.cpp (cuBLAS calls, tests/emu/include/cublas_v2.h) ------------------------------

// Sums of 7 products of magnitude up to 1.5 (and beta C), in another order than OpenBLAS's.
constexpr double kGemmAbsTolerance = 1e-5;

TEST_CASE("emu gemm.cpp: row-major products through column-major cuBLAS, every transpose, k = 0, batches") {
  // Leading dimensions wider than the rows, so a swapped ld shows.
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t k : {0, 7}) {
        for (float beta : {0.f, 2.f}) {
          CAPTURE(ta);
          CAPTURE(tb);
          CAPTURE(k);
          CAPTURE(beta);
          const int64_t m = 5, n = 6, batch = 3;
          const int64_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
          const int64_t sa = (ta ? k : m) * lda + 1, sb = (tb ? n : k) * ldb + 2, sc = m * ldc + 3;
          const std::vector<float> a = uniform(batch * sa, 90), b = uniform(batch * sb, 91), c0 = uniform(batch * sc, 92);
          std::vector<float> want = c0, got = c0;
          for (int64_t i = 0; i < batch; ++i)
            cpu::gemm<float>(ta, tb, m, n, k, 1.5f, a.data() + i * sa, lda, b.data() + i * sb, ldb, beta,
                             want.data() + i * sc, ldc);
          gpu::gemm_strided_batched(ta, tb, m, n, k, 1.5f, a.data(), lda, sa, b.data(), ldb, sb, beta, got.data(), ldc,
                                    sc, batch, nullptr);
          CHECK(max_abs_diff(got, want) < kGemmAbsTolerance);
          std::vector<float> one = c0;
          gpu::gemm(ta, tb, m, n, k, 1.5f, a.data(), lda, b.data(), ldb, beta, one.data(), ldc, nullptr);
          CHECK(max_abs_diff(std::vector<float>(one.begin(), one.begin() + sc),
                             std::vector<float>(want.begin(), want.begin() + sc)) < kGemmAbsTolerance);
        }
      }
}

// ---- dropout.cu --------------------------------------------------------------------------

TEST_CASE("emu dropout.cu: the CPU's Philox mask bit for bit, vectorised or not, with a graph's offset shift") {
  const float p = 0.3f;
  const uint64_t seed = 1234;
  // Offsets a multiple of 4 take the float4 kernel (aligned buffers); others one thread per element.
  for (int64_t n : {1, 7, 1001}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{8}, uint64_t{3}}) {
      CAPTURE(n);
      CAPTURE(offset);
      const std::vector<float> x = uniform(n, 90);
      std::vector<float> want(n);
      cpu::dropout_apply(x.data(), want.data(), n, p, seed, offset);
      for_each_run([&] {
        std::vector<float> y(n, NAN);
        gpu::dropout_apply(x.data(), y.data(), n, p, seed, offset, nullptr, nullptr);
        CHECK(y == want);
        // A replayed graph: captured at offset - 4 (or 0), the shift on the device moves it to offset.
        if (offset >= 4) {
          uint64_t shift_word = 0;
          varstar::cuda::PhiloxShifts shifts;
          shifts.count = 1;
          shifts.value[0] = 4;
          gpu::set_philox_shifts(&shift_word, shifts, nullptr);
          REQUIRE(shift_word == 4);
          std::vector<float> replay(n, NAN);
          gpu::dropout_apply(x.data(), replay.data(), n, p, seed, offset - 4, &shift_word, nullptr);
          CHECK(replay == want);
        }
      });
    }
  }
}
