// Histogram gradient boosting (see boosted_trees.h). The growth follows
// scikit-learn's TreeGrower step for step, so that its trees are ours:
// float32 gradients and hessians, float64 histogram sums, the smaller child's
// histogram built and its sibling's obtained by subtraction, a node's gain
// measured against its own (parent-given) value, the best-gain leaf split
// first until max_leaves.
#include "trees/boosted_trees.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.h"
#include "engine/json_int.h"

namespace varstar::trees {

namespace {

constexpr double kMinHessianToSplit = 1e-3;  // scikit-learn's TreeGrower default
constexpr int kMaxBinsPerFeature = 256;      // 255 value bins fit a uint8_t

double node_value(double sum_gradient, double sum_hessian, double l2) {
  return -sum_gradient / (sum_hessian + l2 + 1e-15);
}

struct HistogramBin {
  double gradient = 0, hessian = 0;
  uint32_t count = 0;
};

// The features of the training rows, binned, one column per feature.
struct BinnedData {
  int64_t rows = 0, features = 0;
  std::vector<uint8_t> bins;                // (features, rows)
  std::vector<std::vector<double>> edges;   // per feature
  const uint8_t* column(int64_t f) const { return bins.data() + f * rows; }
  int n_bins(int64_t f) const { return static_cast<int>(edges[f].size()) + 1; }
};

BinnedData bin_features(std::span<const float> x, int64_t n_features, int max_bins) {
  BinnedData d;
  d.features = n_features;
  d.rows = static_cast<int64_t>(x.size()) / n_features;
  d.bins.resize(x.size());
  std::vector<double> column(static_cast<size_t>(d.rows));
  for (int64_t f = 0; f < n_features; ++f) {
    for (int64_t i = 0; i < d.rows; ++i) column[i] = x[i * n_features + f];
    d.edges.push_back(bin_edges(column, max_bins));
    uint8_t* out = d.bins.data() + f * d.rows;
    for (int64_t i = 0; i < d.rows; ++i) out[i] = static_cast<uint8_t>(bin_of(d.edges[f], column[i]));
  }
  return d;
}

struct Split {
  double gain = -1;
  int feature = -1, bin = 0;
  double gradient_left = 0, hessian_left = 0, gradient_right = 0, hessian_right = 0;
  uint32_t n_left = 0, n_right = 0;
  double value_left = 0, value_right = 0;
};

// One node while its tree grows: its rows are partition[start, stop).
struct GrowingNode {
  uint32_t start = 0, stop = 0;
  double sum_gradient = 0, sum_hessian = 0, value = 0;
  int32_t index = 0;                   // in the tree's nodes
  std::vector<HistogramBin> histogram; // (features, kMaxBinsPerFeature); empty once not needed
  Split split;
  uint32_t rows() const { return stop - start; }
};

class TreeGrower {
 public:
  TreeGrower(const BinnedData& data, const float* gradients, const float* hessians, const BoostingOptions& o)
      : data_(data), gradients_(gradients), hessians_(hessians), options_(o),
        partition_(static_cast<size_t>(data.rows)) {
    for (uint32_t i = 0; i < partition_.size(); ++i) partition_[i] = i;
  }

  // Grows the tree and adds each leaf's value to raw[row * stride] of its rows.
  Tree grow(double* raw, int64_t stride) {
    GrowingNode root;
    root.stop = static_cast<uint32_t>(data_.rows);
    for (int64_t i = 0; i < data_.rows; ++i) {
      root.sum_gradient += gradients_[i];
      root.sum_hessian += hessians_[i];
    }
    tree_.nodes.emplace_back();
    if (root.rows() < 2u * static_cast<uint32_t>(options_.min_samples_leaf) || root.sum_hessian < kMinHessianToSplit) {
      finish_leaf(root);
    } else {
      root.histogram = build_histogram(root);
      find_split_or_finish(std::move(root));
    }
    while (!splittable_.empty()) split_best();
    for (const GrowingNode& leaf : leaves_)
      for (uint32_t i = leaf.start; i < leaf.stop; ++i) raw[partition_[i] * stride] += tree_.nodes[leaf.index].value;
    return std::move(tree_);
  }

