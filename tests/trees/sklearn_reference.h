#pragma once
// scikit-learn's HistGradientBoostingClassifier on the same rows, through
// tests/reference/sklearn_trees.py (one thread, so that its sums run in
// the same order as ours).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  const std::string input = fmt::format("/tmp/varstar_trees_{}.json", getpid());
  std::ofstream(input) << nlohmann::json{{"x_train", rows_json(x_train, n_features)},
                                         {"y_train", y_train},
                                         {"x_test", rows_json(x_test, n_features)},
                                         {"options", o.to_json()}}.dump();
  const std::string cmd = fmt::format("OMP_NUM_THREADS=1 '{}' '{}/tests/reference/sklearn_trees.py' < '{}'",
                                      VARSTAR_PYTHON_EXECUTABLE, VARSTAR_SOURCE_ROOT, input);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  std::remove(input.c_str());
  REQUIRE_MESSAGE(!out.empty(), "scikit-learn reference produced nothing: " << cmd);
  return nlohmann::json::parse(out);
}

inline bool sklearn_importable() {
  const std::string probe = std::string("'") + VARSTAR_PYTHON_EXECUTABLE + "' -c 'import sklearn' 2>/dev/null";
  return std::system(probe.c_str()) == 0;
}

}  // namespace varstar::test
