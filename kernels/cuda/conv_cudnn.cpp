// Convolution entry points of the CUDA backend (kernels/conv.h): cuDNN when it
// is built in and switched on, else the GEMM path (conv_im2col.h).
//
// cuDNN (legacy convolution API, NCHW float32; conv1d is H = KH = 1): handles
// and descriptors in RAII wrappers, one handle per device and thread. The
// algorithm of each (shape, direction, TF32, timing switch) is chosen once and
// cached: cudnnFind*Ex times the candidates on the call's own buffers (the
// result is overwritten by the real call), or, while a CUDA graph is being
// captured, with set_conv_timing(false) or with VARSTAR_CUDNN_FIND=0, the
// cudnnGet*_v7 heuristics (no timing decides: the same choice on every run).
// When cuDNN timed its candidates, our GEMM path (conv.cu) and, for the
// shapes it suits, our Winograd path (conv_winograd.cu) are timed on the same
// buffers too, and the fastest of the three runs (VARSTAR_CONV_GEMM=0 or
// set_conv_gemm_candidate(false), VARSTAR_CONV_WINOGRAD=0 or
// set_conv_winograd(off): without that rival). Only deterministic
// algorithms are taken (VARSTAR_CUDNN_DETERMINISTIC=0 lifts that), FMA
// kernels only unless TF32 is allowed, and no non-fused Winograd on windows
// above 3 x 3 (imprecise()), so results compare with the CPU at float32
// tolerances. VARSTAR_CONV_VERBOSE=1 prints each choice. Workspaces come
// from the caching allocator. A shape that cuDNN rejects falls back to the
// GEMM path (counted: cudnn_fallbacks()).
#include <cuda_runtime.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "engine/error.h"
#include "kernels/conv.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/conv_im2col.h"
#include "kernels/cuda/conv_winograd.h"
#include "kernels/cuda/workspace.h"
#include "kernels/gemm.h"
#include "kernels/winograd_tile.h"

#ifdef VARSTAR_HAS_CUDNN
#include <cudnn.h>
#endif

namespace varstar::cuda {

namespace {
// Switches: 1 on, 0 off, -1 not decided yet (then the environment decides, once).
std::atomic<int> g_use_cudnn{-1};
std::atomic<int> g_gemm_candidate{-1};
std::atomic<int> g_timing{-1};
std::atomic<int64_t> g_fallbacks{0};
std::atomic<int64_t> g_searches{0};
std::atomic<WinogradPolicy> g_winograd{initial_winograd_policy()};

bool env_flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || v[0] == '\0') return fallback;
  return v[0] != '0';
}

// A switch's setting, or else the environment's variable `name` (default on).
bool switch_on(std::atomic<int>& state, const char* name) {
  int v = state.load();
  if (v < 0) {
    v = env_flag(name, true) ? 1 : 0;
    state = v;
  }
  return v == 1;
}
}  // namespace

bool cudnn_compiled() {
#ifdef VARSTAR_HAS_CUDNN
  return true;
#else
  return false;
#endif
}

void set_use_cudnn(bool use) { g_use_cudnn = use ? 1 : 0; }

bool use_cudnn() { return cudnn_compiled() && switch_on(g_use_cudnn, "VARSTAR_CUDNN"); }

int64_t cudnn_fallbacks() { return g_fallbacks.load(); }

void set_conv_gemm_candidate(bool on) { g_gemm_candidate = on ? 1 : 0; }

bool conv_gemm_candidate() { return switch_on(g_gemm_candidate, "VARSTAR_CONV_GEMM"); }

void set_conv_timing(bool on) { g_timing = on ? 1 : 0; }

bool conv_timing() { return switch_on(g_timing, "VARSTAR_CUDNN_FIND"); }

int64_t conv_timed_searches() { return g_searches.load(); }

void set_conv_winograd(WinogradPolicy policy) { g_winograd = policy; }
WinogradPolicy conv_winograd() { return g_winograd.load(); }

namespace {
// Under `always`, every shape the Winograd path fits takes it.
bool winograd_forced(const ConvShape& s) { return conv_winograd() == WinogradPolicy::always && winograd_fits(s); }
}  // namespace

#ifndef VARSTAR_HAS_CUDNN

