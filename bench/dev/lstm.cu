// bench_dev_lstm: the CUDA LSTM variants of the thesis's layers, each first
// validated against a float64 CPU reference (kernels/cpu/lstm.cpp run on
// upcast inputs; every output poisoned with NaN before the run), then timed
// with CUDA events (median of repeats after warm-up):
//   per-step      kernels/cuda/lstm.cu default: GEMM + fused cell kernel per step
//   per-step/graph the same captured once in a CUDA graph (launch cost removed)
//   persistent    one cooperative kernel for the recurrence (W_hh on-chip), units per block U
//   sample-local  one ordinary kernel, each block runs SB whole samples with all of W_hh on chip
//                 (no grid barrier); S1/S2/S4 forced, "auto" as the engine chooses; H 64 and 128
//   cudnn-fma     cuDNN's LSTM (v8 RNN API), float32 FMA math
//   cudnn-tf32    cuDNN's LSTM allowed TF32 tensor cores (PyTorch's default for cuDNN)
// Usage: bench_dev_lstm [--quick]    (--quick: one shape, fewer repeats)
// Shapes: batch 32, 89 steps (359 points after two poolings by 2), 256 -> 64
// (lstm1) and 64 -> 128 (lstm2) of the CNN-LSTM; and batch 256 for scale.
#ifdef VARSTAR_HAS_CUDNN
#include <cudnn.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/cuda_timing.h"

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/lstm_variants.h"
#include "kernels/lstm.h"
#include "kernels/philox_math.h"

namespace {

using varstar::LstmShape;
namespace vc = varstar::cuda;

constexpr double kMaxRelError = 1e-4;       // float32 lands far below; a wrong index far above
constexpr double kMaxRelErrorTf32 = 2e-2;   // TF32 operands (10-bit mantissa) over 89 steps

#ifdef VARSTAR_HAS_CUDNN
#define CUDNN_OK(expr)                                                                          \
  do {                                                                                         \
    const cudnnStatus_t st_ = (expr);                                                          \
    if (st_ != CUDNN_STATUS_SUCCESS) {                                                         \
      std::fprintf(stderr, "cuDNN error %s in %s at %s:%d\n", cudnnGetErrorString(st_), #expr, \
                   __FILE__, __LINE__);                                                        \
      throw std::runtime_error("cuDNN");                                                      \
    }                                                                                          \
  } while (0)
#endif

std::vector<float> uniform(size_t n, uint64_t seed, float lo, float hi) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * varstar::philox_uniform(seed, i);
  return v;
}

struct DeviceBuffer {
  float* p = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) { VARSTAR_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(n, 1) * 4)); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void upload(const std::vector<float>& v) { VARSTAR_CUDA_CHECK(cudaMemcpy(p, v.data(), v.size() * 4, cudaMemcpyHostToDevice)); }
  std::vector<float> download() const {
    std::vector<float> v(n);
    VARSTAR_CUDA_CHECK(cudaMemcpy(v.data(), p, n * 4, cudaMemcpyDeviceToHost));
    return v;
  }
  void poison() { VARSTAR_CUDA_CHECK(cudaMemset(p, 0xFF, std::max<size_t>(n, 1) * 4)); }  // NaN everywhere
};

