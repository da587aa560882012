"""scikit-learn's HistGradientBoostingClassifier on a data set, for
tests/trees/test_trees_sklearn.cpp.

usage: sklearn_trees.py < input.json
input: {"x_train": [[...]], "y_train": [...], "x_test": [[...]], "options": {rounds, learning_rate,
        max_leaves, min_samples_leaf, l2_regularization, max_bins}}
Prints the bin edges per feature, the leaves of every tree (round by round) and
the test rows' class probabilities as JSON.
"""
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

data = json.load(sys.stdin)
o = data["options"]
model = HistGradientBoostingClassifier(
    max_iter=o["rounds"], learning_rate=o["learning_rate"], max_leaf_nodes=o["max_leaves"],
    min_samples_leaf=o["min_samples_leaf"], l2_regularization=o["l2_regularization"], max_bins=o["max_bins"],
    early_stopping=False)
x_train = np.array(data["x_train"], dtype=np.float32).astype(np.float64)
x_test = np.array(data["x_test"], dtype=np.float32).astype(np.float64)
model.fit(x_train, np.array(data["y_train"]))
print(json.dumps({
    "edges": [e.tolist() for e in model._bin_mapper.bin_thresholds_],
    "leaves": [[p.get_n_leaf_nodes() for p in round_] for round_ in model._predictors],
    "probabilities": model.predict_proba(x_test).tolist(),
}))
