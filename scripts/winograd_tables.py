#!/usr/bin/env python3
"""Winograd F(m, r) tables (kernels/winograd_math.h) by the Toom-Cook construction, in exact fractions.

    scripts/winograd_tables.py M R P1 P2 ...     e.g.  scripts/winograd_tables.py 6 5 0 1 -1 2 -2 1/2 -1/2 3/2 -3/2

prints AT (m x n), G (n x r) and BT (n x n) as C++ for the n - 1 finite points given
(n = m + r - 1; the last point is infinity), and the float32 relative L2 error of
64-channel sums of 1-d tiles against double, the number used to choose the points.
AT[i][j] = p_j^i and G[j][k] = p_j^k / prod_{l != j} (p_j - p_l), with the point at
infinity as the last column of AT and the last row of G; BT is then the unique
solution of sum_j AT[i][j] G[j][k] BT[j][l] = [l == i + k] for all i, k, l, solved
exactly. The 1-d identity of every table in the header is tested by
tests/engine/test_winograd.cpp.
"""
import sys
from fractions import Fraction


def tables(points, m, r):
    n = m + r - 1
    if len(points) != n - 1:
        sys.exit(f"F({m},{r}) needs {n - 1} finite points, got {len(points)}")
    at = [[Fraction(0)] * n for _ in range(m)]
    g = [[Fraction(0)] * r for _ in range(n)]
    for j, p in enumerate(points):
        scale = Fraction(1)
        for l, q in enumerate(points):
            if l != j:
                scale *= p - q
        for i in range(m):
            at[i][j] = p**i
        for k in range(r):
            g[j][k] = p**k / scale
    at[m - 1][n - 1] = Fraction(1)
    g[n - 1][r - 1] = Fraction(1)
    bt = [[Fraction(0)] * n for _ in range(n)]
    for l in range(n):
        rows = [[at[i][j] * g[j][k] for j in range(n)] for i in range(m) for k in range(r)]
        rhs = [Fraction(1 if l == i + k else 0) for i in range(m) for k in range(r)]
        for j, value in enumerate(solve(rows, rhs, n)):
            bt[j][l] = value
    return at, g, bt


def solve(rows, rhs, n):
    """The unique solution of a consistent, possibly overdetermined system, by Gauss-Jordan elimination."""
    aug = [row[:] + [b] for row, b in zip(rows, rhs)]
    pivots = []
    for c in range(n):
        p = next((i for i in range(len(pivots), len(aug)) if aug[i][c] != 0), None)
        if p is None:
            sys.exit("the points do not determine BT (repeated point?)")
        top = len(pivots)
        aug[top], aug[p] = aug[p], aug[top]
        aug[top] = [v / aug[top][c] for v in aug[top]]
        for i in range(len(aug)):
            if i != top and aug[i][c] != 0:
                f = aug[i][c]
                aug[i] = [a - f * b for a, b in zip(aug[i], aug[top])]
        pivots.append(c)
    if any(row[n] != 0 for row in aug[n:]):
        sys.exit("inconsistent system: no BT for these points")
    return [aug[i][n] for i in range(n)]


def cpp(name, mat):
    def lit(v):
        return f"{v.numerator}.0" if v.denominator == 1 else f"{v.numerator}.0 / {v.denominator}"
    rows = ",\n    ".join("{" + ", ".join(lit(v) for v in row) + "}" for row in mat)
    return f"inline constexpr double {name}[{len(mat)}][{len(mat[0])}] = {{\n    {rows}}};"


def float32_error(at, g, bt, m, r, trials=200, channels=64):
    import numpy as np
    n = m + r - 1
    at32, g32, bt32 = (np.array(x, dtype=np.float64).astype(np.float32) for x in (at, g, bt))
    rng = np.random.default_rng(0)
    num = den = 0.0
    for _ in range(trials):
        d = rng.uniform(-1, 1, (channels, n)).astype(np.float32)
        w = rng.uniform(-1, 1, (channels, r)).astype(np.float32)
        y = at32 @ ((w @ g32.T) * (d @ bt32.T)).sum(0, dtype=np.float32)
        exact = np.array([(w.astype(np.float64) * d[:, i:i + r]).sum() for i in range(m)])
        num += ((y - exact) ** 2).sum()
        den += (exact**2).sum()
    return (num / den) ** 0.5


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    m, r = int(sys.argv[1]), int(sys.argv[2])
    points = [Fraction(p) for p in sys.argv[3:]]
    at, g, bt = tables(points, m, r)
    name = f"kF{m}{r}"
    print(cpp(name + "_at", at))
    print(cpp(name + "_g", g))
    print(cpp(name + "_bt", bt))
    try:
        print(f"// float32 relative L2 error, {64}-channel sums: {float32_error(at, g, bt, m, r):.2e}")
    except ImportError:
        print("// (numpy absent: no float32 error estimate)")


if __name__ == "__main__":
    main()