std::string cudnn_version() { return "not built with cuDNN"; }

void conv2d_forward(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                    cuda_stream stream) {
  if (winograd_forced(s)) return conv2d_forward_winograd(x, weight, bias, y, s, stream);
  conv2d_forward_im2col(x, weight, bias, y, s, stream);
}
void conv2d_backward_input(const float* dy, const float* weight, float* dx, const ConvShape& s, cuda_stream stream) {
  if (winograd_forced(s)) return conv2d_backward_input_winograd(dy, weight, dx, s, stream);
  conv2d_backward_input_im2col(dy, weight, dx, s, stream);
}
void conv2d_backward_weight(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                            cuda_stream stream) {
  if (winograd_forced(s)) return conv2d_backward_weight_winograd(dy, x, dweight, dbias, s, stream);
  conv2d_backward_weight_im2col(dy, x, dweight, dbias, s, stream);
}

#else

std::string cudnn_version() {
  const size_t v = cudnnGetVersion();  // major * 10000 + minor * 100 + patch (cuDNN 9)
  return fmt::format("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
}

namespace {

void check_cudnn(cudnnStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw CudnnError(fmt::format("cuDNN error {} in '{}' at {}:{}", cudnnGetErrorString(status), expr, file, line));
}
#define VARSTAR_CUDNN_CHECK(expr) check_cudnn((expr), #expr, __FILE__, __LINE__)

constexpr size_t kMaxWorkspaceBytes = size_t{512} << 20;

// ---- RAII wrappers -------------------------------------------------------------
struct Handle {
  cudnnHandle_t h = nullptr;
  Handle() { VARSTAR_CUDNN_CHECK(cudnnCreate(&h)); }
  ~Handle() {
    if (h != nullptr) cudnnDestroy(h);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc(int64_t n, int64_t c, int64_t h, int64_t w) {
    VARSTAR_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    VARSTAR_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(n),
                                                   static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)));
  }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};

struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc(int64_t k, int64_t c, int64_t h, int64_t w) {
    VARSTAR_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d));
    VARSTAR_CUDNN_CHECK(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, static_cast<int>(k),
                                                   static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)));
  }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};

struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  explicit ConvDesc(const ConvShape& s) {
    VARSTAR_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
    VARSTAR_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d, static_cast<int>(s.pad_h), static_cast<int>(s.pad_w),
                                                        static_cast<int>(s.stride_h), static_cast<int>(s.stride_w), 1,
                                                        1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

// The descriptors of one convolution.
struct Descs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  explicit Descs(const ConvShape& s)
      : x(s.batch, s.c_in, s.h, s.w), y(s.batch, s.c_out, s.out_h, s.out_w), w(s.c_out, s.c_in, s.kh, s.kw),
        conv(s) {}
};

// One handle per device and thread, bound to the call's stream.
cudnnHandle_t handle_for(cuda_stream stream) {
  thread_local std::vector<std::unique_ptr<Handle>> handles;
  int device = 0;
  VARSTAR_CUDA_CHECK(cudaGetDevice(&device));
  if (device >= static_cast<int>(handles.size())) handles.resize(device + 1);
  if (!handles[device]) {
    detail::DeviceWideCall exclusive;
    handles[device] = std::make_unique<Handle>();
  }
  VARSTAR_CUDNN_CHECK(cudnnSetStream(handles[device]->h, stream));
  return handles[device]->h;
}

// ---- algorithm cache -------------------------------------------------------------
enum class Direction { forward, backward_data, backward_filter };

// Where one direction of one shape runs.
enum class Path { cudnn, gemm, winograd };

struct Choice {
  bool usable = false;  // false: cuDNN rejected this shape; use the GEMM path
  float cudnn_ms = -1.f;     // cudnnFind's time of the chosen algorithm; -1: heuristics
  float gemm_ms = -1.f;      // our paths' times on the same buffers; -1: not timed
  float winograd_ms = -1.f;
  int algo = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t workspace = 0;
  std::shared_ptr<Descs> descs;  // kept with the choice: no descriptor set-up per call
};

using Key = std::tuple<int, int, std::vector<int64_t>, bool, bool>;  // direction, device, shape, tf32, timing

