#!/usr/bin/env python3
"""Which change to the CNN-LSTM's input or training lifts EROS-1 accuracy?

Trains the Table 2 CNN-LSTM in PyTorch (CPU, one thread per process) on the
arrays of a varstar representation cache, in variants that varstar does not
have, so that only the ones that pay are built into the engine:

  channels   varstar's way: each standardised feature is a constant input channel
  branch     the features bypass the convolutions and the LSTMs and join the
             last hidden state before FC 1024
  dropout    channels, with dropout 0.3 before each fully connected layer
  noise      channels, with Gaussian noise (sd 0.1) added to curves and features
             of each training batch
  ple        channels, plus each feature's piecewise-linear encoding in 8
             quantile bins (Gorishniy et al. 2022) as more constant channels
  ensemble3  channels, three networks (seeds 42, 43, 44) whose probabilities
             are averaged
and two peers on the same folds that see only the features, no curve:
  mlp-features    scikit-learn's MLPClassifier (256, 128), alpha 0.1
  trees-features  scikit-learn's HistGradientBoostingClassifier

Training as docs/RESULTS.md's EROS runs: AdamW lr 1e-3, weight decay 0.05,
cosine schedule, batch 32, class-weighted cross-entropy, 30 epochs. Folds:
scikit-learn's StratifiedKFold(5, shuffle=True, random_state=42), not varstar's
split, so compare variants with each other, not with varstar's table.
Feature statistics and quantiles come from all stars, without labels, as
varstar's feature channels do.

Usage: eros_network_ablation.py CACHE VARIANT [FOLDS] [EPOCHS]
  CACHE   a folded-mode .vscache with features (varstar cv --representation
          folded:...,magnitudes=true writes it under <out>/../cache or
          varstar-data/cache)
  FOLDS   comma-separated fold numbers 0-4 (default all)
Prints one line per fold and the mean +/- sd (population) over the folds run.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import torch_models  # noqa: E402

torch.set_num_threads(1)


def read_cache(path):
    """The arrays of a varstar cache (docs/DATA.md: magic, header length, key,
    header hash, JSON header, 64-byte-aligned raw arrays)."""
    raw = open(path, "rb").read()
    if raw[:8] != b"VSCACHE1":
        sys.exit(f"{path}: not a varstar cache")
    (header_len,) = struct.unpack("<Q", raw[8:16])
    header = json.loads(raw[32:32 + header_len])
    start = (32 + header_len + 63) // 64 * 64
    dtypes = {"float32": np.float32, "int32": np.int32, "int64": np.int64}
    return {a["name"]: np.frombuffer(raw[start + a["offset"]:start + a["offset"] + a["bytes"]],
                                     dtype=dtypes[a["dtype"]]).reshape(a["shape"])
            for a in header["arrays"]}


def piecewise_linear(z, n_bins):
    columns = []
    for j in range(z.shape[1]):
        edges = np.unique(np.quantile(z[:, j], np.linspace(0, 1, n_bins + 1)))
        for lo, hi in zip(edges[:-1], edges[1:]):
            columns.append(np.clip((z[:, j:j + 1] - lo) / (hi - lo), 0, 1))
    return np.hstack(columns)


class AblationCnnLstm(torch_models.CnnLstm):
    """The reference Table 2 network (tests/reference/torch_models.py) with the
    features either as constant channels or joined to the last LSTM state, and
    optional dropout before each fully connected layer."""

    def __init__(self, curve_channels, n_features, length, n_classes, branch, dropout):
        super().__init__(n_classes, curve_channels + (0 if branch else n_features))
        if branch:
            self.fc1 = nn.Linear(128 + n_features, 1024)
        self.branch, self.dropout, self.length = branch, dropout, length

    def forward(self, x, f):
        if self.branch:
            h = torch.cat([self.last_state(x), f], 1)
        else:
            h = self.last_state(torch.cat([x, f[:, :, None].expand(-1, -1, self.length)], 1))
        h = F.relu(self.fc1(F.dropout(h, self.dropout, self.training)))
        h = F.relu(self.fc2(F.dropout(h, self.dropout, self.training)))
        return self.fc3(F.dropout(h, self.dropout, self.training))


VARIANTS = {  # name: (branch, dropout, noise, piecewise-linear bins, members)
    "channels": (False, 0.0, 0.0, 0, 1),
    "branch": (True, 0.0, 0.0, 0, 1),
    "dropout": (False, 0.3, 0.0, 0, 1),
    "noise": (False, 0.0, 0.1, 0, 1),
    "ple": (False, 0.0, 0.0, 8, 1),
    "ensemble3": (False, 0.0, 0.0, 0, 3),
}
FEATURE_PEERS = {
    "mlp-features": lambda: MLPClassifier((256, 128), alpha=0.1, max_iter=600, random_state=0),
    "trees-features": lambda: HistGradientBoostingClassifier(random_state=0),
}


def train_member(x, feats, y, train, test, seed, epochs, branch, dropout, noise):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_classes = int(y.max()) + 1
    model = AblationCnnLstm(x.shape[1], feats.shape[1], x.shape[2], n_classes, branch, dropout)
    opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    counts = np.bincount(y[train], minlength=n_classes)
    weight = torch.tensor(len(train) / (n_classes * counts), dtype=torch.float32)
    xt, ft, yt = torch.tensor(x), torch.tensor(feats), torch.tensor(y)
    for _ in range(epochs):
        model.train()
        order = rng.permutation(train)
        for i in range(0, len(order), 32):
            b = order[i:i + 32]
            xb, fb = xt[b], ft[b]
            if noise > 0:
                xb, fb = xb + noise * torch.randn_like(xb), fb + noise * torch.randn_like(fb)
            loss = F.cross_entropy(model(xb, fb), yt[b], weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        return F.softmax(model(xt[test], ft[test]), 1).numpy()


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in {**VARIANTS, **FEATURE_PEERS}:
        sys.exit(__doc__ + "\nvariants: " + ", ".join([*VARIANTS, *FEATURE_PEERS]))
    arrays = read_cache(sys.argv[1])
    variant = sys.argv[2]
    folds = [int(f) for f in sys.argv[3].split(",")] if len(sys.argv) > 3 else list(range(5))
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    if "features" not in arrays:
        sys.exit(f"{sys.argv[1]}: no features array (use a folded representation)")
    x = arrays["x"].astype(np.float32)
    y = arrays["labels"].astype(np.int64)
    feats = arrays["features"].astype(np.float64)
    feats = (feats - feats.mean(0)) / np.where(feats.std(0) > 0, feats.std(0), 1.0)
    if variant in FEATURE_PEERS:
        def predict(train, test):
            return FEATURE_PEERS[variant]().fit(feats[train], y[train]).predict(feats[test])
    else:
        branch, dropout, noise, ple_bins, members = VARIANTS[variant]
        if ple_bins:
            feats = np.hstack([feats, piecewise_linear(feats, ple_bins)])
        feats = feats.astype(np.float32)

        def predict(train, test):
            return sum(train_member(x, feats, y, train, test, 42 + m, epochs, branch, dropout, noise)
                       for m in range(members)).argmax(1)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=42).split(x, y))
    accuracies = []
    for fold in folds:
        start = time.time()
        train, test = splits[fold]
        accuracies.append(100 * float((predict(train, test) == y[test]).mean()))
        print(f"{variant} fold {fold}: {accuracies[-1]:.2f}% ({time.time() - start:.0f} s)", flush=True)
    print(f"{variant}: {np.mean(accuracies):.2f} +/- {np.std(accuracies):.2f}% over folds {folds}")

if __name__ == "__main__":
    main()