 private:
  std::vector<HistogramBin> build_histogram(const GrowingNode& node) const {
    std::vector<HistogramBin> h(static_cast<size_t>(data_.features * kMaxBinsPerFeature));
    for (int64_t f = 0; f < data_.features; ++f) {
      const uint8_t* bins = data_.column(f);
      HistogramBin* out = h.data() + f * kMaxBinsPerFeature;
      for (uint32_t i = node.start; i < node.stop; ++i) {
        const uint32_t row = partition_[i];
        HistogramBin& b = out[bins[row]];
        b.gradient += gradients_[row];
        b.hessian += hessians_[row];
        ++b.count;
      }
    }
    return h;
  }

  // The best split of one feature's bins, scanning left to right.
  Split best_split_of_feature(const GrowingNode& node, int64_t f) const {
    Split best;
    best.feature = static_cast<int>(f);
    const HistogramBin* bins = node.histogram.data() + f * kMaxBinsPerFeature;
    const uint32_t min_leaf = static_cast<uint32_t>(options_.min_samples_leaf);
    const double loss_of_node = node.sum_gradient * node.value;
    double gradient_left = 0, hessian_left = 0;
    uint32_t n_left = 0;
    for (int b = 0; b < data_.n_bins(f) - 1; ++b) {
      n_left += bins[b].count;
      const uint32_t n_right = node.rows() - n_left;
      hessian_left += bins[b].hessian;
      const double hessian_right = node.sum_hessian - hessian_left;
      gradient_left += bins[b].gradient;
      const double gradient_right = node.sum_gradient - gradient_left;
      if (n_left < min_leaf) continue;
      if (n_right < min_leaf) break;
      if (hessian_left < kMinHessianToSplit) continue;
      if (hessian_right < kMinHessianToSplit) break;
      const double value_left = node_value(gradient_left, hessian_left, options_.l2_regularization);
      const double value_right = node_value(gradient_right, hessian_right, options_.l2_regularization);
      double gain = loss_of_node;
      gain -= gradient_left * value_left;
      gain -= gradient_right * value_right;
      if (gain > best.gain && gain > 0) {
        best.gain = gain;
        best.bin = b;
        best.gradient_left = gradient_left;
        best.hessian_left = hessian_left;
        best.n_left = n_left;
      }
    }
    if (best.gain > 0) {
      best.gradient_right = node.sum_gradient - best.gradient_left;
      best.hessian_right = node.sum_hessian - best.hessian_left;
      best.n_right = node.rows() - best.n_left;
      best.value_left = node_value(best.gradient_left, best.hessian_left, options_.l2_regularization);
      best.value_right = node_value(best.gradient_right, best.hessian_right, options_.l2_regularization);
    }
    return best;
  }

  void find_split_or_finish(GrowingNode node) {
    Split best = best_split_of_feature(node, 0);
    for (int64_t f = 1; f < data_.features; ++f) {
      Split s = best_split_of_feature(node, f);
      if (s.gain > best.gain) best = s;
    }
    node.split = best;
    if (best.gain <= 0) {
      finish_leaf(std::move(node));
      return;
    }
    heap_push(std::move(node));
  }

  void finish_leaf(GrowingNode node) {
    tree_.nodes[node.index].value = node.value * options_.learning_rate;
    node.histogram = {};
    leaves_.push_back(std::move(node));
  }