Key make_key(Direction d, const ConvShape& s, bool tf32, bool timing) {
  int device = 0;
  cudaGetDevice(&device);
  return {static_cast<int>(d), device,
          {s.batch, s.c_in, s.h, s.w, s.c_out, s.kh, s.kw, s.stride_h, s.stride_w, s.pad_h, s.pad_w}, tf32, timing};
}

std::mutex g_cache_mutex;
std::map<Key, Choice>& cache() {
  static auto* c = new std::map<Key, Choice>();
  return *c;
}

struct Perf {
  int algo;
  float time_ms;  // cudnnFind's time; -1 from the heuristics
  cudnnStatus_t status;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t math;
};

template <class P>
std::vector<Perf> to_perfs(const P* results, int count) {
  std::vector<Perf> out;
  for (int i = 0; i < count; ++i)
    out.push_back({static_cast<int>(results[i].algo), results[i].time, results[i].status, results[i].memory,
                   results[i].determinism, results[i].mathType});
  return out;
}

// cuDNN's non-fused Winograd algorithms on windows larger than 3 x 3 are off
// by up to 1e-2 of the output's scale in float32 (bench_dev_conv, 5 x 5 on
// the 2D-CNN's layers: 5e-3 and 9e-3; every other algorithm there: < 4e-6).
bool imprecise(Direction dir, int algo, const ConvShape& s) {
  if (s.kh <= 3 && s.kw <= 3) return false;
  switch (dir) {
    case Direction::forward: return algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    case Direction::backward_data: return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
    case Direction::backward_filter: return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
  }
  return false;
}

// The first (fastest, for Find; most promising, for the heuristics) usable candidate.
Choice pick(const std::vector<Perf>& perfs, bool tf32, Direction dir, const ConvShape& s) {
  const bool deterministic_only = env_flag("VARSTAR_CUDNN_DETERMINISTIC", true);
  for (const Perf& p : perfs) {
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kMaxWorkspaceBytes) continue;
    if (deterministic_only && p.determinism != CUDNN_DETERMINISTIC) continue;
    if (imprecise(dir, p.algo, s)) continue;
    if (!tf32 && (p.math == CUDNN_TENSOR_OP_MATH || p.math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)) continue;
    Choice c;
    c.usable = true;
    c.algo = p.algo;
    c.math = tf32 ? p.math : CUDNN_FMA_MATH;
    c.workspace = p.memory;
    c.cudnn_ms = p.time_ms;
    return c;
  }
  return Choice{};
}

// Chooses the algorithm for one direction. `a`, `b` are the inputs and `out`
// the output of that direction (overwritten by cudnnFind*Ex).
Choice choose(Direction dir, const ConvShape& s, cudnnHandle_t h, const Descs& d, const void* a, const void* b,
              void* out, bool tf32, bool timing, cuda_stream stream) {
  VARSTAR_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  const bool find = timing && !detail::graph_capture_active();
  constexpr int kRequested = 16;
  int returned = 0;
  std::vector<Perf> perfs;
  if (find) {
    ++g_searches;
    size_t free_bytes = 0, total_bytes = 0;
    VARSTAR_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    const size_t ws_bytes = std::min(kMaxWorkspaceBytes, free_bytes / 4);
    ByteWorkspace ws(ws_bytes, stream);
    if (dir == Direction::forward) {
      cudnnConvolutionFwdAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.d, a, d.w.d, b, d.conv.d, d.y.d, out,
                                                                 kRequested, &returned, r, ws.data(), ws_bytes));
      perfs = to_perfs(r, returned);
    } else if (dir == Direction::backward_data) {
      cudnnConvolutionBwdDataAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.d, a, d.y.d, b, d.conv.d, d.x.d, out,
                                                                      kRequested, &returned, r, ws.data(), ws_bytes));
      perfs = to_perfs(r, returned);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.d, a, d.y.d, b, d.conv.d, d.w.d, out,
                                                                        kRequested, &returned, r, ws.data(),
                                                                        ws_bytes));
      perfs = to_perfs(r, returned);
    }
  } else {
    if (dir == Direction::forward) {
      cudnnConvolutionFwdAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(
          cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.d, d.w.d, d.conv.d, d.y.d, kRequested, &returned, r));
      perfs = to_perfs(r, returned);
    } else if (dir == Direction::backward_data) {
      cudnnConvolutionBwdDataAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(
          cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.d, d.y.d, d.conv.d, d.x.d, kRequested, &returned, r));
      perfs = to_perfs(r, returned);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t r[kRequested];
      VARSTAR_CUDNN_CHECK(
          cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x.d, d.y.d, d.conv.d, d.w.d, kRequested, &returned, r));
      perfs = to_perfs(r, returned);
    }
    // The heuristics report no workspace size (nor a time): ask for the size.
    for (Perf& p : perfs) {
      p.time_ms = -1.f;
      if (p.status != CUDNN_STATUS_SUCCESS) continue;
      cudnnStatus_t st;
      VARSTAR_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv.d, tf32 ? p.math : CUDNN_FMA_MATH));
      if (dir == Direction::forward)
        st = cudnnGetConvolutionForwardWorkspaceSize(h, d.x.d, d.w.d, d.conv.d, d.y.d,
                                                     static_cast<cudnnConvolutionFwdAlgo_t>(p.algo), &p.memory);
      else if (dir == Direction::backward_data)
        st = cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.d, d.y.d, d.conv.d, d.x.d,
                                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(p.algo), &p.memory);
      else
        st = cudnnGetConvolutionBackwardFilterWorkspaceSize(
            h, d.x.d, d.y.d, d.conv.d, d.w.d, static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.algo), &p.memory);
      if (st != CUDNN_STATUS_SUCCESS) p.status = st;
    }
  }
  return pick(perfs, tf32, dir, s);
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::forward: return "forward";
    case Direction::backward_data: return "backward data";
    case Direction::backward_filter: return "backward filter";
  }
  return "?";
}

