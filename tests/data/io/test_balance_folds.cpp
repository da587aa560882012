// Balancing and folds without Python: hand-computed class weights and fold
// sizes, the properties the thesis protocol guarantees (at most N per class,
// classes grouped in name order, deterministic), stratification, and that no
// star is ever in both the training and the test set of a fold.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "data/balance.h"
#include "data/folds.h"
#include "data/numpy_random.h"
#include "engine/error.h"

using namespace varstar::data;

TEST_CASE("balanced class weights are n / (classes * count)") {
  const auto w = balanced_class_weights({2, 6, 0});
  REQUIRE(w.size() == 3);
  CHECK(w[0] == doctest::Approx(8.0 / 6.0));  // 8 / (3 * 2)
  CHECK(w[1] == doctest::Approx(8.0 / 18.0));
  CHECK(w[2] == 0.0);
  CHECK(parse_per_class("all") == kKeepAll);
  CHECK(parse_per_class("1000") == 1000);
  CHECK_THROWS_AS(parse_per_class("0"), varstar::Error);
  CHECK_THROWS_AS(parse_per_class("many"), varstar::Error);
}

TEST_CASE("thesis under-sampling: at most N per class, classes in index order, deterministic") {
  std::mt19937 rng(3);
  std::vector<int32_t> labels(2500);
  for (auto& l : labels) l = static_cast<int32_t>(rng() % 4 == 0 ? 2 : rng() % 2);  // class 3 absent
  const auto kept = undersample_thesis(labels, 4, 300, 42);
  std::map<int32_t, int64_t> per;
  int32_t previous = -1;
  std::set<int64_t> unique;
  for (int64_t i : kept) {
    const int32_t l = labels[static_cast<size_t>(i)];
    CHECK(l >= previous);  // grouped in class order
    previous = l;
    ++per[l];
    unique.insert(i);
  }
  CHECK(unique.size() == kept.size());
  CHECK(per[0] == 300);
  CHECK(per[1] == 300);
  CHECK(per[2] == 300);
  CHECK(per.count(3) == 0);
  CHECK(undersample_thesis(labels, 4, 300, 42) == kept);
  CHECK(undersample_thesis(labels, 4, 300, 43) != kept);
  // A class with at most N rows is kept whole, in input order.
  const std::vector<int32_t> small = {1, 0, 1, 1, 0};
  CHECK(undersample_thesis(small, 2, 5, 42) == std::vector<int64_t>{1, 4, 0, 2, 3});
  // Sampled rows follow RandomState(42).permutation(count)[:N] over the class's rows.
  const std::vector<int32_t> one = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  NumpyRandomState rs(42);
  const auto perm = rs.permutation(10);
  CHECK(undersample_thesis(one, 1, 3, 42) == std::vector<int64_t>{perm[0], perm[1], perm[2]});
  // np.random.RandomState(42).permutation(10), printed by NumPy 1.24.
  CHECK(perm == std::vector<int64_t>{8, 1, 5, 0, 7, 2, 9, 4, 3, 6});
}

TEST_CASE("KFold sizes and blocks: the first n % k folds are one larger; unshuffled blocks are consecutive") {
  const auto folds = kfold(23, 5, false, 0);
  REQUIRE(folds.size() == 5);
  const std::vector<size_t> sizes = {5, 5, 5, 4, 4};
  for (size_t f = 0; f < 5; ++f) CHECK(folds[f].test.size() == sizes[f]);
  CHECK(folds[1].test == std::vector<int64_t>{5, 6, 7, 8, 9});
  CHECK(folds[4].test == std::vector<int64_t>{19, 20, 21, 22});
  check_folds(folds, 23);
  CHECK_THROWS_AS(kfold(3, 5, true, 42), varstar::Error);
  CHECK_THROWS_AS(kfold(10, 1, true, 42), varstar::Error);
}

TEST_CASE("no fold ever has a star in both train and test, for both methods") {
  std::mt19937 rng(11);
  std::vector<int32_t> labels(4321);
  std::vector<std::string> ids(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    labels[i] = static_cast<int32_t>(rng() % 7 < 4 ? 0 : rng() % 5);
    ids[i] = "ZTFJ" + std::to_string(1000000 + i);
  }
  for (FoldMethod m : {FoldMethod::thesis, FoldMethod::stratified}) {
    const auto folds = m == FoldMethod::thesis ? kfold(static_cast<int64_t>(labels.size()), 5, true, 42)
                                               : stratified_kfold(labels, 5, true, 42);
    std::set<std::string> all_test;
    for (const auto& f : folds) {
      std::set<std::string> train, test;
      for (int64_t i : f.train) train.insert(ids[static_cast<size_t>(i)]);
      for (int64_t i : f.test) test.insert(ids[static_cast<size_t>(i)]);
      for (const auto& id : test) CHECK_MESSAGE(train.count(id) == 0, id);
      CHECK(train.size() + test.size() == ids.size());
      all_test.insert(test.begin(), test.end());
    }
    CHECK(all_test.size() == ids.size());
    check_folds(folds, static_cast<int64_t>(labels.size()));
  }
  std::vector<Fold> broken = kfold(20, 5, true, 42);
  broken[2].train.push_back(broken[2].test[0]);
  std::sort(broken[2].train.begin(), broken[2].train.end());
  CHECK_THROWS_AS(check_folds(broken, 20), varstar::Error);
}

TEST_CASE("stratified folds keep each class's share within one star") {
  std::mt19937 rng(5);
  std::vector<int32_t> labels(997);
  for (auto& l : labels) l = static_cast<int32_t>(rng() % 10 < 6 ? 1 : rng() % 10 < 7 ? 0 : 2);
  const auto folds = stratified_kfold(labels, 5, true, 42);
  for (int32_t c = 0; c < 3; ++c) {
    int64_t lo = INT64_MAX, hi = 0;
    for (const auto& f : folds) {
      int64_t n = 0;
      for (int64_t i : f.test) n += labels[static_cast<size_t>(i)] == c;
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    CHECK(hi - lo <= 1);
  }
  CHECK(stratified_kfold(labels, 5, true, 42)[3].test == folds[3].test);
}
