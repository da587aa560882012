#!/usr/bin/env python3
"""Boosted trees: varstar (trees/boosted_trees.cpp) vs scikit-learn's
HistGradientBoostingClassifier, same rows, same options (scikit-learn's
defaults, early stopping off), same run.

Usage (from the repository root, after building):
    /usr/bin/python3 bench/trees_vs_sklearn.py [--build build] [--rows 2330 20000] [--features 14]
                                               [--classes 4] [--repeats 5]

For each row count: random class-dependent features (float32), fit on the
rows and predict as many more; both best of REPEATS. scikit-learn runs with
OMP_NUM_THREADS=1 (varstar's trees use one thread) and with all cores. Checks
that the two give the same test probabilities, then prints the times and the
ratios (scikit-learn / varstar: above 1, varstar is faster).
"""
import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

import numpy as np


def make(rows, features, classes, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, rows).astype(np.int32)
    centres = rng.normal(size=(classes, features))
    x = (centres[y] + 1.5 * rng.normal(size=(rows, features))).astype(np.float32)
    return x, y


SKLEARN_TIMER = """
import sys, time, numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
d = sys.argv[1]; f = int(sys.argv[2]); repeats = int(sys.argv[3])
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(-1, f).astype(np.float64)
y = np.fromfile(d + '/y.i32', dtype=np.int32)
xt = np.fromfile(d + '/xt.f32', dtype=np.float32).reshape(-1, f).astype(np.float64)
fit = predict = 1e30
for _ in range(repeats):
    t0 = time.perf_counter()
    m = HistGradientBoostingClassifier(early_stopping=False).fit(x, y)
    t1 = time.perf_counter()
    p = m.predict_proba(xt)
    t2 = time.perf_counter()
    fit, predict = min(fit, t1 - t0), min(predict, t2 - t1)
p.astype(np.float64).tofile(d + '/p_sklearn.f64')
print(fit, predict)
"""


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, nargs="+", default=[2330, 20000])
    ap.add_argument("--features", type=int, default=14)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    exe = os.path.join(a.build, "tests", "trees", "varstar_trees_bench")
    if not os.path.exists(exe):
        raise SystemExit(f"{exe} not found: build the project first (cmake --build {a.build})")
    print(f"{cpu_name()}, {os.cpu_count()} hardware threads; {a.features} features, {a.classes} classes, "
          f"100 rounds of up to 31 leaves; best of {a.repeats}")
    print(f"{'rows':>7} {'engine':<28} {'fit s':>8} {'predict s':>10} {'fit ratio':>10} {'predict ratio':>14}")
    for rows in a.rows:
        x, y = make(rows, a.features, a.classes, 1)
        xt, _ = make(rows, a.features, a.classes, 2)
        with tempfile.TemporaryDirectory() as d:
            x.tofile(f"{d}/x.f32"), y.tofile(f"{d}/y.i32"), xt.tofile(f"{d}/xt.f32")
            env1 = dict(os.environ, OMP_NUM_THREADS="1")
            out = subprocess.run([exe, f"{d}/x.f32", f"{d}/y.i32", f"{d}/xt.f32", str(a.features), str(a.classes),
                                  str(a.repeats), f"{d}/p_varstar.f64"], env=env1, check=True,
                                 capture_output=True, text=True).stdout
            ours = json.loads(out)
            all_cores = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
            timings = {}
            for name, env in (("1 thread", env1), (f"{os.cpu_count()} threads", all_cores)):
                res = subprocess.run(["/usr/bin/python3", "-c", SKLEARN_TIMER, d, str(a.features), str(a.repeats)],
                                     env=env, check=True, capture_output=True, text=True).stdout.split()
                timings[name] = (float(res[0]), float(res[1]))
                if name == "1 thread":
                    p_ours = np.fromfile(f"{d}/p_varstar.f64")
                    p_ref = np.fromfile(f"{d}/p_sklearn.f64")
                    worst = float(np.abs(p_ours - p_ref).max())
        print(f"{rows:>7} {'varstar, 1 thread':<28} {ours['fit_s']:>8.3f} {ours['predict_s']:>10.4f} {'':>10}")
        for name, (fit, predict) in timings.items():
            print(f"{rows:>7} {'scikit-learn, ' + name:<28} {fit:>8.3f} {predict:>10.4f} {fit / ours['fit_s']:>9.2f}x"
                  f" {predict / ours['predict_s']:>13.2f}x")
        print(f"{'':>7} largest test-probability difference (1 thread): {worst:.2e}")


if __name__ == "__main__":
    main()
