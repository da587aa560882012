#!/usr/bin/env python3
"""Feature-only peers on varstar's own cross-validation split.

Trains scikit-learn's gradient-boosted trees and a 500-tree random forest on
the per-star features of a varstar representation cache, on the folds of a
varstar run folder (folds.json), so that they face exactly the test stars the
networks of that run faced. No labels reach the features (they are the
cache's, computed without labels).

With RUN/predictions.csv as a fourth argument it also averages each test
star's class probabilities from the network run with the trees' (weights of
the trees 0.25, 0.5, 0.75; 0.5 is the plain mean, the rule varstar's own
ensembles use, fixed before looking at the test folds; the others show how
much the figure depends on it).

Usage: eros_feature_peers.py CACHE RUN/folds.json [SEEDS [RUN/predictions.csv]]
  CACHE  a .vscache with features (e.g. folded:...,magnitudes=true,period_multiples=10,skewness=true)
  SEEDS  how many seeds per model (default 3)
Prints one line per model and seed: the accuracy per fold and their mean.
"""
import csv
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
    network = read_network_probabilities(sys.argv[4], folds, y) if len(sys.argv) > 4 else None
    if network is not None:
        acc = [float((p.argmax(1) == y[f["test"]]).mean()) for p, f in zip(network, folds)]
        print(f"{'network run alone':24s}        : " + " ".join(f"{100 * a:.2f}" for a in acc) +
              f"  mean {100 * np.mean(acc):.2f}%", flush=True)
    for name, make in MODELS.items():
        for seed in range(seeds):
            models = [make(seed).fit(x[f["train"]], y[f["train"]]) for f in folds]
            acc = [float((m.predict(x[f["test"]]) == y[f["test"]]).mean()) for m, f in zip(models, folds)]
            print(f"{name:24s} seed {seed}: " + " ".join(f"{100 * a:.2f}" for a in acc) +
                  f"  mean {100 * np.mean(acc):.2f}%", flush=True)
            if network is None:
                continue
            for w in (0.25, 0.5, 0.75):
                acc = [float((((1 - w) * p + w * m.predict_proba(x[f["test"]])).argmax(1) == y[f["test"]]).mean())
                       for m, p, f in zip(models, network, folds)]
                print(f"  + network, trees' weight {w:.2f}: " + " ".join(f"{100 * a:.2f}" for a in acc) +
                      f"  mean {100 * np.mean(acc):.2f}%", flush=True)


def read_network_probabilities(path, folds, y):
    """Per fold, the (test stars, classes) probabilities of a varstar run's
    predictions.csv, in the order of folds.json's test rows (checked against
    the cache's labels; classes in the cache's label order)."""
    rows = list(csv.DictReader(open(path)))
    classes = [c[2:] for c in rows[0] if c.startswith("p_")]
    out = []
    for k, f in enumerate(folds):
        fold_rows = [r for r in rows if int(r["fold"]) == k + 1]
        truth = np.array([classes.index(r["true"]) for r in fold_rows])
        if len(fold_rows) != len(f["test"]) or not (truth == y[f["test"]]).all():
            sys.exit(f"{path}: fold {k + 1} does not list folds.json's test stars in order")
        out.append(np.array([[float(r["p_" + c]) for c in classes] for r in fold_rows]))
    return out


if __name__ == "__main__":
    main()
