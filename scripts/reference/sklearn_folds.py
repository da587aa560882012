#!/usr/bin/env python3
"""Reference values for varstar's folds, balancing and NumPy RandomState.

Usage: sklearn_folds.py IN.json OUT.json   (run by tests/data/io/test_reference.cpp)

IN.json holds {"cases": [...]}, each case one of
  {"kind": "kfold", "n": N, "k": K, "seed": S}
      -> test indices of each fold of KFold(K, shuffle=True, random_state=S)
  {"kind": "stratified", "labels": [...], "k": K, "seed": S}
      -> test indices of each fold of StratifiedKFold(K, shuffle=True, random_state=S)
  {"kind": "undersample", "types": [...], "n": N, "seed": S}
      -> the thesis scripts' balancing,
         df.groupby('Type').apply(lambda x: x.sample(n=N, random_state=S)
                                  if len(x) > N else x).reset_index(drop=True),
         as the original row numbers in the resulting order
  {"kind": "class_weight", "labels": [...]}
      -> compute_class_weight("balanced", classes=np.unique(y), y=y)
  {"kind": "randomstate", "seed": S, "n": N}
      -> RandomState(S).permutation(N), the first 8 raw MT19937 outputs and random_sample(4)
OUT.json gets {"results": [...]} in the same order.
"""
import json
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.class_weight import compute_class_weight


def run(case):
    kind = case["kind"]
    if kind == "kfold":
        kf = KFold(n_splits=case["k"], shuffle=True, random_state=case["seed"])
        return [test.tolist() for _, test in kf.split(np.zeros(case["n"]))]
    if kind == "stratified":
        y = np.asarray(case["labels"])
        skf = StratifiedKFold(n_splits=case["k"], shuffle=True, random_state=case["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [test.tolist() for _, test in skf.split(np.zeros(len(y)), y)]
    if kind == "undersample":
        df = pd.DataFrame({"Type": case["types"], "idx": np.arange(len(case["types"]))})
        n, seed = case["n"], case["seed"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = df.groupby("Type").apply(
                lambda x: x.sample(n=n, random_state=seed) if len(x) > n else x).reset_index(drop=True)
        return out["idx"].tolist()
    if kind == "class_weight":
        y = np.asarray(case["labels"])
        return compute_class_weight("balanced", classes=np.unique(y), y=y).tolist()
    if kind == "randomstate":
        rs = np.random.RandomState(case["seed"])
        perm = rs.permutation(case["n"]).tolist()
        raw = np.random.RandomState(case["seed"])._bit_generator.random_raw(8).tolist()
        sample = np.random.RandomState(case["seed"]).random_sample(4).tolist()
        return {"permutation": perm, "raw": raw, "random_sample": sample}
    raise ValueError(f"unknown case kind {kind}")


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    with open(sys.argv[2], "w") as f:
        json.dump({"results": [run(c) for c in cases],
                   "versions": {"numpy": np.__version__, "pandas": pd.__version__}}, f)


if __name__ == "__main__":
    main()
