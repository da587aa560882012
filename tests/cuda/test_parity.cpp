// CPU/CUDA parity for every registered op (odd sizes, batch 1, sizes that are
// not multiples of 32, fixed seeds; see parity.h for the two grid sizes every
// case runs with), and the registry test that every op has a parity case.
// Convolutions run through cuDNN, the GEMM path and the Winograd path.
#include <cmath>
#include <cstdlib>

#include "engine/cuda_backend.h"
#include "engine/ops/op_list.h"
#include "kernels/cuda/conv_winograd.h"
#include "tests/cuda/parity.h"

using varstar::Tensor;
using vtest::check_parity;
using vtest::random_f32;

std::string varstar_test_skip_reason() {
  const char* registry_only = std::getenv("VARSTAR_PARITY_REGISTRY_ONLY");
  if (registry_only != nullptr && registry_only[0] == '1') return {};
  if (!varstar::cuda_available()) return varstar::cuda::unavailable_reason();
  return {};
}

// Convolution parity: see kConvAbsTolerance.
void check_conv(const vtest::Fn& f, const std::vector<Tensor>& inputs) {
  check_parity(f, inputs, {}, vtest::kParityRelTolerance, vtest::kConvAbsTolerance, vtest::kConvScaleTolerance);
}

TEST_CASE("registry: every registered op has a CUDA parity case") {
  for (std::string_view op : varstar::registered_ops()) {
    CAPTURE(op);
    CHECK(vtest::parity_registry().count(std::string(op)) == 1);
  }
}

