#pragma once
// Cross-validation folds over the rows of a (balanced) data set.
//   kfold:            scikit-learn KFold(k, shuffle, random_state=seed), exactly:
//                     arange(n) shuffled by RandomState(seed), cut into k
//                     consecutive test blocks, the first n % k one larger.
//                     The thesis: KFold(5, shuffle=True, random_state=42).
//   stratified_kfold: scikit-learn StratifiedKFold(k, shuffle, random_state=seed)
//                     (1.x algorithm): classes encoded by first appearance, each
//                     class's per-fold counts from a round robin over the sorted
//                     labels, the fold numbers of each class shuffled in turn by
//                     one RandomState(seed) and assigned to its rows in order.
//                     The recommended default: every fold keeps the class mix.
// Train and test indices are sorted ascending (as sklearn returns them).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace varstar::data {

struct Fold {
  std::vector<int64_t> train;  // sorted
  std::vector<int64_t> test;   // sorted
};

enum class FoldMethod { thesis, stratified };
FoldMethod parse_fold_method(std::string_view text);  // "thesis" | "stratified"
std::string_view to_string(FoldMethod m);

std::vector<Fold> kfold(int64_t n, int32_t k, bool shuffle, uint32_t seed);
// labels: (n) class of each row (any non-negative codes).
std::vector<Fold> stratified_kfold(const std::vector<int32_t>& labels, int32_t k, bool shuffle, uint32_t seed);

// The test fold of each row: (n).
std::vector<int32_t> test_fold_of(const std::vector<Fold>& folds, int64_t n);

// Throws Error unless every fold's train and test are disjoint, sorted, within
// [0, n), together cover [0, n), and every row is in exactly one test set.
void check_folds(const std::vector<Fold>& folds, int64_t n);

// {"k":.., "method":.., "seed":.., "folds":[{"train":[..],"test":[..]}]}.
nlohmann::json folds_json(const std::vector<Fold>& folds, FoldMethod method, uint32_t seed);

}  // namespace varstar::data