double rel_error(const std::vector<float>& got, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(got[i]) - ref[i];
    if (std::isnan(got[i])) return INFINITY;
    num += d * d;
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

// The problem and its float64 reference.
struct Problem {
  LstmShape s;
  std::vector<float> x, w_ih, w_hh, b_ih, b_hh, dy;
  std::vector<double> y, dx, dw_ih, dw_hh, db;  // reference
  explicit Problem(LstmShape shape) : s(shape) {
    const int64_t B = s.batch, T = s.steps, I = s.input, H = s.hidden, G = 4 * H;
    const float bound = 1.f / std::sqrt(static_cast<float>(H));
    x = uniform(B * T * I, 1, -1.f, 1.f);
    w_ih = uniform(G * I, 2, -bound, bound);
    w_hh = uniform(G * H, 3, -bound, bound);
    b_ih = uniform(G, 4, -bound, bound);
    b_hh = uniform(G, 5, -bound, bound);
    dy = uniform(B * T * H, 6, -1.f, 1.f);
    const auto up = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
    std::vector<double> xd = up(x), wi = up(w_ih), wh = up(w_hh), bi = up(b_ih), bh = up(b_hh), dyd = up(dy);
    y.assign(B * T * H, 0);
    std::vector<double> gates(B * T * G), cell(B * T * H), dgates(B * T * G), h_prev(B * T * H), state(2 * B * H);
    varstar::cpu::lstm_forward<double>(xd.data(), wi.data(), wh.data(), bi.data(), bh.data(), y.data(), gates.data(),
                                       cell.data(), s);
    dx.assign(B * T * I, 0);
    dw_ih.assign(G * I, 0);
    dw_hh.assign(G * H, 0);
    db.assign(G, 0);
    varstar::cpu::lstm_backward<double>(dyd.data(), xd.data(), wi.data(), wh.data(), y.data(), gates.data(),
                                        cell.data(), dx.data(), dw_ih.data(), dw_hh.data(), db.data(), dgates.data(),
                                        h_prev.data(), state.data(), s);
  }
  double flops_forward() const {
    const double B = s.batch, T = s.steps, I = s.input, H = s.hidden;
    return 2.0 * B * T * 4 * H * (I + H);
  }
};

// Device buffers of one run of the engine's layout (kernels/lstm.h).
struct EngineBuffers {
  DeviceBuffer x, w_ih, w_hh, b_ih, b_hh, y, gates, cell, dy, dx, dw_ih, dw_hh, db, dgates, h_prev, state;
  explicit EngineBuffers(const Problem& p)
      : x(p.x.size()), w_ih(p.w_ih.size()), w_hh(p.w_hh.size()), b_ih(p.b_ih.size()), b_hh(p.b_hh.size()),
        y(p.y.size()), gates(p.y.size() * 4), cell(p.y.size()), dy(p.dy.size()), dx(p.x.size()),
        dw_ih(p.w_ih.size()), dw_hh(p.w_hh.size()), db(p.b_ih.size()), dgates(p.y.size() * 4), h_prev(p.y.size()),
        state(2 * p.s.batch * p.s.hidden) {
    x.upload(p.x);
    w_ih.upload(p.w_ih);
    w_hh.upload(p.w_hh);
    b_ih.upload(p.b_ih);
    b_hh.upload(p.b_hh);
    dy.upload(p.dy);
  }
  void poison() {
    for (DeviceBuffer* b : {&y, &gates, &cell, &dx, &dw_ih, &dw_hh, &db, &dgates}) b->poison();
  }
};

struct Timing {
  double median_ms = NAN;
};

Timing time_it(const std::function<void()>& run, cudaStream_t stream, int warmup, int repeats) {
  return {varstar::bench::median_event_ms(run, stream, warmup, repeats)};
}

struct Row {
  std::string shape, variant;
  double err_fwd = NAN, err_bwd = NAN;
  bool valid = false;
  double fwd_ms = NAN, step_ms = NAN, fwd_gflops = NAN;
  std::string note;
};

std::vector<Row> g_rows;

std::string shape_name(const LstmShape& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "B%lld T%lld %lld->%lld", static_cast<long long>(s.batch),
                static_cast<long long>(s.steps), static_cast<long long>(s.input), static_cast<long long>(s.hidden));
  return buf;
}

