// Thesis under-sampling and balanced class weights; see balance.h.
#include "data/balance.h"

#include "data/csv.h"
#include "data/numpy_random.h"
#include "engine/error.h"

namespace varstar::data {

std::vector<int64_t> class_counts(const std::vector<int32_t>& labels, int32_t n_classes) {
  std::vector<int64_t> counts(static_cast<size_t>(n_classes), 0);
  for (int32_t l : labels) {
    VARSTAR_CHECK(l >= 0 && l < n_classes, "class index {} outside [0, {})", l, n_classes);
    ++counts[static_cast<size_t>(l)];
  }
  return counts;
}

std::vector<int64_t> undersample_thesis(const std::vector<int32_t>& labels, int32_t n_classes,
                                        int64_t max_per_class, uint32_t seed) {
  VARSTAR_CHECK(max_per_class > 0, "at most {} stars per class: must be positive", max_per_class);
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(n_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    VARSTAR_CHECK(labels[i] >= 0 && labels[i] < n_classes, "class index {} outside [0, {})", labels[i], n_classes);
    members[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> out;
  for (const auto& rows : members) {
    const int64_t count = static_cast<int64_t>(rows.size());
    if (count > max_per_class) {
      NumpyRandomState rng(seed);  // x.sample(n=N, random_state=seed): a fresh RandomState per group
      const std::vector<int64_t> perm = rng.permutation(count);
      for (int64_t k = 0; k < max_per_class; ++k) out.push_back(rows[static_cast<size_t>(perm[static_cast<size_t>(k)])]);
    } else {
      out.insert(out.end(), rows.begin(), rows.end());
    }
  }
  return out;
}

std::vector<double> balanced_class_weights(const std::vector<int64_t>& counts) {
  int64_t n = 0;
  for (int64_t c : counts) n += c;
  std::vector<double> w(counts.size(), 0.0);
  for (size_t c = 0; c < counts.size(); ++c)
    if (counts[c] > 0)
      w[c] = static_cast<double>(n) / (static_cast<double>(counts.size()) * static_cast<double>(counts[c]));
  return w;
}

int64_t parse_per_class(std::string_view text) {
  if (text == "all") return kKeepAll;
  int64_t n = 0;
  if (!parse_int64(text, n) || n <= 0)
    throw Error(fmt::format("--per-class must be a positive number or 'all', not '{}'", text));
  return n;
}

}  // namespace varstar::data
