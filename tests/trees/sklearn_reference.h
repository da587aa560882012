#pragma once
// scikit-learn's HistGradientBoostingClassifier on the same rows, through
// tests/reference/sklearn_trees.py (one thread, so that its sums run in
// the same order as ours).
#include <vector>

#include "tests/python_reference.h"
#include "trees/boosted_trees.h"

namespace varstar::test {

inline nlohmann::json rows_json(const std::vector<float>& x, int64_t n_features) {
  nlohmann::json m = nlohmann::json::array();
  for (size_t i = 0; i < x.size(); i += static_cast<size_t>(n_features))
    m.push_back(std::vector<float>(x.begin() + static_cast<int64_t>(i), x.begin() + static_cast<int64_t>(i) + n_features));
  return m;
}

// {"edges": per feature, "leaves": per round and tree, "probabilities": per test row}.
inline nlohmann::json sklearn_trees(const std::vector<float>& x_train, const std::vector<int32_t>& y_train,
                                    const std::vector<float>& x_test, int64_t n_features,
                                    const trees::BoostingOptions& o) {
  return python_reference("sklearn_trees.py", "",
                          {{"x_train", rows_json(x_train, n_features)},
                           {"y_train", y_train},
                           {"x_test", rows_json(x_test, n_features)},
                           {"options", o.to_json()}},
                          "OMP_NUM_THREADS=1");
}

}  // namespace varstar::test