std::string shape_text(const ConvShape& s) {
  return fmt::format("x ({}, {}, {}, {}), weight ({}, {}, {}, {})", s.batch, s.c_in, s.h, s.w, s.c_out, s.c_in, s.kh,
                     s.kw);
}

void note_fallback(Direction dir, const ConvShape& s, const std::string& why) {
  ++g_fallbacks;
  std::fprintf(stderr, "varstar: cuDNN convolution %s unavailable for %s: %s; using the GEMM path for this shape\n",
               direction_name(dir), shape_text(s).c_str(), why.c_str());
}

// The path a choice takes with the current switches: the fastest of cuDNN and
// the rivals that were timed and are switched on.
Path path_of(const Choice& c) {
  if (!c.usable) return Path::gemm;
  Path best = Path::cudnn;
  float best_ms = c.cudnn_ms;
  if (c.gemm_ms >= 0.f && conv_gemm_candidate() && c.gemm_ms < best_ms) {
    best = Path::gemm;
    best_ms = c.gemm_ms;
  }
  if (c.winograd_ms >= 0.f && conv_winograd() != WinogradPolicy::off && c.winograd_ms < best_ms) best = Path::winograd;
  return best;
}

const char* path_name(Path p) {
  switch (p) {
    case Path::cudnn: return "cuDNN";
    case Path::gemm: return "GEMM path";
    case Path::winograd: return "Winograd path";
  }
  return "?";
}

