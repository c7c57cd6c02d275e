"""Fine structure: nuclear chromatin and cytoplasmic granules (what super-resolution must restore).

>>> import numpy as np
>>> tex = chromatin(64, np.random.default_rng(0), 4.0, "lymphocyte")
>>> tex.shape, bool(tex.min() >= 0)
((64, 64), True)
"""

from __future__ import annotations

import numpy as np

from leuko_keras.synth.shapes import fractal_noise

# Chromatin per type: (block size um, block contrast, pale-spot share, spot size um, base density).
_CHROMATIN = {
    "neutrophil": (1.4, 0.30, 0.35, 0.38, 1.1),
    "eosinophil": (1.5, 0.25, 0.30, 0.4, 1.0),
    "basophil": (1.5, 0.20, 0.20, 0.45, 0.75),
    "lymphocyte": (1.6, 0.30, 0.45, 0.38, 1.1),
    "monocyte": (1.2, 0.25, 0.55, 0.34, 0.85),  # lacy, paler chromatin
}


def chromatin(size: int, rng: np.random.Generator, px_per_um: float, cell_type: str) -> np.ndarray:
    """Nucleus density map (>= 0): dark heterochromatin matrix, mottled by small pale parachromatin spots.

    Spots are the peaks of band-limited noise cut by a soft threshold: sub-micrometre,
    high-contrast detail like the real crops (and something for super-resolution to restore).
    """
    block_um, block_contrast, spot_share, spot_um, base = _CHROMATIN[cell_type]
    blocks = fractal_noise(size, rng, block_um * px_per_um, octaves=2, gain=0.5)
    spots = fractal_noise(size, rng, max(2.0, spot_um * px_per_um), octaves=2, gain=0.3)
    fine = fractal_noise(size, rng, max(1.2, 0.2 * px_per_um), octaves=1)
    clumps = 1.0 / (1.0 + np.exp(-2.5 * blocks))
    # Threshold at the noise quantile that leaves about `spot_share` of the area pale.
    cut = float(np.quantile(spots[::4, ::4], 1.0 - spot_share))
    pale = 1.0 / (1.0 + np.exp(-4.0 * (spots - cut)))
    density = base * (1.0 + block_contrast * (2.0 * clumps - 1.0)) * (1.0 - 0.6 * pale)
    density += 0.15 * base * fine
    return np.maximum(density, 0.05).astype(np.float32)


def granules(
    size: int,
    rng: np.random.Generator,
    region: np.ndarray,
    count: int,
    radius_px: float,
    size_spread: float = 0.25,
    packed: bool = False,
    weight_range: tuple[float, float] = (0.75, 1.0),
) -> np.ndarray:
    """Density in [0, 1] of about ``count`` round granules over ``region`` (bool mask).

    Granules are anti-aliased discs with sub-pixel centres, composited by maximum so
    neighbours stay distinct instead of merging into blobs. ``packed`` places them on a
    jittered hexagonal lattice (eosinophil granules fill the cytoplasm edge to edge);
    otherwise they are scattered at random and may overlap. Each granule's density is
    drawn from ``weight_range``.
    """
    ys, xs = np.nonzero(region)
    if len(ys) == 0 or count <= 0:
        return np.zeros((size, size), np.float32)
    if packed:
        gy, gx = _hex_lattice(rng, ys, xs, spacing=2.15 * radius_px)
        keep = region[np.clip(np.round(gy).astype(int), 0, size - 1), np.clip(np.round(gx).astype(int), 0, size - 1)]
        gy, gx = gy[keep], gx[keep]
        if len(gy) > count:
            pick = rng.choice(len(gy), count, replace=False)
            gy, gx = gy[pick], gx[pick]
    else:
        pick = rng.integers(0, len(ys), count)
        gy = ys[pick] + rng.uniform(-0.5, 0.5, count)
        gx = xs[pick] + rng.uniform(-0.5, 0.5, count)
    radii = radius_px * np.exp(rng.normal(0, size_spread, len(gy)))
    return discs(size, gy, gx, radii, rng.uniform(*weight_range, len(gy)))


def _hex_lattice(rng: np.random.Generator, ys: np.ndarray, xs: np.ndarray, spacing: float):
    """Jittered hexagonal lattice points covering the bounding box of (ys, xs)."""
    spacing = max(spacing, 1.0)
    y0, y1, x0, x1 = ys.min() - spacing, ys.max() + spacing, xs.min() - spacing, xs.max() + spacing
    rows = np.arange(y0 + rng.uniform(0, spacing), y1, spacing * 0.866)
    cols = np.arange(x0 + rng.uniform(0, spacing), x1, spacing)
    gy = np.repeat(rows, len(cols))
    gx = np.tile(cols, len(rows)) + (np.arange(len(rows)).repeat(len(cols)) % 2) * spacing / 2
    jitter = 0.18 * spacing
    return gy + rng.normal(0, jitter, len(gy)), gx + rng.normal(0, jitter, len(gx))


def discs(size: int, ys: np.ndarray, xs: np.ndarray, radii: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Anti-aliased discs (density ``weights``) at sub-pixel centres, composited by maximum.

    >>> img = discs(16, np.array([8.0]), np.array([8.0]), np.array([3.0]), np.array([1.0]))
    >>> abs(float(img.sum()) - np.pi * 9) < 1.0
    True
    """
    out = np.zeros((size, size), np.float32)
    if len(ys) == 0:
        return out
    reach = int(np.ceil(float(np.max(radii)) + 1))
    off = np.arange(-reach, reach + 1)
    oy, ox = np.meshgrid(off, off, indexing="ij")
    cy, cx = np.round(ys).astype(np.int64), np.round(xs).astype(np.int64)
    py = cy[:, None, None] + oy[None]
    px = cx[:, None, None] + ox[None]
    dist = np.hypot(py - ys[:, None, None], px - xs[:, None, None])
    # Coverage of a pixel by a disc edge (distance field box-filtered), slightly denser rim.
    cover = np.clip(radii[:, None, None] - dist + 0.5, 0.0, 1.0)
    value = (cover * weights[:, None, None]).astype(np.float32)
    ok = (py >= 0) & (py < size) & (px >= 0) & (px < size) & (value > 0)
    np.maximum.at(out, (py[ok], px[ok]), value[ok])
    return out


def speckle(size: int, rng: np.random.Generator, px: float) -> np.ndarray:
    """Non-negative fine texture (~``px`` wide grains) for cytoplasm ground-glass look."""
    return np.maximum(fractal_noise(size, rng, px, octaves=2, gain=0.6), 0.0)
