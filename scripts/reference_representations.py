#!/usr/bin/env python3
"""Independent NumPy references for varstar's representations (tests/data/repr).

Computes, from the thesis's own algorithm as its public scripts state it:
  * harmonic synthesis (reconstruct_light_curve_full_fourier: 359 points at
    phase = linspace(0, 2, 359)) and the text's 360 points over one cycle;
  * the class-pair dm-dt images (calculate_pairwise_differences: pairs with the
    other stars of the same class in the same split, dm = |Amp_g,i - Amp_g,j|
    and |Amp_r,i - Amp_r,j| appended in turn, dt = |Per_i - Per_j|, both lists
    truncated to the shorter one, np.histogram2d(dt, dm), / max * 255,
    skimage.transform.resize(grid, (90, 53), anti_aliasing=True));
  * light-curve dm-dt histograms with np.histogram2d over all pairs (dt > 0)
    with the thesis's |dm| edges and Mahabal et al. 2017's signed edges.

The resize is written out here in NumPy (bilinear, pixel centres at +0.5,
'reflect' = ndimage 'mirror' boundary: what skimage's resize does for an
up-sampling with order 1, where anti_aliasing's Gaussian has sigma 0); it is
checked against scipy.ndimage.zoom(grid_mode=True) here, and against skimage
itself when that is installed.

Usage: reference_representations.py --out DIR
Writes DIR/manifest.json (inputs, shapes) and DIR/<name>.f64 (little-endian
float64, C order). Deterministic (NumPy RandomState(20250101)).
"""
import argparse
import json
import os
import sys

import numpy as np

THESIS_DM = [0, 0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 5, 8]
THESIS_DT = [1/145, 2/145, 4/145, 1/25, 2/25, 3/25, 1.5, 2.5, 3.5, 4.5, 5.5, 7,
             10, 20, 30, 60, 90, 120, 250, 600, 960, 2000, 4000]
MAHABAL_DM = [-8, -5, -3, -2.5, -2, -1.5, -1, -0.5, -0.3, -0.2, -0.1, 0,
              0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 5, 8]
MAHABAL_DT = [1/145, 2/145, 3/145, 4/145, 1/25, 2/25, 3/25, 1.5, 2.5, 3.5, 4.5, 5.5,
              7, 10, 20, 30, 60, 90, 120, 240, 600, 960, 2000, 4000]


def reconstruct_light_curve_full_fourier(M, Amp_r, R21, phi21, num_points):
    """The thesis scripts' harmonic synthesis (two cycles, raw magnitudes)."""
    phase = np.linspace(0, 2, num_points)
    A1 = 0.5 * Amp_r
    A2 = A1 * R21
    phi1, phi2 = 0, phi21
    a1, b1 = A1 * np.cos(phi1), A1 * np.sin(phi1)
    a2, b2 = A2 * np.cos(phi2), A2 * np.sin(phi2)
    return (M + a1 * np.cos(2 * np.pi * phase) + b1 * np.sin(2 * np.pi * phase)
            + a2 * np.cos(4 * np.pi * phase) + b2 * np.sin(4 * np.pi * phase))


def text_light_curve(M, Amp_r, R21, phi21, num_points=360):
    """The thesis text's variant: num_points phases i/num_points over one cycle."""
    phase = np.arange(num_points) / num_points
    A1 = 0.5 * Amp_r
    A2 = A1 * R21
    return (M + A1 * np.cos(2 * np.pi * phase) + 0.0 * np.sin(2 * np.pi * phase)
            + A2 * np.cos(phi21) * np.cos(4 * np.pi * phase) + A2 * np.sin(phi21) * np.sin(4 * np.pi * phase))


def _mirror(idx, n):
    """ndimage 'mirror' boundary (numpy.pad 'reflect'): ... c b | a b c | b a ..."""
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    idx = np.abs(idx) % period
    return np.where(idx >= n, period - idx, idx)


