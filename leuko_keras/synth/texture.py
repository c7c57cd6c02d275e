"""Fine structure: nuclear chromatin and cytoplasmic granules (what super-resolution must restore).

>>> import numpy as np
>>> tex = chromatin(64, np.random.default_rng(0), 4.0, "lymphocyte")
>>> tex.shape, bool(tex.min() >= 0)
((64, 64), True)
"""

from __future__ import annotations

import numpy as np

from leuko_keras.synth.shapes import fractal_noise, gaussian_blur, splat

# Chromatin per type: (block size um, block contrast, pale-spot share, spot size um, base density).
_CHROMATIN = {
    "neutrophil": (1.4, 0.30, 0.35, 0.45, 1.05),
    "eosinophil": (1.5, 0.25, 0.30, 0.45, 0.95),
    "basophil": (1.5, 0.20, 0.20, 0.5, 0.75),
    "lymphocyte": (1.6, 0.30, 0.45, 0.45, 1.05),
    "monocyte": (1.2, 0.25, 0.55, 0.4, 0.82),  # lacy, paler chromatin
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
    density = base * (1.0 + block_contrast * (2.0 * clumps - 1.0)) * (1.0 - 0.5 * pale)
    density += 0.08 * base * fine
    return np.maximum(density, 0.05).astype(np.float32)


def granules(
    size: int,
    rng: np.random.Generator,
    region: np.ndarray,
    count: int,
    radius_px: float,
    crisp: float = 6.0,
    size_spread: float = 0.25,
) -> np.ndarray:
    """Density in [0, 1] of ``count`` round granules scattered over ``region`` (bool mask).

    Granules of two radii are splatted and blurred, then a soft threshold gives them
    sharp rims (refractile eosinophil granules) rather than Gaussian fuzz.
    """
    ys, xs = np.nonzero(region)
    if len(ys) == 0 or count <= 0:
        return np.zeros((size, size), np.float32)
    out = np.zeros((size, size), np.float32)
    for scale in (1.0 - size_spread, 1.0 + size_spread):
        n = count // 2
        pick = rng.integers(0, len(ys), n)
        jy = ys[pick] + rng.uniform(-0.5, 0.5, n)
        jx = xs[pick] + rng.uniform(-0.5, 0.5, n)
        r = max(0.5, radius_px * scale)
        pts = splat(size, jy, jx, rng.uniform(0.7, 1.3, n)) * (2 * np.pi * r * r * 0.5)
        blob = gaussian_blur(pts, r / 1.4)
        out = np.maximum(out, blob)
    # blob peak ~ 1 at a lone granule centre; the logistic gives a crisp edge at half height.
    dens = 1.0 / (1.0 + np.exp(-crisp * (out - 0.45)))
    dens -= 1.0 / (1.0 + np.exp(crisp * 0.45))
    return np.clip(dens, 0.0, 1.0).astype(np.float32)


def speckle(size: int, rng: np.random.Generator, px: float) -> np.ndarray:
    """Non-negative fine texture (~``px`` wide grains) for cytoplasm ground-glass look."""
    return np.maximum(fractal_noise(size, rng, px, octaves=2, gain=0.6), 0.0)
