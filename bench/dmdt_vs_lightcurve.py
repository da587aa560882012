#!/usr/bin/env python3
"""dm-dt binning: varstar (kernels/cpu/dmdt.cpp) vs the `light-curve` package's
DmDt (Rust), same light curves, same run, one core each.

  python3 bench/dmdt_vs_lightcurve.py [--curves 200] [--points 1000] [--repeats 5]

Needs `pip install light-curve` in the Python that runs it (benchmark only;
no test uses it) and a C++ compiler with libfmt. Builds bench/dmdt_bench.cpp
with kernels/cpu/dmdt.cpp (-O3 -march=native, as the Release build), runs it
with OMP_NUM_THREADS=1, runs DmDt.points_many with n_jobs=1 on the same
curves (Mahabal et al. 2017 edges given as-is, and the package's fastest
uniform log-dt / linear-dm grid of the same size), checks that both produce
the same counts for the Mahabal edges, and prints the figures and ratios.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

MAHABAL_DT = [1/145, 2/145, 3/145, 4/145, 1/25, 2/25, 3/25, 1.5, 2.5, 3.5, 4.5, 5.5,
              7, 10, 20, 30, 60, 90, 120, 240, 600, 960, 2000, 4000]
MAHABAL_DM = [-8, -5, -3, -2.5, -2, -1.5, -1, -0.5, -0.3, -0.2, -0.1, 0,
              0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 5, 8]


def make_curves(n_curves, n_points, seed):
    """ZTF-like times (nights over ~2 years, seasonal gaps, a few visits a night) and magnitudes."""
    rng = np.random.RandomState(seed)
    curves = []
    for _ in range(n_curves):
        nights = np.sort(rng.choice(np.arange(730), size=min(n_points, 600), replace=False)).astype(float)
        t = np.sort(rng.choice(nights, n_points) + rng.uniform(0.2, 0.45, n_points) + 58200.0)
        m = 17 + 0.4 * np.sin(2 * np.pi * t / rng.uniform(0.2, 20)) + rng.normal(0, 0.05, n_points)
        curves.append((t, m))
    return curves


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--curves', type=int, default=200)
    ap.add_argument('--points', type=int, default=1000)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--cxx', default=os.environ.get('CXX', 'c++'))
    args = ap.parse_args()
    import light_curve as lc

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = tempfile.mkdtemp(prefix='varstar_dmdt_bench_')
    exe = os.path.join(work, 'dmdt_bench')
    subprocess.run([args.cxx, '-std=c++20', '-O3', '-march=native', '-fopenmp', '-I', root,
                    os.path.join(root, 'bench', 'dmdt_bench.cpp'), os.path.join(root, 'kernels', 'cpu', 'dmdt.cpp'),
                    '-lfmt', '-o', exe], check=True)

    curves = make_curves(args.curves, args.points, 2017)
    offsets = np.cumsum([0] + [len(t) for t, _ in curves]).astype('<i8')
    data = os.path.join(work, 'curves.bin')
    with open(data, 'wb') as f:
        np.array([len(curves)], dtype='<i8').tofile(f)
        offsets.tofile(f)
        np.concatenate([t for t, _ in curves]).astype('<f8').tofile(f)
        np.concatenate([m for _, m in curves]).astype('<f8').tofile(f)
    counts_path = os.path.join(work, 'counts.bin')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    out = subprocess.run([exe, data, counts_path, str(args.repeats)], check=True, env=env,
                         capture_output=True, text=True).stdout
    ours = {r['config']: r for r in map(json.loads, out.strip().splitlines())}

    def bench(dmdt):
        lcs = [(t, m) for t, m in curves]
        dmdt.points_many(lcs, sorted=True)  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            maps = dmdt.points_many(lcs, sorted=True)
            times.append(time.perf_counter() - t0)
        return float(np.median(times)), maps

    asis = lc.DmDt(dt=np.array(MAHABAL_DT), dm=np.array(MAHABAL_DM), dt_type='asis', dm_type='asis', norm=[], n_jobs=1)
    t_asis, maps = bench(asis)
    uniform = lc.DmDt.from_borders(min_lgdt=np.log10(1 / 145), max_lgdt=np.log10(4000), max_abs_dm=8,
                                   lgdt_size=len(MAHABAL_DT) - 1, dm_size=len(MAHABAL_DM) - 1, norm=[], n_jobs=1)
    t_uniform, _ = bench(uniform)

    # Same counts? light-curve: (n, dt, dm) float; varstar: (n, dm, dt) uint32.
    n_dm, n_dt = len(MAHABAL_DM) - 1, len(MAHABAL_DT) - 1
    ref = np.fromfile(counts_path, dtype='<u4').reshape(len(curves), n_dm, n_dt)
    mismatches = int(np.sum(np.abs(np.transpose(maps, (0, 2, 1)) - ref) > 0))

    pairs = ours['mahabal_signed']['pairs']
    cpu = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}; one core each; light-curve {lc.__version__}; "
          f"{len(curves)} curves x {args.points} points = {pairs} pairs with dt > 0; median of {args.repeats}")
    print(f"counts identical to light-curve's (Mahabal edges): {'yes' if mismatches == 0 else f'NO ({mismatches} bins differ)'}")
    rows = [
        ('varstar, Mahabal edges (signed dm)', ours['mahabal_signed']['median_s']),
        ('varstar, thesis edges (|dm|)', ours['thesis_abs']['median_s']),
        ('varstar, both edge sets in one pass', ours['both_one_pass']['median_s']),
        ('light-curve DmDt, Mahabal edges as-is', t_asis),
        ('light-curve DmDt, uniform log-dt/linear-dm grid', t_uniform),
    ]
    print(f"{'configuration':<50} {'seconds':>9} {'Mpairs/s':>9}")
    for name, s in rows:
        print(f"{name:<50} {s:>9.4f} {pairs / s / 1e6:>9.1f}")
    print(f"ratio light-curve(as-is) / varstar(Mahabal): {t_asis / ours['mahabal_signed']['median_s']:.2f}x")
    print(f"ratio light-curve(uniform) / varstar(Mahabal): {t_uniform / ours['mahabal_signed']['median_s']:.2f}x")
    return 0 if mismatches == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