// A variant of the engine's layout: forward and backward launchers.
void engine_variant(const Problem& p, const std::string& name, const std::function<bool(EngineBuffers&, cudaStream_t)>& fwd,
                    const std::function<bool(EngineBuffers&, cudaStream_t)>& bwd, bool graph, int repeats,
                    cudaStream_t stream) {
  Row row;
  row.shape = shape_name(p.s);
  row.variant = name;
  EngineBuffers buf(p);
  buf.poison();
  if (!fwd(buf, stream) || !bwd(buf, stream)) {
    row.note = "shape does not fit this variant";
    g_rows.push_back(row);
    return;
  }
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(stream));
  row.err_fwd = rel_error(buf.y.download(), p.y);
  row.err_bwd = std::max({rel_error(buf.dx.download(), p.dx), rel_error(buf.dw_ih.download(), p.dw_ih),
                          rel_error(buf.dw_hh.download(), p.dw_hh), rel_error(buf.db.download(), p.db)});
  row.valid = row.err_fwd < kMaxRelError && row.err_bwd < kMaxRelError;
  if (!row.valid) {
    row.note = "FAILED validation: not timed";
    g_rows.push_back(row);
    return;
  }
  if (graph) {
   try {
    cudaGraph_t g1 = nullptr, g2 = nullptr;
    cudaGraphExec_t e1 = nullptr, e2 = nullptr;
    VARSTAR_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
    fwd(buf, stream);
    VARSTAR_CUDA_CHECK(cudaStreamEndCapture(stream, &g1));
    VARSTAR_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
    fwd(buf, stream);
    bwd(buf, stream);
    VARSTAR_CUDA_CHECK(cudaStreamEndCapture(stream, &g2));
    VARSTAR_CUDA_CHECK(cudaGraphInstantiate(&e1, g1, 0));
    VARSTAR_CUDA_CHECK(cudaGraphInstantiate(&e2, g2, 0));
    row.fwd_ms = time_it([&] { VARSTAR_CUDA_CHECK(cudaGraphLaunch(e1, stream)); }, stream, 3, repeats).median_ms;
    row.step_ms = time_it([&] { VARSTAR_CUDA_CHECK(cudaGraphLaunch(e2, stream)); }, stream, 3, repeats).median_ms;
    cudaGraphExecDestroy(e1);
    cudaGraphExecDestroy(e2);
    cudaGraphDestroy(g1);
    cudaGraphDestroy(g2);
   } catch (const std::exception& e) {
    cudaGetLastError();
    cudaStreamCaptureStatus status;
    if (cudaStreamIsCapturing(stream, &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
      cudaGraph_t broken = nullptr;
      cudaStreamEndCapture(stream, &broken);
      if (broken != nullptr) cudaGraphDestroy(broken);
      cudaGetLastError();
    }
    row.note = std::string("graph capture failed: ") + e.what();
    g_rows.push_back(row);
    return;
   }
  } else {
    row.fwd_ms = time_it([&] { fwd(buf, stream); }, stream, 3, repeats).median_ms;
    row.step_ms = time_it([&] { fwd(buf, stream); bwd(buf, stream); }, stream, 3, repeats).median_ms;
  }
  row.fwd_gflops = p.flops_forward() / (row.fwd_ms * 1e6);
  g_rows.push_back(row);
}

