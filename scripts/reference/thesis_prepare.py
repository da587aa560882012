#!/usr/bin/env python3
"""The thesis scripts' data preparation, verbatim in its pandas logic, as a reference.

Usage: thesis_prepare.py TABLE2 CLASSES N OUT.json
  TABLE2   a Table2.txt with a 34-line header (read as the scripts do:
           read_table(sep=' ', skipinitialspace=True, skiprows=34, names=cols))
  CLASSES  10 (the 10-class CNN-LSTM script) or 5 (the 5-class CNN-LSTM script)
  N        at most N stars per class (the scripts: 1000)
Writes {"filtered": rows after the Num/R^2/FAP filters, "nonzero": rows after the
zero rule, "selected": rows after the class selection, "class_counts": per class
before balancing, "balanced_ids": IDs in the balanced row order, "folds": the
test IDs of each KFold(5, shuffle=True, random_state=42) fold}.
Run by tests/data/io/test_thesis_pipeline.cpp.
"""
import json
import sys
import warnings

import pandas as pd
from sklearn.model_selection import KFold

cols = [
    "ID", "SourceID", "RAdeg", "DEdeg", "Per", "R21", "phi21", "T_0", "gmag", "rmag",
    "Per_g", "Per_r", "Num_g", "Num_r", "R21_g", "R21_r", "phi21_g", "phi21_r", "R^2_g",
    "R^2_r", "Amp_g", "Amp_r", "log(FAP_g)", "log(FAP_r)", "Type", "Delta_min_g",
    "Delta_min_r",
]


def main():
    path, classes, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    df = pd.read_table(path, sep=' ', header=None, skipinitialspace=True, skiprows=34, names=cols)
    df['Type'] = df['Type'].replace('CEPII', 'CEP')
    if classes == "5":
        df['Type'] = df['Type'].replace({'Mira': 'LPV', 'SR': 'LPV'})
    condition_num = (df["Num_g"] > 50) & (df["Num_r"] > 50)
    condition_r2 = (df["R^2_g"] > 0.3) & (df["R^2_r"] > 0.3)
    condition_fap = (df["log(FAP_g)"] < -3) & (df["log(FAP_r)"] < -3)
    df = df[condition_num & condition_r2 & condition_fap]
    filtered = len(df)
    df = df[["ID", "Per", "R21", "phi21", "rmag", "Amp_r", "Type"]]  # the scripts keep ID out; kept here to compare
    filtered_df = df[~(df == 0).any(axis=1)]
    nonzero = len(filtered_df)
    if classes == "5":
        filtered_df = filtered_df[filtered_df['Type'].isin(['CEP', 'DSCT', 'EA', 'RR', 'LPV'])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        balanced_df = filtered_df.groupby('Type').apply(
            lambda x: x.sample(n=n, random_state=42) if len(x) > n else x).reset_index(drop=True)
    kf = KFold(n_splits=5, shuffle=True, random_state=42)
    folds = [balanced_df.iloc[test]["ID"].tolist() for _, test in kf.split(balanced_df)]
    out = {"filtered": filtered, "nonzero": nonzero, "selected": len(filtered_df),
           "class_counts": filtered_df['Type'].value_counts().to_dict(),
           "balanced_ids": balanced_df["ID"].tolist(), "folds": folds}
    with open(sys.argv[4], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