// VARSTAR_CONV_VERBOSE=1: one line per (shape, direction) when its path is chosen.
void note_choice(Direction dir, const ConvShape& s, const Choice& c) {
  std::string line = fmt::format("varstar: convolution {} {}: ", direction_name(dir), shape_text(s));
  if (!c.usable) line += "no usable cuDNN algorithm; GEMM path";
  else {
    line += fmt::format("cuDNN algorithm {}", c.algo);
    if (c.cudnn_ms >= 0.f) line += fmt::format(" {:.4f} ms", c.cudnn_ms);
    if (c.gemm_ms >= 0.f) line += fmt::format(", GEMM path {:.4f} ms", c.gemm_ms);
    if (c.winograd_ms >= 0.f) line += fmt::format(", Winograd path {:.4f} ms", c.winograd_ms);
    line += fmt::format(" -> {}", path_name(path_of(c)));
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

// One direction through one of our paths, with the roles of run_cudnn's buffers.
void run_ours(Path path, Direction dir, const ConvShape& s, const void* a, const void* b, void* out,
              cuda_stream stream) {
  const auto* fa = static_cast<const float*>(a);
  const auto* fb = static_cast<const float*>(b);
  auto* fout = static_cast<float*>(out);
  const bool winograd = path == Path::winograd;
  switch (dir) {
    case Direction::forward:
      return winograd ? conv2d_forward_winograd(fa, fb, nullptr, fout, s, stream)
                      : conv2d_forward_im2col(fa, fb, nullptr, fout, s, stream);
    case Direction::backward_data:
      return winograd ? conv2d_backward_input_winograd(fb, fa, fout, s, stream)
                      : conv2d_backward_input_im2col(fb, fa, fout, s, stream);
    case Direction::backward_filter:
      return winograd ? conv2d_backward_weight_winograd(fb, fa, fout, nullptr, s, stream)
                      : conv2d_backward_weight_im2col(fb, fa, fout, nullptr, s, stream);
  }
}

struct TimingEvents {
  cudaEvent_t start = nullptr, stop = nullptr;
  TimingEvents() {
    VARSTAR_CUDA_CHECK(cudaEventCreate(&start));
    VARSTAR_CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~TimingEvents() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  TimingEvents(const TimingEvents&) = delete;
  TimingEvents& operator=(const TimingEvents&) = delete;
};

// Mean milliseconds of one of our paths on the call's own buffers (the output
// is overwritten by the real call) after one untimed run, as cudnnFind times.
float time_path(Path path, Direction dir, const ConvShape& s, const void* a, const void* b, void* out,
                cuda_stream stream) {
  constexpr int kRuns = 3;
  run_ours(path, dir, s, a, b, out, stream);
  TimingEvents ev;
  VARSTAR_CUDA_CHECK(cudaEventRecord(ev.start, stream));
  for (int i = 0; i < kRuns; ++i) run_ours(path, dir, s, a, b, out, stream);
  VARSTAR_CUDA_CHECK(cudaEventRecord(ev.stop, stream));
  VARSTAR_CUDA_CHECK(cudaEventSynchronize(ev.stop));
  float ms = 0.f;
  VARSTAR_CUDA_CHECK(cudaEventElapsedTime(&ms, ev.start, ev.stop));
  return ms / kRuns;
}

// Runs one direction through cuDNN and returns Path::cudnn, or returns the
// path that must run instead: the GEMM path where cuDNN rejected the shape,
// or whichever of our paths was timed faster.
Path run_cudnn(Direction dir, const ConvShape& s, const void* a, const void* b, void* out, cuda_stream stream) {
  const bool tf32 = allow_tf32(), timing = conv_timing();
  const Key key = make_key(dir, s, tf32, timing);
  Choice choice;
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    auto it = cache().find(key);
    if (it != cache().end()) {
      choice = it->second;
      known = true;
    }
  }
  // Our paths are timed where cuDNN timed its own (not while capturing), also
  // for a choice first made with a rival switched off; false when nothing was timed.
  const auto time_rivals = [&] {
    if (!choice.usable || choice.cudnn_ms < 0.f || detail::graph_capture_active()) return false;
    const bool gemm = choice.gemm_ms < 0.f && conv_gemm_candidate();
    const bool winograd = choice.winograd_ms < 0.f && conv_winograd() == WinogradPolicy::automatic &&
                          winograd_worthwhile(s);
    if (!gemm && !winograd) return false;
    detail::DeviceWideCall exclusive;  // times and synchronises
    if (gemm) choice.gemm_ms = time_path(Path::gemm, dir, s, a, b, out, stream);
    if (winograd) choice.winograd_ms = time_path(Path::winograd, dir, s, a, b, out, stream);
    if (env_flag("VARSTAR_CONV_VERBOSE", false)) note_choice(dir, s, choice);
    return true;
  };
  if (known && time_rivals()) {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    cache()[key] = choice;
  }
  if (known && path_of(choice) != Path::cudnn) return path_of(choice);
  try {
    cudnnHandle_t h = handle_for(stream);
    if (!known) {
      auto descs = std::make_shared<Descs>(s);
      {
        detail::DeviceWideCall exclusive;  // the search allocates, times and synchronises
        choice = choose(dir, s, h, *descs, a, b, out, tf32, timing, stream);
      }
      if (!time_rivals() && env_flag("VARSTAR_CONV_VERBOSE", false)) note_choice(dir, s, choice);
      if (!choice.usable) note_fallback(dir, s, "no deterministic float32 algorithm");
      VARSTAR_CUDNN_CHECK(cudnnSetConvolutionMathType(descs->conv.d, choice.math));
      choice.descs = descs;
      std::lock_guard<std::mutex> lock(g_cache_mutex);
      cache()[key] = choice;
      if (path_of(choice) != Path::cudnn) return path_of(choice);
    }
    const Descs& d = *choice.descs;
    ByteWorkspace ws(choice.workspace, stream);
    const float one = 1.f, zero = 0.f;
    switch (dir) {
      case Direction::forward:
        VARSTAR_CUDNN_CHECK(cudnnConvolutionForward(h, &one, d.x.d, a, d.w.d, b, d.conv.d,
                                                    static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), ws.data(),
                                                    choice.workspace, &zero, d.y.d, out));
        break;
      case Direction::backward_data:
        VARSTAR_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &one, d.w.d, a, d.y.d, b, d.conv.d,
                                                         static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo),
                                                         ws.data(), choice.workspace, &zero, d.x.d, out));
        break;
      case Direction::backward_filter:
        VARSTAR_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &one, d.x.d, a, d.y.d, b, d.conv.d,
                                                           static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo),
                                                           ws.data(), choice.workspace, &zero, d.w.d, out));
        break;
    }
    return Path::cudnn;
  } catch (const CudnnError& e) {
    if (detail::graph_capture_active()) throw;  // a failed call inside a capture ends it: report, do not hide
    note_fallback(dir, s, e.what());
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    cache()[key] = Choice{};
    return Path::gemm;
  }
}