#ifdef VARSTAR_HAS_CUDNN
// cuDNN's LSTM with the same weights (gate order i, f, g, o as PyTorch's).
void cudnn_variant(const Problem& p, bool tf32, int repeats, cudaStream_t stream) {
  Row row;
  row.shape = shape_name(p.s);
  row.variant = tf32 ? "cudnn-tf32" : "cudnn-fma";
  const int B = static_cast<int>(p.s.batch), T = static_cast<int>(p.s.steps), I = static_cast<int>(p.s.input),
            H = static_cast<int>(p.s.hidden);
  cudnnHandle_t h;
  CUDNN_OK(cudnnCreate(&h));
  CUDNN_OK(cudnnSetStream(h, stream));
  cudnnDropoutDescriptor_t drop;
  CUDNN_OK(cudnnCreateDropoutDescriptor(&drop));
  size_t drop_bytes = 0;
  CUDNN_OK(cudnnDropoutGetStatesSize(h, &drop_bytes));
  DeviceBuffer drop_states((drop_bytes + 3) / 4);
  CUDNN_OK(cudnnSetDropoutDescriptor(drop, h, 0.f, drop_states.p, drop_bytes, 0));
  cudnnRNNDescriptor_t rnn;
  CUDNN_OK(cudnnCreateRNNDescriptor(&rnn));
  CUDNN_OK(cudnnSetRNNDescriptor_v8(rnn, CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM, CUDNN_RNN_DOUBLE_BIAS,
                                    CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT,
                                    tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH, I, H, H, 1, drop,
                                    CUDNN_RNN_PADDED_IO_ENABLED));
  std::vector<int> lengths(B, T);
  cudnnRNNDataDescriptor_t xd, yd;
  CUDNN_OK(cudnnCreateRNNDataDescriptor(&xd));
  CUDNN_OK(cudnnCreateRNNDataDescriptor(&yd));
  CUDNN_OK(cudnnSetRNNDataDescriptor(xd, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, T, B, I,
                                     lengths.data(), nullptr));
  CUDNN_OK(cudnnSetRNNDataDescriptor(yd, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, T, B, H,
                                     lengths.data(), nullptr));
  cudnnTensorDescriptor_t hd;
  CUDNN_OK(cudnnCreateTensorDescriptor(&hd));
  const int dims[3] = {1, B, H}, strides[3] = {B * H, H, 1};
  CUDNN_OK(cudnnSetTensorNdDescriptor(hd, CUDNN_DATA_FLOAT, 3, dims, strides));
  size_t wbytes = 0, work_bytes = 0, reserve_bytes = 0;
  CUDNN_OK(cudnnGetRNNWeightSpaceSize(h, rnn, &wbytes));
  CUDNN_OK(cudnnGetRNNTempSpaceSizes(h, rnn, CUDNN_FWD_MODE_TRAINING, xd, &work_bytes, &reserve_bytes));
  DeviceBuffer wspace((wbytes + 3) / 4), dwspace((wbytes + 3) / 4), work((work_bytes + 3) / 4),
      reserve((reserve_bytes + 3) / 4), x(p.x.size()), y(p.y.size()), dy(p.dy.size()), dx(p.x.size());
  DeviceBuffer seq(B);
  {
    std::vector<int32_t> l(B, T);
    VARSTAR_CUDA_CHECK(cudaMemcpy(seq.p, l.data(), B * 4, cudaMemcpyHostToDevice));
  }
  x.upload(p.x);
  dy.upload(p.dy);
  // Weights: matrix linLayerID q (q < 4: W_ih rows q*H.., q >= 4: W_hh rows (q-4)*H..), row-major as PyTorch's.
  cudnnTensorDescriptor_t md, bd;
  CUDNN_OK(cudnnCreateTensorDescriptor(&md));
  CUDNN_OK(cudnnCreateTensorDescriptor(&bd));
  const auto param = [&](void* space, int id, float** m, float** b) {
    void* ma = nullptr;
    void* ba = nullptr;
    CUDNN_OK(cudnnGetRNNWeightParams(h, rnn, 0, wbytes, space, id, md, &ma, bd, &ba));
    *m = static_cast<float*>(ma);
    *b = static_cast<float*>(ba);
  };
  for (int q = 0; q < 8; ++q) {
    float *m, *b;
    param(wspace.p, q, &m, &b);
    const bool input = q < 4;
    const int gate = q % 4;
    const std::vector<float>& w = input ? p.w_ih : p.w_hh;
    const std::vector<float>& bias = input ? p.b_ih : p.b_hh;
    const size_t cols = input ? I : H;
    VARSTAR_CUDA_CHECK(cudaMemcpy(m, w.data() + gate * H * cols, H * cols * 4, cudaMemcpyHostToDevice));
    VARSTAR_CUDA_CHECK(cudaMemcpy(b, bias.data() + gate * H, H * 4, cudaMemcpyHostToDevice));
  }
  const auto fwd = [&] {
    CUDNN_OK(cudnnRNNForward(h, rnn, CUDNN_FWD_MODE_TRAINING, reinterpret_cast<int32_t*>(seq.p), xd, x.p, yd, y.p, hd,
                             nullptr, nullptr, hd, nullptr, nullptr, wbytes, wspace.p, work_bytes, work.p,
                             reserve_bytes, reserve.p));
  };
  const auto bwd = [&] {
    CUDNN_OK(cudnnRNNBackwardData_v8(h, rnn, reinterpret_cast<int32_t*>(seq.p), yd, y.p, dy.p, xd, dx.p, hd, nullptr,
                                     nullptr, nullptr, hd, nullptr, nullptr, nullptr, wbytes, wspace.p, work_bytes,
                                     work.p, reserve_bytes, reserve.p));
    VARSTAR_CUDA_CHECK(cudaMemsetAsync(dwspace.p, 0, wbytes, stream));
    CUDNN_OK(cudnnRNNBackwardWeights_v8(h, rnn, CUDNN_WGRAD_MODE_ADD, reinterpret_cast<int32_t*>(seq.p), xd, x.p, hd,
                                        nullptr, yd, y.p, wbytes, dwspace.p, work_bytes, work.p, reserve_bytes,
                                        reserve.p));
  };
  y.poison();
  dx.poison();
  fwd();
  bwd();
  VARSTAR_CUDA_CHECK(cudaStreamSynchronize(stream));
  row.err_fwd = rel_error(y.download(), p.y);
  // dW_hh from the gradient weight space, gate by gate.
  std::vector<float> dw_hh(p.w_hh.size());
  for (int gate = 0; gate < 4; ++gate) {
    float *m, *b;
    param(dwspace.p, 4 + gate, &m, &b);
    VARSTAR_CUDA_CHECK(cudaMemcpy(dw_hh.data() + gate * H * H, m, H * H * 4, cudaMemcpyDeviceToHost));
  }
  row.err_bwd = std::max(rel_error(dx.download(), p.dx), rel_error(dw_hh, p.dw_hh));
  const double limit = tf32 ? kMaxRelErrorTf32 : kMaxRelError;
  row.valid = row.err_fwd < limit && row.err_bwd < limit;
  if (row.valid) {
    row.fwd_ms = time_it(fwd, stream, 3, repeats).median_ms;
    row.step_ms = time_it([&] { fwd(); bwd(); }, stream, 3, repeats).median_ms;
    row.fwd_gflops = p.flops_forward() / (row.fwd_ms * 1e6);
  } else {
    row.note = "FAILED validation: not timed";
  }
  g_rows.push_back(row);
  cudnnDestroyTensorDescriptor(md);
  cudnnDestroyTensorDescriptor(bd);
  cudnnDestroyTensorDescriptor(hd);
  cudnnDestroyRNNDataDescriptor(xd);
  cudnnDestroyRNNDataDescriptor(yd);
  cudnnDestroyRNNDescriptor(rnn);
  cudnnDestroyDropoutDescriptor(drop);
  cudnnDestroy(h);
}
#endif

