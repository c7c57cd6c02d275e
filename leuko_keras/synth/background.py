"""The smear around the white cell: red blood cells with pale centres, and platelets.

Both are background (class 0) in the parsing map, as in the shared real data.

>>> import numpy as np
>>> rbc, plt = smear_background(96, 3.0, (48.0, 48.0), 15.0, np.random.default_rng(0))
>>> rbc.shape, bool(rbc.max() > 0.5)
((96, 96), True)
"""

from __future__ import annotations

import numpy as np

from leuko_keras.synth.shapes import coverage, fractal_noise, gaussian_blur, grid, polar_blob, splat

RBC_DIAMETER_UM = 7.5


def smear_background(
    size: int,
    px_per_um: float,
    wbc_centre: tuple[float, float],
    wbc_radius: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(rbc_density, platelet_density)`` maps, each >= 0.

    Red cells are placed at random (a few may overlap each other and tuck under
    the white cell's edge); the biconcave disc shows as a pale centre and a
    denser rim.
    """
    yy, xx = grid(size)
    rbc = np.zeros((size, size), np.float32)
    crowd = rng.uniform(0.5, 1.0)  # thin to crowded smear regions
    r_mean = 0.5 * RBC_DIAMETER_UM * px_per_um
    area = (size + 2 * r_mean) ** 2
    target = int(crowd * 0.85 * area / (np.pi * r_mean**2))
    placed: list[tuple[float, float, float]] = []
    wy, wx = wbc_centre
    for _ in range(target * 6):
        if len(placed) >= target:
            break
        r = r_mean * rng.uniform(0.88, 1.12)
        cy, cx = rng.uniform(-r, size + r, 2)
        # Red cells touch or slide a little under the white cell, never cover its middle.
        if np.hypot(cy - wy, cx - wx) < wbc_radius + r * rng.uniform(0.55, 0.95):
            continue
        # Most red cells barely touch; some overlap, as in thicker parts of a smear.
        spacing = 0.65 if rng.random() < 0.15 else 0.92
        if any(np.hypot(cy - py, cx - px) < (r + pr) * spacing for py, px, pr in placed):
            continue
        placed.append((cy, cx, r))
    for cy, cx, r in placed:
        _add_red_cell(rbc, yy, xx, cy, cx, r, rng)
    platelets = _platelets(size, px_per_um, rng)
    return rbc, platelets


def _add_red_cell(rbc: np.ndarray, yy, xx, cy, cx, r, rng) -> None:
    """Add the density of one biconcave red cell to ``rbc`` in place: denser rim, pale centre."""
    y0, y1 = int(max(cy - r - 3, 0)), int(min(cy + r + 4, yy.shape[0]))
    x0, x1 = int(max(cx - r - 3, 0)), int(min(cx + r + 4, yy.shape[1]))
    if y0 >= y1 or x0 >= x1:
        return
    sy, sx = yy[y0:y1, x0:x1], xx[y0:y1, x0:x1]
    field = polar_blob(
        sy, sx, cy, cx, r, rng, roughness=0.02, harmonics=6, aspect=rng.uniform(1.0, 1.12), angle=rng.uniform(0, np.pi)
    )
    rho = np.hypot(sy - cy, sx - cx) / r
    pale = rng.uniform(0.45, 0.85)
    centre_size = rng.uniform(0.35, 0.55)
    profile = 1.0 - pale * np.exp(-((rho / centre_size) ** 4))
    # Slightly denser band just inside the rim (the doughnut's thick edge).
    profile += 0.12 * np.exp(-(((rho - 0.78) / 0.15) ** 2))
    # Overlapping red cells add up (Beer-Lambert): their overlap looks darker, as in real smears.
    rbc[y0:y1, x0:x1] += coverage(field) * profile * rng.uniform(0.85, 1.1)


def _platelets(size: int, px_per_um: float, rng: np.random.Generator) -> np.ndarray:
    """A few small purple platelets (2 um) and stain specks scattered over the plasma."""
    n = int(rng.poisson(2.0 * (size / 256) ** 2))
    if n == 0:
        return np.zeros((size, size), np.float32)
    ys, xs = rng.uniform(0, size, n), rng.uniform(0, size, n)
    r = 0.8 * px_per_um
    pts = splat(size, ys, xs, rng.uniform(0.6, 1.2, n)) * (2 * np.pi * (r / 1.5) ** 2)
    body = gaussian_blur(pts, r / 1.5)
    grain = 1.0 + 0.5 * fractal_noise(size, rng, max(1.5, 0.4 * px_per_um), octaves=1)
    return np.clip(body * 1.6, 0, 1.5) * np.maximum(grain, 0.2)