bool cudnn_fits(const ConvShape& s) {
  constexpr int64_t kIntMax = 2147483647;
  return s.batch * s.c_in * s.h * s.w < kIntMax && s.batch * s.c_out * s.out_h * s.out_w < kIntMax &&
         s.batch > 0 && s.c_out > 0;
}

// The path of one call: Winograd where forced, else cuDNN's choice (which
// has already run when it is cuDNN) where cuDNN is on and takes the shape, else the GEMM path.
Path path_for(Direction dir, const ConvShape& s, const void* a, const void* b, void* out, cuda_stream stream) {
  if (winograd_forced(s)) return Path::winograd;
  if (use_cudnn() && cudnn_fits(s)) return run_cudnn(dir, s, a, b, out, stream);
  return Path::gemm;
}

}  // namespace

void conv2d_forward(const float* x, const float* weight, const float* bias, float* y, const ConvShape& s,
                    cuda_stream stream) {
  switch (path_for(Direction::forward, s, x, weight, y, stream)) {
    case Path::cudnn:
      if (bias != nullptr) conv2d_add_bias(y, bias, s, stream);
      return;
    case Path::winograd: return conv2d_forward_winograd(x, weight, bias, y, s, stream);
    case Path::gemm: return conv2d_forward_im2col(x, weight, bias, y, s, stream);
  }
}

void conv2d_backward_input(const float* dy, const float* weight, float* dx, const ConvShape& s, cuda_stream stream) {
  switch (path_for(Direction::backward_data, s, weight, dy, dx, stream)) {
    case Path::cudnn: return;
    case Path::winograd: return conv2d_backward_input_winograd(dy, weight, dx, s, stream);
    case Path::gemm: return conv2d_backward_input_im2col(dy, weight, dx, s, stream);
  }
}

void conv2d_backward_weight(const float* dy, const float* x, float* dweight, float* dbias, const ConvShape& s,
                            cuda_stream stream) {
  switch (path_for(Direction::backward_filter, s, x, dy, dweight, stream)) {
    case Path::cudnn:
      if (dbias != nullptr) conv2d_bias_backward(dy, dbias, s, stream);
      return;
    case Path::winograd: return conv2d_backward_weight_winograd(dy, x, dweight, dbias, s, stream);
    case Path::gemm: return conv2d_backward_weight_im2col(dy, x, dweight, dbias, s, stream);
  }
}

#endif  // VARSTAR_HAS_CUDNN

}  // namespace varstar::cuda
