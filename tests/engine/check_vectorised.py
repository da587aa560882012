#!/usr/bin/env python3
"""Checks that the CPU kernels' `#pragma omp simd` loops vectorise for AVX2
(x86-64-v3), not only on the AVX-512 machine a change was measured on: GCC
if-converts a loop's selects with AVX-512's masks but not always with AVX2's
blends, and then leaves the loop scalar without a word (2026-11-28: the LSTM
cells and max pooling, 1.8x and 4x slower than vectorised).

GXX must be GCC (tests/engine/CMakeLists.txt adds the test only then).
Compiles each file that has such loops with -fopt-info-vec-optimized and
requires a "loop vectorized" report within the few lines after each pragma.

usage: check_vectorised.py GXX SOURCE_DIR INCLUDE_DIR... -- FILE[:EXTRA_FLAG...]...
"""
import re
import subprocess
import sys

LINES_AFTER_PRAGMA = 6  # a loop's report names a line of its body, not of the pragma


def main(argv):
    if "--" not in argv or len(argv) < 4:
        print(__doc__)
        return 2
    split = argv.index("--")
    cxx, source_dir, includes, files = argv[1], argv[2], argv[3:split], argv[split + 1:]
    failures = checked = 0
    for spec in files:
        path, *extra = spec.split(":")
        full = f"{source_dir}/{path}"
        with open(full, encoding="utf-8") as f:
            pragmas = [n for n, line in enumerate(f, start=1) if line.strip().startswith("#pragma omp simd")]
        if not pragmas:
            continue
        checked += len(pragmas)
        command = [cxx, "-std=c++20", "-O3", "-march=x86-64-v3", "-fopenmp", "-fopt-info-vec-optimized",
                   "-c", "-o", "/dev/null", full, *[f"-I{d}" for d in includes], *extra]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"FAIL {path}: does not compile for x86-64-v3:\n{result.stderr[-2000:]}")
            failures += 1
            continue
        vectorised = {int(m.group(1)) for m in re.finditer(re.escape(full) + r":(\d+):\d+: optimized: loop vectorized",
                                                             result.stderr)}
        for line in pragmas:
            if any(line < v <= line + LINES_AFTER_PRAGMA for v in vectorised):
                print(f"ok   {path}:{line}")
            else:
                print(f"FAIL {path}:{line}: the omp simd loop does not vectorise for x86-64-v3 (AVX2)")
                failures += 1
    if checked == 0:
        print("FAIL: no '#pragma omp simd' loop found in the files given")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