def resize_bilinear(img, out_shape):
    """skimage.transform.resize(img, out_shape, order=1, mode='reflect') for an
    up-sampling (sigma of anti_aliasing is max(0, (in/out - 1)/2) = 0)."""
    out = img.astype(np.float64)
    for axis, n_out in enumerate(out_shape):
        n_in = out.shape[axis]
        x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        x0 = np.floor(x).astype(np.int64)
        f = x - x0
        i0, i1 = _mirror(x0, n_in), _mirror(x0 + 1, n_in)
        a = np.take(out, i0, axis=axis)
        b = np.take(out, i1, axis=axis)
        shape = [1] * out.ndim
        shape[axis] = n_out
        f = f.reshape(shape)
        out = a * (1 - f) + b * f
    return np.clip(out, img.min(), img.max())


def classpair_images(rows, split_of):
    """One 90 x 53 image per row: the scripts' calculate_pairwise_differences,
    run per (split, type) group in row order."""
    images = np.zeros((len(rows), 90, 53))
    groups = {}
    for k, r in enumerate(rows):
        groups.setdefault((split_of[k], r['Type']), []).append(k)
    for members in groups.values():
        for i in members:
            dm, dt = [], []
            for j in members:
                if i != j:
                    dm.extend([abs(rows[i]['Amp_g'] - rows[j]['Amp_g']), abs(rows[i]['Amp_r'] - rows[j]['Amp_r'])])
                    dt.append(abs(rows[i]['Per'] - rows[j]['Per']))
            n = min(len(dm), len(dt))
            dm, dt = dm[:n], dt[:n]
            grid, _, _ = np.histogram2d(dt, dm, bins=[THESIS_DT, THESIS_DM])
            if grid.max() > 0:
                grid = (grid / grid.max()) * 255
            images[i] = resize_bilinear(grid, (90, 53))
    return images


def check_resize_against_libraries(rng):
    checks = []
    img = rng.rand(22, 11) * 255
    ours = resize_bilinear(img, (90, 53))
    try:
        from scipy import ndimage
        z = ndimage.zoom(img, (90 / 22, 53 / 11), order=1, mode='mirror', grid_mode=True)
        assert z.shape == (90, 53)
        err = float(np.abs(z - ours).max())
        assert err < 1e-9, f"scipy.ndimage.zoom disagrees by {err}"
        checks.append(f"scipy.ndimage.zoom(grid_mode=True, mode='mirror'): max |diff| {err:.2e}")
    except ImportError:
        checks.append("scipy not installed: zoom cross-check skipped")
    try:
        from skimage.transform import resize
        s = resize(img, (90, 53), anti_aliasing=True)
        err = float(np.abs(s - ours).max())
        assert err < 1e-9, f"skimage resize disagrees by {err}"
        checks.append(f"skimage.transform.resize(anti_aliasing=True): max |diff| {err:.2e}")
    except ImportError:
        checks.append("scikit-image not installed: direct cross-check skipped")
    return checks


