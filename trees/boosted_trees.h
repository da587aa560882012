#pragma once
// Gradient-boosted decision trees on per-star features: the histogram
// algorithm of scikit-learn's HistGradientBoostingClassifier. Each feature is
// binned once at quantiles; each round fits one tree per class to the
// gradient and hessian of the softmax cross-entropy (one tree per round for
// two classes, on the logistic loss); trees grow leaf by leaf, the split of
// largest gain first, on the binned values. With the same options it grows
// the same trees as scikit-learn 1.2 without early stopping (tests/trees).
// No randomness: the same data give the same trees.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace varstar::trees {

struct BoostingOptions {
  int rounds = 100;              // scikit-learn's max_iter
  double learning_rate = 0.1;
  int max_leaves = 31;           // max_leaf_nodes
  int min_samples_leaf = 20;
  double l2_regularization = 0.0;
  int max_bins = 255;            // per feature, 2..255

  void validate() const;         // throws on a value out of range
  nlohmann::json to_json() const;
  static BoostingOptions from_json(const nlohmann::json& j);
};

// The bin edges of one feature (scikit-learn's rule): with at most max_bins
// distinct values, the midpoints between consecutive ones; otherwise NumPy's
// 'midpoint' percentiles at k * 100 / max_bins, k = 1 .. max_bins - 1.
// Value v falls in bin b when edges[b - 1] < v <= edges[b].
std::vector<double> bin_edges(std::vector<double> column, int max_bins);
int bin_of(std::span<const double> edges, double v);

struct TreeNode {
  int32_t feature = -1;          // -1: a leaf
  double threshold = 0;          // a value <= threshold goes to `left`
  int32_t left = -1, right = -1; // child indices, always after this node's
  double value = 0;              // a leaf's raw-score increment (learning rate applied)
};

struct Tree {
  std::vector<TreeNode> nodes;   // nodes[0] is the root
  double predict(const float* x) const;
  int leaves() const;
};

class BoostedTrees {
 public:
  // x: (rows, n_features) row-major, every value finite; labels in
  // [0, n_classes). A class without rows gets a probability near zero.
  static BoostedTrees fit(std::span<const float> x, int64_t n_features, std::span<const int32_t> labels,
                          int n_classes, const BoostingOptions& options = {});

  // (rows, n_classes) class probabilities, row-major.
  std::vector<double> predict_proba(std::span<const float> x) const;

  int n_classes() const { return n_classes_; }
  int64_t n_features() const { return n_features_; }
  const BoostingOptions& options() const { return options_; }
  // rounds()[r]: the trees of round r, one per class (one for two classes).
  const std::vector<std::vector<Tree>>& rounds() const { return rounds_; }
  const std::vector<double>& baseline() const { return baseline_; }

  nlohmann::json to_json() const;
  // Throws varstar::Error naming what is wrong (missing field, a child index
  // out of order, a feature out of range, ...).
  static BoostedTrees from_json(const nlohmann::json& j);

 private:
  BoostingOptions options_;
  int n_classes_ = 0;
  int64_t n_features_ = 0;
  std::vector<double> baseline_;  // raw score before any tree, per tree of a round
  std::vector<std::vector<Tree>> rounds_;
};

}  // namespace varstar::trees