  // The splittable nodes form a binary heap, largest gain on top, kept with
  // the sift rules of Python's heapq: among equal gains the node split first
  // is then the one scikit-learn splits first.
  static bool before(const GrowingNode& a, const GrowingNode& b) { return a.split.gain > b.split.gain; }
  void sift_down(size_t start, size_t pos) {
    GrowingNode item = std::move(splittable_[pos]);
    while (pos > start) {
      const size_t parent = (pos - 1) / 2;
      if (!before(item, splittable_[parent])) break;
      splittable_[pos] = std::move(splittable_[parent]);
      pos = parent;
    }
    splittable_[pos] = std::move(item);
  }
  void heap_push(GrowingNode node) {
    splittable_.push_back(std::move(node));
    sift_down(0, splittable_.size() - 1);
  }
  GrowingNode heap_pop() {
    GrowingNode last = std::move(splittable_.back());
    splittable_.pop_back();
    if (splittable_.empty()) return last;
    GrowingNode top = std::move(splittable_[0]);
    splittable_[0] = std::move(last);
    const size_t end = splittable_.size();
    size_t pos = 0, child = 1;
    GrowingNode item = std::move(splittable_[0]);
    while (child < end) {
      if (child + 1 < end && !before(splittable_[child], splittable_[child + 1])) ++child;
      splittable_[pos] = std::move(splittable_[child]);
      pos = child;
      child = 2 * pos + 1;
    }
    splittable_[pos] = std::move(item);
    sift_down(0, pos);
    return top;
  }

  // Splits the node of largest gain.
  void split_best() {
    GrowingNode node = heap_pop();
    const Split& s = node.split;

    const uint8_t* bins = data_.column(s.feature);
    const auto middle = std::stable_partition(partition_.begin() + node.start, partition_.begin() + node.stop,
                                              [&](uint32_t row) { return bins[row] <= s.bin; });
    const uint32_t split_at = static_cast<uint32_t>(middle - partition_.begin());

    GrowingNode left, right;
    left.start = node.start;
    left.stop = right.start = split_at;
    right.stop = node.stop;
    left.sum_gradient = s.gradient_left;
    left.sum_hessian = s.hessian_left;
    left.value = s.value_left;
    right.sum_gradient = s.gradient_right;
    right.sum_hessian = s.hessian_right;
    right.value = s.value_right;
    left.index = static_cast<int32_t>(tree_.nodes.size());
    right.index = left.index + 1;
    TreeNode& parent = tree_.nodes[node.index];
    parent.feature = s.feature;
    parent.threshold = data_.edges[s.feature][s.bin];
    parent.left = left.index;
    parent.right = right.index;
    tree_.nodes.resize(tree_.nodes.size() + 2);

    const size_t leaves_now = leaves_.size() + splittable_.size() + 2;
    if (leaves_now == static_cast<size_t>(options_.max_leaves)) {
      finish_leaf(std::move(left));
      finish_leaf(std::move(right));
      for (GrowingNode& n : splittable_) finish_leaf(std::move(n));
      splittable_.clear();
      return;
    }
    const uint32_t min_rows = 2u * static_cast<uint32_t>(options_.min_samples_leaf);
    const bool split_left = left.rows() >= min_rows, split_right = right.rows() >= min_rows;
    if (split_left || split_right) {
      GrowingNode& smaller = left.rows() < right.rows() ? left : right;
      GrowingNode& larger = left.rows() < right.rows() ? right : left;
      smaller.histogram = build_histogram(smaller);
      larger.histogram = std::move(node.histogram);
      for (size_t i = 0; i < larger.histogram.size(); ++i) {
        larger.histogram[i].gradient -= smaller.histogram[i].gradient;
        larger.histogram[i].hessian -= smaller.histogram[i].hessian;
        larger.histogram[i].count -= smaller.histogram[i].count;
      }
    }
    if (split_left) find_split_or_finish(std::move(left));
    else finish_leaf(std::move(left));
    if (split_right) find_split_or_finish(std::move(right));
    else finish_leaf(std::move(right));
  }

