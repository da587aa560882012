#pragma once
// Class balancing, as the thesis scripts do it, and class weights instead.
//   undersample_thesis: pandas
//     df.groupby('Type').apply(lambda x: x.sample(n=N, random_state=seed)
//                               if len(x) > N else x).reset_index(drop=True)
//   reproduced exactly: classes in byte-wise sorted order of their names
//   (label indices are assumed to follow that order, see classes.h); a class
//   with more than N rows contributes RandomState(seed).permutation(count)[:N]
//   of its rows (in input order), each class with a fresh RandomState(seed);
//   a class with at most N rows contributes all of them in input order.
//   This is the row order of pandas >= 2.0. (pandas 1.x keeps the input order
//   instead when no class exceeds N, i.e. when nothing is sampled.)
//   max_per_class = kKeepAll keeps every star (classes still grouped).
//   class weights: scikit-learn's compute_class_weight("balanced"),
//   n_samples / (n_classes * count_c); 0 for a class without samples.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace varstar::data {

inline constexpr int64_t kKeepAll = std::numeric_limits<int64_t>::max();

// labels: (n) class index of each row in [0, n_classes). Returns the kept row
// indices in the order of the balanced table.
std::vector<int64_t> undersample_thesis(const std::vector<int32_t>& labels, int32_t n_classes,
                                        int64_t max_per_class, uint32_t seed);

// counts: (n_classes). Weights per class.
std::vector<double> balanced_class_weights(const std::vector<int64_t>& counts);

// Rows per class. labels: (n).
std::vector<int64_t> class_counts(const std::vector<int32_t>& labels, int32_t n_classes);

// "all" -> kKeepAll, otherwise a positive integer.
int64_t parse_per_class(std::string_view text);

}  // namespace varstar::data