PARITY(add, "broadcast (3,5,7) + (5,1)") {
  check_parity([](const auto& in) { return varstar::add(in[0], in[1]); }, {random_f32({3, 5, 7}, 1), random_f32({5, 1}, 2)});
}
PARITY(sub, "broadcast (7) - (3,7)") {
  check_parity([](const auto& in) { return varstar::sub(in[0], in[1]); }, {random_f32({7}, 3), random_f32({3, 7}, 4)});
}
PARITY(mul, "broadcast (2,1,5) * (3,5)") {
  check_parity([](const auto& in) { return varstar::mul(in[0], in[1]); }, {random_f32({2, 1, 5}, 5), random_f32({3, 5}, 6)});
}
PARITY(div, "(9,13)") {
  check_parity([](const auto& in) { return varstar::div(in[0], in[1]); },
               {random_f32({9, 13}, 7), random_f32({9, 13}, 8, 0.5, 2.0)});
}
PARITY(mul_scalar, "(1001)") {
  check_parity([](const auto& in) { return varstar::mul_scalar(in[0], 0.37); }, {random_f32({1001}, 9)});
}
PARITY(add_scalar, "(1001)") {
  check_parity([](const auto& in) { return varstar::mul(varstar::add_scalar(in[0], 1.5), in[0]); }, {random_f32({1001}, 10)});
}
PARITY(relu, "(33,17)") {
  check_parity([](const auto& in) { return varstar::relu(in[0]); }, {random_f32({33, 17}, 11)});
}
PARITY(tanh, "(33,17)") {
  check_parity([](const auto& in) { return varstar::tanh(in[0]); }, {random_f32({33, 17}, 12, -3, 3)});
}
PARITY(sigmoid, "(33,17)") {
  check_parity([](const auto& in) { return varstar::sigmoid(in[0]); }, {random_f32({33, 17}, 13, -3, 3)});
}
PARITY(gelu, "(33,17) over [-4, 4]") {
  check_parity([](const auto& in) { return varstar::gelu(in[0]); }, {random_f32({33, 17}, 113, -4, 4)});
}
PARITY(sum, "dims {0,2} and all") {
  check_parity([](const auto& in) { return varstar::sum(in[0], {0, 2}); }, {random_f32({5, 7, 9}, 14)});
  check_parity([](const auto& in) { return varstar::sum(in[0]); }, {random_f32({301, 3}, 15)}, {}, 1e-4, 1e-4);
}
PARITY(mean, "last dim") {
  check_parity([](const auto& in) { return varstar::mean(in[0], {-1}); }, {random_f32({7, 11}, 16)});
}
PARITY(contiguous, "transposed view") {
  check_parity([](const auto& in) { return in[0].transpose(0, 1).contiguous(); }, {random_f32({5, 9}, 17)});
}
PARITY(to_dtype, "int32 labels to float32 (forward only) and a float32 round trip") {
  const Tensor labels = Tensor::from_vector(std::vector<int32_t>{3, 1, 4, 1, 5}, {5});
  vtest::check_close(labels.to(varstar::DType::f32), labels.to(varstar::Device::cuda(0)).to(varstar::DType::f32), "cast");
  check_parity([](const auto& in) { return in[0].to(varstar::DType::f32); }, {random_f32({5}, 18)});
}
PARITY(reshape, "of a permuted view") {
  check_parity([](const auto& in) { return in[0].transpose(0, 1).reshape({3, -1}); }, {random_f32({5, 6}, 19)});
}
PARITY(permute, "(3,5,7) -> (2,0,1)") {
  check_parity([](const auto& in) { return in[0].permute({2, 0, 1}).contiguous(); }, {random_f32({3, 5, 7}, 20)});
}
PARITY(slice, "step 2") {
  check_parity([](const auto& in) { return in[0].slice(1, 1, 8, 2).contiguous(); }, {random_f32({3, 9}, 21)});
}
PARITY(select, "last time step") {
  check_parity([](const auto& in) { return in[0].select(1, -1).contiguous(); }, {random_f32({3, 7, 5}, 22)});
}
PARITY(expand, "(5,1) -> (3,5,7)") {
  check_parity([](const auto& in) { return in[0].expand({3, 5, 7}).contiguous(); }, {random_f32({5, 1}, 23)});
}
PARITY(cat, "three tensors along dim 1") {
  check_parity([](const auto& in) { return varstar::cat({in[0], in[1], in[2]}, 1); },
               {random_f32({2, 3, 5}, 24), random_f32({2, 1, 5}, 25), random_f32({2, 4, 5}, 26)});
}
PARITY(matmul, "2-d, batched, transposed") {
  check_parity([](const auto& in) { return varstar::matmul(in[0], in[1]); }, {random_f32({17, 33}, 27), random_f32({33, 9}, 28)});
  check_parity([](const auto& in) { return varstar::matmul(in[0], in[1]); },
               {random_f32({3, 7, 11}, 29), random_f32({3, 11, 5}, 30)});
  check_parity([](const auto& in) { return varstar::matmul(in[0].transpose(0, 1), in[1]); },
               {random_f32({13, 7}, 31), random_f32({13, 5}, 32)});
}
PARITY(linear, "3-d input with bias") {
  check_parity([](const auto& in) { return varstar::linear(in[0], in[1], in[2]); },
               {random_f32({3, 5, 19}, 33), random_f32({23, 19}, 34), random_f32({23}, 35)});
}
PARITY(conv1d, "thesis-like layers, odd sizes, batch 1, stride 3; cuDNN, timed choice, GEMM, Winograd") {
  vtest::for_each_conv_path([] {
    check_conv([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 1, 2); },
               {random_f32({3, 5, 37}, 36), random_f32({7, 5, 5}, 37), random_f32({7}, 38)});
    check_conv([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 2, 1); },
               {random_f32({2, 3, 21}, 39), random_f32({4, 3, 3}, 40), random_f32({4}, 41)});
    // The CNN-LSTM's first layer on one sample: 1 -> 64 channels, k3 p1 over 359 points.
    check_conv([](const auto& in) { return varstar::conv1d(in[0], in[1], in[2], 1, 1); },
               {random_f32({1, 1, 359}, 101), random_f32({64, 1, 3}, 102), random_f32({64}, 103)});
    check_conv([](const auto& in) { return varstar::conv1d(in[0], in[1], Tensor(), 3, 0); },
               {random_f32({2, 33, 50}, 104), random_f32({17, 33, 4}, 105)});
  });
}
PARITY(conv2d, "5x5 same padding, strided, batch 1, 1x1, non-square stride, 3x5; cuDNN, timed choice, GEMM, Winograd") {
  vtest::for_each_conv_path([] {
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {2, 2}); },
               {random_f32({2, 3, 11, 9}, 42), random_f32({5, 3, 5, 5}, 43), random_f32({5}, 44)});
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {2, 1}, {1, 0}); },
               {random_f32({3, 2, 9, 7}, 45), random_f32({4, 2, 3, 3}, 46), random_f32({4}, 47)});
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {1, 1}); },
               {random_f32({1, 1, 24, 24}, 106), random_f32({9, 1, 3, 3}, 107), random_f32({9}, 108)});
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {0, 0}); },
               {random_f32({2, 35, 5, 3}, 109), random_f32({33, 35, 1, 1}, 110), random_f32({33}, 111)});
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], Tensor(), {1, 2}, {0, 2}); },
               {random_f32({3, 4, 6, 13}, 112), random_f32({6, 4, 2, 5}, 113)});
    // 16+ channels, 5x5, stride 1: the CPU side runs by Winograd (kernels/cpu/conv_winograd.cpp).
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {2, 2}); },
               {random_f32({2, 20, 9, 7}, 114), random_f32({18, 20, 5, 5}, 115), random_f32({18}, 116)});
    // 3 x 5 taps, partial tiles both ways: both Winograd tables in one convolution.
    check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {1, 2}); },
               {random_f32({3, 17, 10, 13}, 117), random_f32({16, 17, 3, 5}, 118), random_f32({16}, 119)});
    {  // 5 samples, Winograd chunks of 2, 2 and 1 (the weight gradient summed over chunks)
      struct SmallChunks {
        SmallChunks() { varstar::cuda::set_winograd_chunk_floats(2 * 64 * 12 * (5 + 6 + 5)); }
        ~SmallChunks() { varstar::cuda::set_winograd_chunk_floats(0); }
      } small_chunks;
      check_conv([](const auto& in) { return varstar::conv2d(in[0], in[1], in[2], {1, 1}, {2, 2}); },
                 {random_f32({5, 5, 9, 15}, 120), random_f32({6, 5, 5, 5}, 121), random_f32({6}, 122)});
    }
  });
}
PARITY(maxpool1d, "kernel 2 on odd length; kernel 3 stride 2 (overlapping)") {
  check_parity([](const auto& in) { return varstar::maxpool1d(in[0], 2); }, {random_f32({3, 5, 37}, 48)});
  check_parity([](const auto& in) { return varstar::maxpool1d(in[0], 3, 2); }, {random_f32({2, 3, 17}, 49)});
}
PARITY(maxpool2d, "2x2 on 11x9") {
  check_parity([](const auto& in) { return varstar::maxpool2d(in[0], {2, 2}); }, {random_f32({2, 3, 11, 9}, 50)});
}
PARITY(dropout, "identical Philox masks on both devices") {
  varstar::Generator gen(51);
  check_parity(
      [&gen](const auto& in) {
        gen.set_state(51, 0);
        return varstar::dropout(in[0], 0.4, true, gen);
      },
      {random_f32({7, 131}, 52)}, {}, 0.0, 0.0);
}
PARITY(lstm, "B=3, T=7, I=5, H=9; every LSTM kernel (sample-local falls back)") {
  const int64_t H = 9;
  vtest::for_each_lstm_path(vtest::SampleLocal::falls_back, [&] {
    check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                 {random_f32({3, 7, 5}, 53), random_f32({4 * H, 5}, 54, -0.5, 0.5), random_f32({4 * H, H}, 55, -0.5, 0.5),
                  random_f32({4 * H}, 56), random_f32({4 * H}, 57)});
  });
}
PARITY(batch_norm, "training (N,C,H,W) and evaluation") {
  check_parity([](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
               {random_f32({4, 3, 5, 7}, 58), random_f32({3}, 59, 0.5, 1.5), random_f32({3}, 60)});
  const Tensor rm = random_f32({3}, 61), rv = random_f32({3}, 62, 0.5, 2.0);
  check_parity(
      [&](const auto& in) {
        const varstar::Device d = in[0].device();
        return varstar::batch_norm(in[0], in[1], in[2], rm.to(d), rv.to(d), false);
      },
      {random_f32({4, 3, 9}, 63), random_f32({3}, 64), random_f32({3}, 65)});
}
PARITY(log_softmax, "(37,10)") {
  check_parity([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_f32({37, 10}, 66, -3, 3)});
}
PARITY(cross_entropy, "weighted, 37 samples, 5 classes") {
  std::vector<int32_t> t(37);
  for (int i = 0; i < 37; ++i) t[i] = (i * 7) % 5;
  const Tensor targets = Tensor::from_vector(t, {37});
  const Tensor weights = Tensor::from_vector(std::vector<float>{0.5f, 1.f, 2.f, 1.5f, 0.75f}, {5});
  check_parity(
      [&](const auto& in) {
        const varstar::Device d = in[0].device();
        return varstar::cross_entropy(in[0], targets.to(d), weights.to(d));
      },
      {random_f32({37, 5}, 67, -2, 2)});
}

// ---- odd sizes beyond the basic cases ---------------------------------------------

PARITY(add, "100003 elements contiguous; broadcast of size-1 middle and leading dims") {
  check_parity([](const auto& in) { return varstar::add(in[0], in[1]); }, {random_f32({100003}, 120), random_f32({100003}, 121)});
  check_parity([](const auto& in) { return varstar::add(in[0], in[1]); },
               {random_f32({1, 7, 1, 33}, 122), random_f32({5, 1, 3, 1}, 123)});
}
PARITY(relu, "100003 elements") {
  check_parity([](const auto& in) { return varstar::relu(in[0]); }, {random_f32({100003}, 124)});
}
PARITY(sum, "long rows (split row sum), few long columns (column tiles), (1, n)") {
  check_parity([](const auto& in) { return varstar::sum(in[0], {1}); }, {random_f32({3, 200003}, 125)}, {}, 1e-4, 1e-3);
  check_parity([](const auto& in) { return varstar::sum(in[0], {0}); }, {random_f32({1000, 37}, 126)}, {}, 1e-4, 1e-4);
  check_parity([](const auto& in) { return varstar::sum(in[0], {1}); }, {random_f32({4, 333, 45}, 127)}, {}, 1e-4, 1e-4);
  check_parity([](const auto& in) { return varstar::sum(in[0]); }, {random_f32({1, 1}, 128)});
}
PARITY(matmul, "(1, 1) @ (1, 1), (33, 1) @ (1, 65)") {
  check_parity([](const auto& in) { return varstar::matmul(in[0], in[1]); }, {random_f32({1, 1}, 129), random_f32({1, 1}, 130)});
  check_parity([](const auto& in) { return varstar::matmul(in[0], in[1]); }, {random_f32({33, 1}, 131), random_f32({1, 65}, 132)});
}
PARITY(linear, "batch 1, 1 feature") {
  check_parity([](const auto& in) { return varstar::linear(in[0], in[1], in[2]); },
               {random_f32({1, 1}, 133), random_f32({5, 1}, 134), random_f32({5}, 135)});
}
PARITY(maxpool2d, "3x3 stride 2 (overlapping) on odd sizes, batch 1") {
  check_parity([](const auto& in) { return varstar::maxpool2d(in[0], {3, 3}, {2, 2}); }, {random_f32({1, 5, 13, 11}, 136)});
}
PARITY(maxpool1d, "batch 1, window 5 stride 4 (uncovered tail)") {
  check_parity([](const auto& in) { return varstar::maxpool1d(in[0], 5, 4); }, {random_f32({1, 3, 38}, 137)});
}
// Max pooling's backward has three CUDA paths (kernels/cuda/pool.cu): a window
// scatter where stride = kernel (2 x 2 and 1 x 2 compiled for those windows,
// any other tile generic), and a gather otherwise. Every path adds the CPU's
// values in the CPU's order, so outputs and gradients must be bit-identical.
constexpr double kMaxpoolExactTolerance = 0.0;
PARITY(maxpool2d, "bit-identical: 2x2 tiles with an odd edge; 3x3 stride 3 tiles (generic scatter); 3x3 stride 2") {
  const auto exact = [](const vtest::Fn& f, const Tensor& x) {
    check_parity(f, {x}, {}, kMaxpoolExactTolerance, kMaxpoolExactTolerance);
  };
  exact([](const auto& in) { return varstar::maxpool2d(in[0], {2, 2}); }, random_f32({3, 4, 13, 11}, 174));
  exact([](const auto& in) { return varstar::maxpool2d(in[0], {3, 3}); }, random_f32({2, 3, 11, 10}, 175));
  exact([](const auto& in) { return varstar::maxpool2d(in[0], {2, 3}, {2, 3}); }, random_f32({1, 5, 7, 17}, 176));
  exact([](const auto& in) { return varstar::maxpool2d(in[0], {3, 3}, {2, 2}); }, random_f32({2, 3, 12, 9}, 177));
}
PARITY(maxpool1d, "bit-identical: kernel 2 (1x2 tiles) on odd length; kernel 3 (generic scatter); 3 stride 2; 2 stride 3") {
  const auto exact = [](const vtest::Fn& f, const Tensor& x) {
    check_parity(f, {x}, {}, kMaxpoolExactTolerance, kMaxpoolExactTolerance);
  };
  exact([](const auto& in) { return varstar::maxpool1d(in[0], 2); }, random_f32({4, 7, 359}, 178));
  exact([](const auto& in) { return varstar::maxpool1d(in[0], 3); }, random_f32({2, 3, 41}, 179));
  exact([](const auto& in) { return varstar::maxpool1d(in[0], 3, 2); }, random_f32({2, 3, 40}, 181));
  exact([](const auto& in) { return varstar::maxpool1d(in[0], 2, 3); }, random_f32({2, 3, 40}, 182));
}
PARITY(dropout, "100003 elements, p = 0.9") {
  varstar::Generator gen(138);
  check_parity(
      [&gen](const auto& in) {
        gen.set_state(138, 12);
        return varstar::dropout(in[0], 0.9, true, gen);
      },
      {random_f32({100003}, 139)}, {}, 0.0, 0.0);
}
// CUDA dropout moves a float4 per Philox block when the offset is a multiple of
// 4 and x, y are 16-byte aligned, and one element per thread otherwise
// (kernels/cuda/dropout.cu); both must give the CPU's mask bit for bit.
constexpr double kDropoutExactTolerance = 0.0;
PARITY(dropout, "offset not a multiple of 4; x at a 4-byte (unaligned) address; 3 elements (the tail only)") {
  varstar::Generator gen(183);
  const auto dropout_at = [&gen](uint64_t offset) {
    return [&gen, offset](const auto& in) {
      gen.set_state(183, offset);
      return varstar::dropout(in[0], 0.3, true, gen);
    };
  };
  check_parity(dropout_at(2), {random_f32({1001}, 184)}, {}, kDropoutExactTolerance, kDropoutExactTolerance);
  check_parity(dropout_at(7), {random_f32({3, 5}, 185)}, {}, kDropoutExactTolerance, kDropoutExactTolerance);
  check_parity(dropout_at(0), {random_f32({3}, 186)}, {}, kDropoutExactTolerance, kDropoutExactTolerance);
  // A view one float into its storage: contiguous, so the kernel sees a pointer 4 bytes past 16-byte alignment.
  check_parity(
      [&gen](const auto& in) {
        gen.set_state(183, 4);
        return varstar::dropout(in[0].slice(0, 1, 1002), 0.3, true, gen);
      },
      {random_f32({1002}, 187)}, {}, kDropoutExactTolerance, kDropoutExactTolerance);
}
PARITY(lstm, "B=1, T=1; B=5, T=4, I=1, H=33; every LSTM kernel (sample-local falls back)") {
  vtest::for_each_lstm_path(vtest::SampleLocal::falls_back, [] {
    check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                 {random_f32({1, 1, 3}, 140), random_f32({4 * 2, 3}, 141), random_f32({4 * 2, 2}, 142),
                  random_f32({4 * 2}, 143), random_f32({4 * 2}, 144)});
    const int64_t H = 33;
    check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                 {random_f32({5, 4, 1}, 145), random_f32({4 * H, 1}, 146, -0.5, 0.5), random_f32({4 * H, H}, 147, -0.3, 0.3),
                  random_f32({4 * H}, 148), random_f32({4 * H}, 149)});
  });
}
PARITY(lstm, "the thesis layers: B=4, T=89, 256 -> 64 and 64 -> 128; every LSTM kernel") {
  vtest::for_each_lstm_path(vtest::SampleLocal::runs, [] {
    check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                 {random_f32({4, 89, 256}, 150), random_f32({256, 256}, 151, -0.125, 0.125),
                  random_f32({256, 64}, 152, -0.125, 0.125), random_f32({256}, 153, -0.125, 0.125),
                  random_f32({256}, 154, -0.125, 0.125)},
                 {}, 1e-3, 1e-4);
  });
  vtest::for_each_lstm_path(vtest::SampleLocal::runs_if_room, [] {
    check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
                 {random_f32({4, 89, 64}, 155), random_f32({512, 64}, 156, -0.088, 0.088),
                  random_f32({512, 128}, 157, -0.088, 0.088), random_f32({512}, 158, -0.088, 0.088),
                  random_f32({512}, 159, -0.088, 0.088)},
                 {}, 1e-3, 1e-4);
  });
}
// Sample-local kernels on the hidden sizes they take: batches that are not a
// multiple of the samples per block (the last block holds 1 to 3 samples),
// one sample, one step; same tolerances as the thesis layers (an indexing
// error is off by 1e-2 or more).
constexpr double kLstmRelTolerance = 1e-3;
constexpr double kLstmAbsTolerance = 1e-4;
void check_lstm_parity(int64_t B, int64_t T, int64_t I, int64_t H, uint64_t seed) {
  CAPTURE(B);
  CAPTURE(T);
  CAPTURE(H);
  const double bound = 1.0 / std::sqrt(static_cast<double>(H));
  check_parity([](const auto& in) { return varstar::lstm(in[0], in[1], in[2], in[3], in[4]); },
               {random_f32({B, T, I}, seed), random_f32({4 * H, I}, seed + 1, -bound, bound),
                random_f32({4 * H, H}, seed + 2, -bound, bound), random_f32({4 * H}, seed + 3, -bound, bound),
                random_f32({4 * H}, seed + 4, -bound, bound)},
               {}, kLstmRelTolerance, kLstmAbsTolerance);
}
PARITY(lstm, "H=64 and H=128 with B=5, B=3, B=1 and T=1; every LSTM kernel (sample-local runs)") {
  vtest::for_each_lstm_path(vtest::SampleLocal::runs, [] { check_lstm_parity(5, 6, 7, 64, 180); });
  vtest::for_each_lstm_path(vtest::SampleLocal::runs, [] { check_lstm_parity(1, 1, 3, 64, 185); });
  vtest::for_each_lstm_path(vtest::SampleLocal::runs_if_room, [] { check_lstm_parity(3, 5, 7, 128, 190); });
  vtest::for_each_lstm_path(vtest::SampleLocal::runs_if_room, [] { check_lstm_parity(1, 1, 2, 128, 195); });
}
PARITY(batch_norm, "N=1 with a spatial axis; (N, C) input") {
  check_parity([](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
               {random_f32({1, 3, 37}, 160), random_f32({3}, 161, 0.5, 1.5), random_f32({3}, 162)});
  check_parity([](const auto& in) { return varstar::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); },
               {random_f32({7, 4}, 163), random_f32({4}, 164, 0.5, 1.5), random_f32({4}, 165)});
}
PARITY(log_softmax, "(1, 1), (3, 129), (5, 1500) (one pass, no registers) and 300 rows (38 blocks)") {
  check_parity([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_f32({1, 1}, 166)});
  check_parity([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_f32({3, 129}, 167, -5, 5)});
  check_parity([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_f32({5, 1500}, 168, -5, 5)});
  check_parity([](const auto& in) { return varstar::log_softmax(in[0]); }, {random_f32({300, 7}, 169, -5, 5)});
}
PARITY(cross_entropy, "one sample; 300 samples without weights") {
  const Tensor one = Tensor::from_vector(std::vector<int32_t>{2}, {1});
  check_parity(
      [&](const auto& in) { return varstar::cross_entropy(in[0], one.to(in[0].device())); },
      {random_f32({1, 3}, 168)});
  std::vector<int32_t> t(300);
  for (int i = 0; i < 300; ++i) t[i] = (i * 11) % 7;
  const Tensor targets = Tensor::from_vector(t, {300});
  check_parity([&](const auto& in) { return varstar::cross_entropy(in[0], targets.to(in[0].device())); },
               {random_f32({300, 7}, 169, -3, 3)});
}
// CUDA cross-entropy (kernels/cuda/softmax.cu): a warp per row, the row in
// registers for C <= 1024 (1, 2, 4, 8, 16 or 32 values per lane), one pass
// with a running max and sum above; up to 32 rows one block that writes the
// loss sums, more rows blocks of 8 rows and a second launch over the blocks'
// partial sums.
void check_cross_entropy(int64_t n, int64_t c, bool weighted, uint64_t seed) {
  CAPTURE(n);
  CAPTURE(c);
  CAPTURE(weighted);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[static_cast<size_t>(i)] = static_cast<int32_t>((i * 13 + 5) % c);
  const Tensor targets = Tensor::from_vector(t, {n});
  const Tensor weights = random_f32({c}, seed + 1, 0.25, 2.0);
  check_parity(
      [&](const auto& in) {
        const varstar::Device d = in[0].device();
        return varstar::cross_entropy(in[0], targets.to(d), weighted ? weights.to(d) : Tensor());
      },
      {random_f32({n, c}, seed, -4, 4)});
}
PARITY(cross_entropy, "2051 samples (257 blocks of partial sums), 37 classes; 32 and 33 samples; every register "
                      "width; C > 1024") {
  check_cross_entropy(2051, 37, true, 188);
  check_cross_entropy(2051, 37, false, 190);
  check_cross_entropy(32, 10, true, 192);  // the networks' batch: one block
  check_cross_entropy(33, 10, true, 194);  // one row more: 5 blocks and the partial sums
  for (int64_t c : {33, 100, 255, 500, 1000, 1024, 1025, 3001}) check_cross_entropy(41, c, true, 196 + 2 * c);
  check_cross_entropy(7, 1500, false, 198);  // one pass, one block
  check_cross_entropy(5, 700, true, 200);    // one block of 1,024 threads: one pass (64 registers a thread)
  check_cross_entropy(5, 400, true, 202);    // 16 per lane, one block
}
PARITY(cat, "along the first and the last dimension, batch 1") {
  check_parity([](const auto& in) { return varstar::cat({in[0], in[1]}, 0); }, {random_f32({1, 5}, 170), random_f32({3, 5}, 171)});
  check_parity([](const auto& in) { return varstar::cat({in[0], in[1]}, -1); }, {random_f32({2, 1, 3}, 172), random_f32({2, 1, 34}, 173)});
}
