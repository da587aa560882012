"""scikit-learn's view of a set of predictions, for tests/train/test_metrics.cpp.

usage: sklearn_metrics.py N_CLASSES  (reads {"truth": [...], "predicted": [...]} on stdin)
Prints accuracy, weighted and macro precision/recall/F1, per-class values and
the confusion matrix as JSON.
"""
import json
import sys

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

n = int(sys.argv[1])
data = json.load(sys.stdin)
t, p = data["truth"], data["predicted"]
labels = list(range(n))
out = {"accuracy": accuracy_score(t, p), "confusion": confusion_matrix(t, p, labels=labels).tolist()}
for avg in ("weighted", "macro"):
    pr, rc, f1, _ = precision_recall_fscore_support(t, p, labels=labels, average=avg, zero_division=0)
    out[avg] = {"precision": pr, "recall": rc, "f1": f1}
pr, rc, f1, sup = precision_recall_fscore_support(t, p, labels=labels, average=None, zero_division=0)
out["per_class"] = {"precision": pr.tolist(), "recall": rc.tolist(), "f1": f1.tolist(), "support": sup.tolist()}
print(json.dumps(out))
