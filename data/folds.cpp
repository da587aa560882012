// KFold and StratifiedKFold as scikit-learn computes them; see folds.h.
#include "data/folds.h"

#include <algorithm>

#include "data/numpy_random.h"
#include "engine/error.h"

namespace varstar::data {

namespace {

std::vector<Fold> folds_from_test_fold(const std::vector<int32_t>& test_fold, int32_t k) {
  std::vector<Fold> folds(static_cast<size_t>(k));
  for (size_t i = 0; i < test_fold.size(); ++i)
    for (int32_t f = 0; f < k; ++f)
      (test_fold[i] == f ? folds[f].test : folds[f].train).push_back(static_cast<int64_t>(i));
  return folds;
}

}  // namespace

FoldMethod parse_fold_method(std::string_view text) {
  if (text == "thesis" || text == "kfold") return FoldMethod::thesis;
  if (text == "stratified") return FoldMethod::stratified;
  throw Error(fmt::format("--fold-method must be thesis or stratified, not '{}'", text));
}

std::string_view to_string(FoldMethod m) { return m == FoldMethod::thesis ? "thesis" : "stratified"; }

std::vector<Fold> kfold(int64_t n, int32_t k, bool shuffle, uint32_t seed) {
  VARSTAR_CHECK(k >= 2, "k-fold needs at least 2 folds, got {}", k);
  VARSTAR_CHECK(n >= k, "cannot make {} folds of {} rows", k, n);
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) indices[static_cast<size_t>(i)] = i;
  if (shuffle) NumpyRandomState(seed).shuffle(std::span<int64_t>(indices));
  std::vector<int32_t> test_fold(static_cast<size_t>(n));
  int64_t start = 0;
  for (int32_t f = 0; f < k; ++f) {
    const int64_t size = n / k + (f < n % k ? 1 : 0);
    for (int64_t i = start; i < start + size; ++i) test_fold[static_cast<size_t>(indices[static_cast<size_t>(i)])] = f;
    start += size;
  }
  return folds_from_test_fold(test_fold, k);
}

std::vector<Fold> stratified_kfold(const std::vector<int32_t>& labels, int32_t k, bool shuffle, uint32_t seed) {
  VARSTAR_CHECK(k >= 2, "k-fold needs at least 2 folds, got {}", k);
  const size_t n = labels.size();
  VARSTAR_CHECK(static_cast<int64_t>(n) >= k, "cannot make {} folds of {} rows", k, n);
  // Encode classes by order of first appearance.
  std::vector<int32_t> code_of;  // label value -> code, -1 unseen
  std::vector<int32_t> encoded(n);
  int32_t n_classes = 0;
  for (size_t i = 0; i < n; ++i) {
    VARSTAR_CHECK(labels[i] >= 0, "negative class label {}", labels[i]);
    const size_t l = static_cast<size_t>(labels[i]);
    if (l >= code_of.size()) code_of.resize(l + 1, -1);
    if (code_of[l] < 0) code_of[l] = n_classes++;
    encoded[i] = code_of[l];
  }
  std::vector<int64_t> counts(static_cast<size_t>(n_classes), 0);
  for (int32_t c : encoded) ++counts[static_cast<size_t>(c)];
  VARSTAR_CHECK(*std::max_element(counts.begin(), counts.end()) >= k,
                "n_splits={} cannot be greater than the number of members in each class", k);
  // allocation[f][c]: members of class c at positions p of the sorted labels with p % k == f.
  std::vector<std::vector<int64_t>> allocation(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(n_classes), 0));
  int64_t p = 0;
  for (int32_t c = 0; c < n_classes; ++c)
    for (int64_t m = 0; m < counts[static_cast<size_t>(c)]; ++m, ++p) ++allocation[static_cast<size_t>(p % k)][static_cast<size_t>(c)];
  NumpyRandomState rng(seed);
  std::vector<int32_t> test_fold(n);
  std::vector<int64_t> folds_for_class;
  for (int32_t c = 0; c < n_classes; ++c) {
    folds_for_class.clear();
    for (int32_t f = 0; f < k; ++f)
      folds_for_class.insert(folds_for_class.end(), static_cast<size_t>(allocation[static_cast<size_t>(f)][static_cast<size_t>(c)]), f);
    if (shuffle) rng.shuffle(std::span<int64_t>(folds_for_class));
    size_t next = 0;
    for (size_t i = 0; i < n; ++i)
      if (encoded[i] == c) test_fold[i] = static_cast<int32_t>(folds_for_class[next++]);
  }
  return folds_from_test_fold(test_fold, k);
}

std::vector<int32_t> test_fold_of(const std::vector<Fold>& folds, int64_t n) {
  std::vector<int32_t> of(static_cast<size_t>(n), -1);
  for (size_t f = 0; f < folds.size(); ++f)
    for (int64_t i : folds[f].test) of[static_cast<size_t>(i)] = static_cast<int32_t>(f);
  return of;
}

void check_folds(const std::vector<Fold>& folds, int64_t n) {
  std::vector<int32_t> seen_test(static_cast<size_t>(n), 0);
  for (size_t f = 0; f < folds.size(); ++f) {
    std::vector<char> in(static_cast<size_t>(n), 0);
    for (const auto* part : {&folds[f].train, &folds[f].test}) {
      VARSTAR_CHECK(std::is_sorted(part->begin(), part->end()), "fold {}: indices not sorted", f);
      for (int64_t i : *part) {
        VARSTAR_CHECK(i >= 0 && i < n, "fold {}: index {} outside [0, {})", f, i, n);
        VARSTAR_CHECK(!in[static_cast<size_t>(i)], "fold {}: row {} is in both train and test (or twice)", f, i);
        in[static_cast<size_t>(i)] = 1;
      }
    }
    VARSTAR_CHECK(static_cast<int64_t>(folds[f].train.size() + folds[f].test.size()) == n,
                  "fold {}: train and test do not cover all {} rows", f, n);
    for (int64_t i : folds[f].test) ++seen_test[static_cast<size_t>(i)];
  }
  for (int64_t i = 0; i < n; ++i)
    VARSTAR_CHECK(seen_test[static_cast<size_t>(i)] == 1, "row {} is in {} test sets, expected 1", i, seen_test[static_cast<size_t>(i)]);
}

nlohmann::json folds_json(const std::vector<Fold>& folds, FoldMethod method, uint32_t seed) {
  nlohmann::json j;
  j["k"] = folds.size();
  j["method"] = method == FoldMethod::thesis ? "KFold(shuffle=True) as the thesis" : "StratifiedKFold(shuffle=True)";
  j["seed"] = seed;
  j["folds"] = nlohmann::json::array();
  for (const auto& f : folds) j["folds"].push_back({{"train", f.train}, {"test", f.test}});
  return j;
}

}  // namespace varstar::data