  const BinnedData& data_;
  const float* gradients_;
  const float* hessians_;
  const BoostingOptions& options_;
  std::vector<uint32_t> partition_;
  std::vector<GrowingNode> splittable_, leaves_;
  Tree tree_;
};

void check_finite(std::span<const float> x, int64_t n_features, const char* what) {
  for (size_t i = 0; i < x.size(); ++i)
    VARSTAR_CHECK(std::isfinite(x[i]), "{}: feature {} of row {} is {} (boosted trees take finite values only)", what,
                  static_cast<int64_t>(i) % n_features, static_cast<int64_t>(i) / n_features, x[i]);
}

}  // namespace

void BoostingOptions::validate() const {
  VARSTAR_CHECK(rounds >= 1, "boosted trees: rounds must be at least 1 (got {})", rounds);
  VARSTAR_CHECK(learning_rate > 0, "boosted trees: the learning rate must be positive (got {})", learning_rate);
  VARSTAR_CHECK(max_leaves >= 2, "boosted trees: max_leaves must be at least 2 (got {})", max_leaves);
  VARSTAR_CHECK(min_samples_leaf >= 1, "boosted trees: min_samples_leaf must be at least 1 (got {})", min_samples_leaf);
  VARSTAR_CHECK(l2_regularization >= 0, "boosted trees: l2_regularization must be >= 0 (got {})", l2_regularization);
  VARSTAR_CHECK(max_bins >= 2 && max_bins < kMaxBinsPerFeature, "boosted trees: max_bins must be 2..255 (got {})",
                max_bins);
}

nlohmann::json BoostingOptions::to_json() const {
  return {{"rounds", rounds},
          {"learning_rate", learning_rate},
          {"max_leaves", max_leaves},
          {"min_samples_leaf", min_samples_leaf},
          {"l2_regularization", l2_regularization},
          {"max_bins", max_bins}};
}

BoostingOptions BoostingOptions::from_json(const nlohmann::json& j) {
  BoostingOptions o;
  o.rounds = j.value("rounds", o.rounds);
  o.learning_rate = j.value("learning_rate", o.learning_rate);
  o.max_leaves = j.value("max_leaves", o.max_leaves);
  o.min_samples_leaf = j.value("min_samples_leaf", o.min_samples_leaf);
  o.l2_regularization = j.value("l2_regularization", o.l2_regularization);
  o.max_bins = j.value("max_bins", o.max_bins);
  return o;
}

std::vector<double> bin_edges(std::vector<double> column, int max_bins) {
  std::sort(column.begin(), column.end());
  std::vector<double> distinct = column;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<double> edges;
  if (static_cast<int64_t>(distinct.size()) <= max_bins) {
    for (size_t i = 0; i + 1 < distinct.size(); ++i) edges.push_back((distinct[i] + distinct[i + 1]) * 0.5);
    return edges;
  }
  // NumPy's percentile(method="midpoint") at np.linspace(0, 100, max_bins + 1)[1:-1].
  const int64_t n = static_cast<int64_t>(column.size());
  const double step = 100.0 / max_bins;
  for (int k = 1; k < max_bins; ++k) {
    const double q = (k * step) / 100.0;
    const double position = static_cast<double>(n - 1) * q;
    const double index = 0.5 * (std::floor(position) + std::ceil(position));
    const int64_t below = static_cast<int64_t>(std::floor(index));
    const int64_t above = std::min(below + 1, n - 1);
    if (index == std::floor(index)) {
      edges.push_back(column[below]);
    } else {
      const double a = column[below], b = column[above];
      edges.push_back(b - (b - a) * 0.5);
    }
  }
  return edges;
}

int bin_of(std::span<const double> edges, double v) {
  return static_cast<int>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
}

double Tree::predict(const float* x) const {
  int32_t i = 0;
  while (nodes[i].feature >= 0) i = x[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left : nodes[i].right;
  return nodes[i].value;
}

int Tree::leaves() const {
  return static_cast<int>(std::count_if(nodes.begin(), nodes.end(), [](const TreeNode& n) { return n.feature < 0; }));
}

BoostedTrees BoostedTrees::fit(std::span<const float> x, int64_t n_features, std::span<const int32_t> labels,
                               int n_classes, const BoostingOptions& options) {
  options.validate();
  VARSTAR_CHECK(n_features >= 1, "boosted trees need at least one feature");
  VARSTAR_CHECK(n_classes >= 2, "boosted trees need at least two classes (got {})", n_classes);
  const int64_t n = static_cast<int64_t>(labels.size());
  VARSTAR_CHECK(n >= 1 && static_cast<int64_t>(x.size()) == n * n_features,
                "boosted trees: {} values for {} rows of {} features", x.size(), n, n_features);
  for (int64_t i = 0; i < n; ++i)
    VARSTAR_CHECK(labels[i] >= 0 && labels[i] < n_classes, "boosted trees: row {} has label {}, not in 0..{}", i,
                  labels[i], n_classes - 1);
  check_finite(x, n_features, "boosted trees (training)");

  BoostedTrees model;
  model.options_ = options;
  model.n_classes_ = n_classes;
  model.n_features_ = n_features;
  const BinnedData data = bin_features(x, n_features, options.max_bins);

  // The intercept-only model: class shares, clipped away from 0 and 1, as raw scores.
  std::vector<double> share(static_cast<size_t>(n_classes), 0.0);
  for (int32_t y : labels) share[y] += 1;
  const double eps = std::numeric_limits<double>::epsilon();
  for (double& p : share) p = std::clamp(p / static_cast<double>(n), eps, 1 - eps);
  const int per_round = n_classes == 2 ? 1 : n_classes;
  if (per_round == 1) {
    model.baseline_ = {std::log(share[1] / (1 - share[1]))};
  } else {
    double mean_log = 0;
    for (double p : share) mean_log += std::log(p);
    const double geometric_mean = std::exp(mean_log / n_classes);
    for (double p : share) model.baseline_.push_back(std::log(p / geometric_mean));
  }

  std::vector<double> raw(static_cast<size_t>(n * per_round));
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < per_round; ++k) raw[i * per_round + k] = model.baseline_[k];
  std::vector<float> gradients(raw.size()), hessians(raw.size());  // (per_round, n)
  std::vector<double> p(static_cast<size_t>(per_round));
  for (int r = 0; r < options.rounds; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      const double* z = raw.data() + i * per_round;
      if (per_round == 1) {  // logistic loss on the raw score of class 1
        const double y = labels[i] == 1 ? 1.0 : 0.0;
        double g, h;
        if (z[0] > -37) {
          const double e = std::exp(-z[0]);
          g = ((1 - y) - y * e) / (1 + e);
          h = e / ((1 + e) * (1 + e));
        } else {
          const double e = std::exp(z[0]);
          g = e - y;
          h = e;
        }
        gradients[i] = static_cast<float>(g);
        hessians[i] = static_cast<float>(h);
        continue;
      }
      const double top = *std::max_element(z, z + per_round);
      double sum = 0;
      for (int k = 0; k < per_round; ++k) sum += p[k] = std::exp(z[k] - top);
      for (int k = 0; k < per_round; ++k) {
        p[k] /= sum;
        gradients[k * n + i] = static_cast<float>(p[k] - (labels[i] == k ? 1.0 : 0.0));
        hessians[k * n + i] = static_cast<float>(p[k] * (1.0 - p[k]));
      }
    }
    std::vector<Tree>& round = model.rounds_.emplace_back();
    for (int k = 0; k < per_round; ++k) {
      TreeGrower grower(data, gradients.data() + k * n, hessians.data() + k * n, options);
      round.push_back(grower.grow(raw.data() + k, per_round));
    }
  }
  return model;
}