def lightcurve_histograms(times, mags):
    """Counts of all pairs with t_j > t_i: (|dm|, dt) on thesis edges and
    (signed dm = later - earlier, dt) on Mahabal's."""
    t = np.asarray(times)
    m = np.asarray(mags)
    i, j = np.triu_indices(len(t), k=1)
    dt = t[j] - t[i]
    dm = m[j] - m[i]
    neg = dt < 0
    dt = np.abs(dt)
    dm = np.where(neg, -dm, dm)  # later minus earlier
    keep = dt > 0
    dt, dm = dt[keep], dm[keep]
    thesis, _, _ = np.histogram2d(np.abs(dm), dt, bins=[THESIS_DM, THESIS_DT])
    mahabal, _, _ = np.histogram2d(dm, dt, bins=[MAHABAL_DM, MAHABAL_DT])
    return thesis, mahabal, int(keep.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.RandomState(20250101)
    manifest = {'generator': 'scripts/reference_representations.py', 'numpy': np.__version__, 'arrays': {}}

    def save(name, array):
        a = np.ascontiguousarray(array, dtype='<f8')
        a.tofile(os.path.join(args.out, name + '.f64'))
        manifest['arrays'][name] = list(a.shape)

    # 1. Harmonic synthesis: 7 stars (an odd count), edge values included.
    n = 7
    stars = {
        'rmag': rng.uniform(12, 20, n), 'Amp_r': rng.uniform(0.05, 3, n),
        'R21': rng.uniform(0, 1, n), 'phi21': rng.uniform(0, 2 * np.pi, n),
    }
    stars['Amp_r'][0] = 0.0
    stars['R21'][1] = 0.0
    stars['phi21'][2] = 2 * np.pi
    manifest['harmonic_stars'] = {k: v.tolist() for k, v in stars.items()}
    save('harmonic_thesis', np.stack([reconstruct_light_curve_full_fourier(
        stars['rmag'][k], stars['Amp_r'][k], stars['R21'][k], stars['phi21'][k], 359) for k in range(n)]))
    save('harmonic_text', np.stack([text_light_curve(
        stars['rmag'][k], stars['Amp_r'][k], stars['R21'][k], stars['phi21'][k]) for k in range(n)]))

    # 2. Class pairs: 31 stars, 3 classes, 2 splits; ties and out-of-range values on purpose.
    types = ['RR', 'EW', 'SR']
    rows = []
    for k in range(31):
        t = types[rng.randint(0, 3)]
        per = {'RR': rng.lognormal(np.log(0.55), 0.2), 'EW': rng.lognormal(np.log(0.35), 0.3),
               'SR': rng.lognormal(np.log(80), 1.0)}[t]
        rows.append({'Type': t, 'Per': float(per), 'Amp_g': float(rng.uniform(0.05, 2.5)),
                     'Amp_r': float(rng.uniform(0.05, 2.0))})
    rows[3]['Per'] = rows[5]['Per']                       # dt == 0: below the first edge
    rows[7]['Amp_g'] = 9.5                                # some dm > 8: outside the edges
    rows[8]['Type'], rows[8]['Per'], rows[9]['Type'], rows[9]['Per'] = 'SR', 2.0, 'SR', 0.5  # dt == 1.5 exactly
    split_of = [int(rng.randint(0, 2)) for _ in rows]
    manifest['classpair_rows'] = rows
    manifest['classpair_split'] = split_of
    save('classpair', classpair_images(rows, split_of))

    # 3. Light-curve dm-dt counts: 5 series, odd sizes, repeated times, a few large jumps.
    series = []
    thesis_counts, mahabal_counts, pairs = [], [], []
    for k, npts in enumerate([1, 2, 37, 120, 251]):
        t = np.sort(np.round(rng.uniform(58000, 58000 + 900, npts), 3))
        if npts > 10:
            t[5] = t[4]                                   # equal times: no pair
            t[7] = t[6] + 1.5                             # dt on an edge
        m = 17 + rng.normal(0, 0.6, npts)
        if npts > 30:
            m[10] += 9.0                                  # |dm| beyond 8 for its pairs
        series.append({'t': t.tolist(), 'm': m.tolist()})
        th, mh, p = lightcurve_histograms(t, m)
        thesis_counts.append(th)
        mahabal_counts.append(mh)
        pairs.append(p)
    manifest['lightcurve_series'] = series
    manifest['lightcurve_pairs'] = pairs
    save('lightcurve_thesis', np.stack(thesis_counts))
    save('lightcurve_mahabal', np.stack(mahabal_counts))

    manifest['resize_checks'] = check_resize_against_libraries(rng)
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f)
    print('\n'.join(manifest['resize_checks']))
    print(f"wrote {len(manifest['arrays'])} arrays to {args.out}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
