#!/usr/bin/env python3
"""Times varstar's catalog reader against pandas on the same full-size Table2.

Usage (from the repository root, after building):
    /usr/bin/python3 bench/catalog_reader.py [--build build] [--rows 781602] [--repeats 3]

Writes BUILD/bench-data/Table2_full.txt once (781,602 random rows in the CDS
layout, by write_catalog_cds through BUILD/tests/data/io/varstar_catalog_bench;
never commit it), then in the same run times
  - varstar: read_catalog (all rows into memory, every field validated),
  - pandas:  read_csv(delim_whitespace=True, skiprows=34, header=None, names=...),
  - pandas:  the thesis scripts' read_table(sep=' ', skipinitialspace=True, skiprows=34, ...),
each best of REPEATS, and prints the times and the ratios (pandas / varstar).
"""
import argparse
import json
import os
import platform
import subprocess
import time

import pandas as pd

COLS = ["ID", "SourceID", "RAdeg", "DEdeg", "Per", "R21", "phi21", "T_0", "gmag", "rmag", "Per_g", "Per_r",
        "Num_g", "Num_r", "R21_g", "R21_r", "phi21_g", "phi21_r", "R^2_g", "R^2_r", "Amp_g", "Amp_r",
        "log(FAP_g)", "log(FAP_r)", "Type", "Delta_min_g", "Delta_min_r"]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, default=781602)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    tool = os.path.join(args.build, "tests/data/io/varstar_catalog_bench")
    data_dir = os.path.join(args.build, "bench-data")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, "Table2_full.txt" if args.rows == 781602 else f"Table2_{args.rows}.txt")
    if not os.path.exists(path):
        subprocess.run([tool, "write", str(args.rows), path], check=True)
    size_mb = os.path.getsize(path) / 1e6

    out = subprocess.run([tool, "read", path, str(args.repeats)], check=True, capture_output=True, text=True).stdout
    vs = json.loads(out)
    vs_best = min(vs["seconds"])

    pd_best, pd_times, df = best_of(args.repeats, lambda: pd.read_csv(
        path, delim_whitespace=True, skiprows=34, header=None, names=COLS))
    assert len(df) == vs["rows"], (len(df), vs["rows"])
    assert abs(df["Per"].sum() - vs["period_sum"]) < 1e-3 * vs["period_sum"]
    th_best, th_times, df2 = best_of(args.repeats, lambda: pd.read_table(
        path, sep=' ', header=None, skipinitialspace=True, skiprows=34, names=COLS))
    assert len(df2) == vs["rows"]

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; pandas {pd.__version__}")
    print(f"file: {path} ({vs['rows']} rows, {size_mb:.1f} MB)")
    print(f"varstar read_catalog:                best {vs_best:.3f} s  {vs['seconds']}")
    print(f"pandas read_csv(delim_whitespace):   best {pd_best:.3f} s  {[round(t, 3) for t in pd_times]}"
          f"  ratio {pd_best / vs_best:.2f}x")
    print(f"pandas read_table(sep=' ', thesis):  best {th_best:.3f} s  {[round(t, 3) for t in th_times]}"
          f"  ratio {th_best / vs_best:.2f}x")


if __name__ == "__main__":
    main()