std::vector<double> BoostedTrees::predict_proba(std::span<const float> x) const {
  VARSTAR_CHECK(static_cast<int64_t>(x.size()) % n_features_ == 0,
                "boosted trees: {} values are not rows of {} features", x.size(), n_features_);
  check_finite(x, n_features_, "boosted trees (prediction)");
  const int64_t n = static_cast<int64_t>(x.size()) / n_features_;
  const int per_round = static_cast<int>(baseline_.size());
  std::vector<double> raw(static_cast<size_t>(n * per_round));
  for (int64_t i = 0; i < n; ++i) std::copy(baseline_.begin(), baseline_.end(), raw.begin() + i * per_round);
  for (const auto& round : rounds_)  // a tree over every row while its nodes are in cache
    for (int k = 0; k < per_round; ++k)
      for (int64_t i = 0; i < n; ++i) raw[i * per_round + k] += round[k].predict(x.data() + i * n_features_);
  std::vector<double> out(static_cast<size_t>(n * n_classes_));
  for (int64_t i = 0; i < n; ++i) {
    const double* z = raw.data() + i * per_round;
    double* o = out.data() + i * n_classes_;
    if (per_round == 1) {
      o[1] = 1.0 / (1.0 + std::exp(-z[0]));
      o[0] = 1.0 - o[1];
      continue;
    }
    const double top = *std::max_element(z, z + per_round);
    double sum = 0;
    for (int k = 0; k < n_classes_; ++k) sum += o[k] = std::exp(z[k] - top);
    for (int k = 0; k < n_classes_; ++k) o[k] /= sum;
  }
  return out;
}

