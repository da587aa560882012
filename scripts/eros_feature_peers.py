#!/usr/bin/env python3
"""Feature-only peers on varstar's own cross-validation split.

Trains scikit-learn's gradient-boosted trees and a 500-tree random forest on
the per-star features of a varstar representation cache, on the folds of a
varstar run folder (folds.json), so that they face exactly the test stars the
networks of that run faced. No labels reach the features (they are the
cache's, computed without labels).

Usage: eros_feature_peers.py CACHE RUN/folds.json [SEEDS]
  CACHE  a .vscache with features (e.g. folded:...,magnitudes=true,period_multiples=10,skewness=true)
  SEEDS  how many seeds per model (default 3)
Prints one line per model and seed: the accuracy per fold and their mean.
"""
import json
import os
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eros_network_ablation import read_cache  # noqa: E402

MODELS = {
    "gradient-boosted trees": lambda seed: HistGradientBoostingClassifier(random_state=seed),
    "random forest (500)": lambda seed: RandomForestClassifier(500, random_state=seed, n_jobs=1),
}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    arrays = read_cache(sys.argv[1])
    if "features" not in arrays:
        sys.exit(f"{sys.argv[1]}: no features array")
    x, y = arrays["features"], arrays["labels"]
    folds = json.load(open(sys.argv[2]))
    if max(max(f["train"] + f["test"]) for f in folds) >= len(y):
        sys.exit(f"{sys.argv[2]}: fold rows beyond the cache's {len(y)} stars (another data set?)")
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    for name, make in MODELS.items():
        for seed in range(seeds):
            acc = [float((make(seed).fit(x[f["train"]], y[f["train"]]).predict(x[f["test"]]) == y[f["test"]]).mean())
                   for f in folds]
            print(f"{name:24s} seed {seed}: " + " ".join(f"{100 * a:.2f}" for a in acc) +
                  f"  mean {100 * np.mean(acc):.2f}%", flush=True)


if __name__ == "__main__":
    main()