// Runs one variant; an exception becomes a row with the error (the other variants still run).
void guarded(const LstmShape& s, const std::string& name, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    Row row;
    row.shape = shape_name(s);
    row.variant = name;
    row.note = std::string("FAILED: ") + e.what();
    g_rows.push_back(row);
  }
}

void run_shape(const LstmShape& s, int repeats, cudaStream_t stream) {
  std::printf("shape %s: computing the float64 CPU reference...\n", shape_name(s).c_str());
  std::fflush(stdout);
  const Problem p(s);
  const auto per_step_fwd = [&](EngineBuffers& b, cudaStream_t st) {
    vc::lstm_forward_per_step(b.x.p, b.w_ih.p, b.w_hh.p, b.b_ih.p, b.b_hh.p, b.y.p, b.gates.p, b.cell.p, p.s, st);
    return true;
  };
  const auto per_step_bwd = [&](EngineBuffers& b, cudaStream_t st) {
    vc::lstm_backward_per_step(b.dy.p, b.x.p, b.w_ih.p, b.w_hh.p, b.y.p, b.gates.p, b.cell.p, b.dx.p, b.dw_ih.p,
                               b.dw_hh.p, b.db.p, b.dgates.p, b.h_prev.p, b.state.p, p.s, st);
    return true;
  };
  const auto persistent_fwd = [&](EngineBuffers& b, cudaStream_t st) {
    return vc::lstm_forward_persistent(b.x.p, b.w_ih.p, b.w_hh.p, b.b_ih.p, b.b_hh.p, b.y.p, b.gates.p, b.cell.p,
                                       p.s, st);
  };
  const auto persistent_bwd = [&](EngineBuffers& b, cudaStream_t st) {
    return vc::lstm_backward_persistent(b.dy.p, b.x.p, b.w_ih.p, b.w_hh.p, b.y.p, b.gates.p, b.cell.p, b.dx.p,
                                        b.dw_ih.p, b.dw_hh.p, b.db.p, b.dgates.p, b.h_prev.p, b.state.p, p.s, st);
  };
  guarded(s, "per-step", [&] { engine_variant(p, "per-step", per_step_fwd, per_step_bwd, false, repeats, stream); });
  guarded(s, "per-step/graph",
          [&] { engine_variant(p, "per-step/graph", per_step_fwd, per_step_bwd, true, repeats, stream); });
  for (int units : {8, 4, 16}) {
    const std::string name = "persistent U" + std::to_string(units);
    vc::set_persistent_lstm_units(units);
    guarded(s, name, [&] { engine_variant(p, name, persistent_fwd, persistent_bwd, false, repeats, stream); });
  }
  vc::set_persistent_lstm_units(8);
  guarded(s, "persistent U8/graph",
          [&] { engine_variant(p, "persistent U8/graph", persistent_fwd, persistent_bwd, true, repeats, stream); });
  vc::set_persistent_lstm_units(0);
  const auto local_fwd = [&](EngineBuffers& b, cudaStream_t st) {
    return vc::lstm_forward_sample_local(b.x.p, b.w_ih.p, b.w_hh.p, b.b_ih.p, b.b_hh.p, b.y.p, b.gates.p, b.cell.p,
                                         p.s, st);
  };
  const auto local_bwd = [&](EngineBuffers& b, cudaStream_t st) {
    return vc::lstm_backward_sample_local(b.dy.p, b.x.p, b.w_ih.p, b.w_hh.p, b.y.p, b.gates.p, b.cell.p, b.dx.p,
                                          b.dw_ih.p, b.dw_hh.p, b.db.p, b.dgates.p, b.h_prev.p, b.state.p, p.s, st);
  };
  for (int samples : {1, 2, 4, 0}) {
    std::string name = samples > 0 ? "sample-local S" : "sample-local auto";
    if (samples > 0) name += std::to_string(samples);
    vc::set_sample_local_lstm_samples(samples);
    guarded(s, name, [&] { engine_variant(p, name, local_fwd, local_bwd, false, repeats, stream); });
  }
  vc::set_sample_local_lstm_samples(0);
  guarded(s, "sample-local/graph",
          [&] { engine_variant(p, "sample-local/graph", local_fwd, local_bwd, true, repeats, stream); });
#ifdef VARSTAR_HAS_CUDNN
  for (bool tf32 : {false, true}) {
    try {
      cudnn_variant(p, tf32, repeats, stream);
    } catch (const std::exception& e) {
      Row row;
      row.shape = shape_name(s);
      row.variant = tf32 ? "cudnn-tf32" : "cudnn-fma";
      row.note = std::string("cuDNN failed: ") + e.what();
      g_rows.push_back(row);
    }
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  if (!varstar::bench::dev_bench_start(argc, argv, quick)) return 77;
  cudaDeviceProp prop{};
  VARSTAR_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
#ifdef VARSTAR_HAS_CUDNN
  std::printf("bench_dev_lstm on %s (%d SMs), cuDNN %zu\n", prop.name, prop.multiProcessorCount, cudnnGetVersion());
#else
  std::printf("bench_dev_lstm on %s (%d SMs), built without cuDNN\n", prop.name, prop.multiProcessorCount);
#endif
  cudaStream_t stream;
  VARSTAR_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const int repeats = quick ? 10 : 30;
  std::vector<LstmShape> shapes{{32, 89, 256, 64}, {32, 89, 64, 128}};
  if (!quick) shapes.push_back({256, 89, 64, 128});
  int failures = 0;
  try {
    for (const LstmShape& s : shapes) run_shape(s, repeats, stream);
  } catch (const std::exception& e) {
    std::printf("ERROR: %s\n", e.what());
    ++failures;
  }
  std::printf("\n%-22s %-20s %10s %10s %10s %12s %10s  %s\n", "shape", "variant", "err fwd", "err bwd", "fwd ms",
              "fwd+bwd ms", "fwd GF/s", "note");
  for (const Row& r : g_rows) {
    std::printf("%-22s %-20s %10.2e %10.2e %10.3f %12.3f %10.1f  %s\n", r.shape.c_str(), r.variant.c_str(), r.err_fwd,
                r.err_bwd, r.fwd_ms, r.step_ms, r.fwd_gflops, r.note.c_str());
    if (r.note.rfind("FAILED", 0) == 0) ++failures;
  }
  std::printf("(errors: ||out - ref|| / ||ref|| against float64; backward = max over dx, dW_ih, dW_hh, db;"
              " cuDNN: dx, dW_hh)\n");
  cudaStreamDestroy(stream);
  return failures == 0 ? 0 : 1;
}
