// Times BoostedTrees::fit and predict_proba on a data set written by
// bench/trees_vs_sklearn.py (not a test): best of REPEATS, then the test
// rows' probabilities, so that the script can check them against scikit-learn.
//   varstar_trees_bench X_TRAIN.f32 Y_TRAIN.i32 X_TEST.f32 N_FEATURES N_CLASSES REPEATS OUT_PROBABILITIES.f64
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "trees/boosted_trees.h"

namespace {

template <typename T>
std::vector<T> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s X_TRAIN.f32 Y_TRAIN.i32 X_TEST.f32 N_FEATURES N_CLASSES REPEATS OUT.f64\n", argv[0]);
    return 2;
  }
  const auto x = read_all<float>(argv[1]);
  const auto y = read_all<int32_t>(argv[2]);
  const auto x_test = read_all<float>(argv[3]);
  const int64_t n_features = std::atoll(argv[4]);
  const int n_classes = std::atoi(argv[5]), repeats = std::atoi(argv[6]);
  using clock = std::chrono::steady_clock;
  double fit_s = 1e30, predict_s = 1e30;
  std::vector<double> p;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = clock::now();
    const auto model = varstar::trees::BoostedTrees::fit(x, n_features, y, n_classes);
    const auto t1 = clock::now();
    p = model.predict_proba(x_test);
    const auto t2 = clock::now();
    fit_s = std::min(fit_s, std::chrono::duration<double>(t1 - t0).count());
    predict_s = std::min(predict_s, std::chrono::duration<double>(t2 - t1).count());
  }
  std::ofstream(argv[7], std::ios::binary).write(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(double));
  std::printf("{\"fit_s\": %.6f, \"predict_s\": %.6f}\n", fit_s, predict_s);
  return 0;
}