nlohmann::json BoostedTrees::to_json() const {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& round : rounds_) {
    nlohmann::json trees = nlohmann::json::array();
    for (const Tree& t : round) {
      nlohmann::json feature, threshold, left, right, value;
      for (const TreeNode& node : t.nodes) {
        feature.push_back(node.feature);
        threshold.push_back(node.threshold);
        left.push_back(node.left);
        right.push_back(node.right);
        value.push_back(node.value);
      }
      trees.push_back(
          {{"feature", feature}, {"threshold", threshold}, {"left", left}, {"right", right}, {"value", value}});
    }
    rounds.push_back(trees);
  }
  return {{"format", "varstar boosted trees"}, {"version", 1},          {"options", options_.to_json()},
          {"classes", n_classes_},             {"features", n_features_}, {"baseline", baseline_},
          {"rounds", rounds}};
}

BoostedTrees BoostedTrees::from_json(const nlohmann::json& j) {
  BoostedTrees m;
  try {
    VARSTAR_CHECK(j.value("format", std::string()) == "varstar boosted trees" && j.value("version", 0) == 1,
                  "not a varstar boosted-trees model (format {}, version {})", j.value("format", std::string("?")),
                  j.value("version", 0));
    m.options_ = BoostingOptions::from_json(j.at("options"));
    m.n_classes_ = json_integer<int>(j.at("classes"));
    m.n_features_ = json_integer<int64_t>(j.at("features"));
    m.baseline_ = j.at("baseline").get<std::vector<double>>();
    VARSTAR_CHECK(m.n_classes_ >= 2 && m.n_features_ >= 1, "{} classes and {} features", m.n_classes_, m.n_features_);
    const size_t per_round = m.n_classes_ == 2 ? 1 : static_cast<size_t>(m.n_classes_);
    VARSTAR_CHECK(m.baseline_.size() == per_round, "{} baseline scores for {} trees per round", m.baseline_.size(),
                  per_round);
    for (const auto& round : j.at("rounds")) {
      VARSTAR_CHECK(round.size() == per_round, "round {} has {} trees, not {}", m.rounds_.size() + 1, round.size(),
                    per_round);
      std::vector<Tree>& trees = m.rounds_.emplace_back();
      for (const auto& t : round) {
        const auto feature = json_integers<int32_t>(t.at("feature"));
        const auto threshold = t.at("threshold").get<std::vector<double>>();
        const auto left = json_integers<int32_t>(t.at("left")), right = json_integers<int32_t>(t.at("right"));
        const auto value = t.at("value").get<std::vector<double>>();
        const size_t nodes = feature.size();
        VARSTAR_CHECK(nodes >= 1 && threshold.size() == nodes && left.size() == nodes && right.size() == nodes &&
                          value.size() == nodes,
                      "round {}: a tree's node arrays differ in length", m.rounds_.size());
        Tree& tree = trees.emplace_back();
        for (size_t i = 0; i < nodes; ++i) {
          const bool leaf = feature[i] < 0;
          VARSTAR_CHECK(leaf || (feature[i] < m.n_features_ && left[i] > static_cast<int32_t>(i) &&
                                 right[i] > static_cast<int32_t>(i) && left[i] < static_cast<int32_t>(nodes) &&
                                 right[i] < static_cast<int32_t>(nodes)),
                        "round {}: node {} has feature {} and children {}, {} (of {} nodes)", m.rounds_.size(), i,
                        feature[i], left[i], right[i], nodes);
          tree.nodes.push_back({leaf ? -1 : feature[i], threshold[i], left[i], right[i], value[i]});
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("boosted-trees model: {}", e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("boosted-trees model: {}", e.what()));
  }
  return m;
}

}  // namespace varstar::trees
