"""Signed-distance shapes, smooth noise and blurs for the synthetic smears (NumPy only).

Every shape is a *field*: an array of approximate signed distances in pixels,
positive inside. Labels come from ``field > 0`` and the picture from
``coverage(field)``, so the parsing map is exact for the drawn geometry.

>>> yy, xx = grid(32)
>>> disc = polar_blob(yy, xx, 16, 16, 8, np.random.default_rng(0), roughness=0)
>>> abs(int((disc > 0).sum()) - np.pi * 8**2) < 10
True
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_TABLE = 2048  # angular samples of a blob outline (sub-pixel even for 1000 px radii)


def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``(yy, xx)`` of a ``size`` x ``size`` image, float32."""
    axis = np.arange(size, dtype=np.float32)
    return axis[:, None] + np.zeros((1, size), np.float32), axis[None, :] + np.zeros((size, 1), np.float32)


def polar_blob(
    yy: np.ndarray,
    xx: np.ndarray,
    cy: float,
    cx: float,
    radius: float,
    rng: np.random.Generator,
    roughness: float = 0.04,
    harmonics: int = 10,
    aspect: float = 1.0,
    angle: float = 0.0,
    margin: float | None = None,
    ruffle_px: float = 0.0,
) -> np.ndarray:
    """Star-shaped blob: an ellipse whose radius wobbles with random Fourier harmonics.

    ``roughness`` is the relative amplitude of the lowest harmonic; higher ones
    fall off as 1/k so outlines are smooth. ``ruffle_px`` adds fine edge detail
    (harmonics up to 3x higher, about that many pixels rms); the outline stays
    star-shaped, so the blob is always one piece without holes. With
    ``margin``, the field is computed only within ``margin`` px of the blob
    (much faster for small shapes) and is ``-margin`` farther out.
    """
    wobble_table = None
    bound = 1.0
    if roughness > 0 or ruffle_px > 0:
        # The wobble depends on the angle only: tabulate it once, then look it up per pixel.
        theta = np.linspace(-np.pi, np.pi, _TABLE + 1)
        ks = np.arange(2, harmonics + 2)
        amps = roughness * rng.normal(0, 1, len(ks)) * 2.0 / ks
        if ruffle_px > 0:
            extra = np.arange(harmonics + 2, 3 * harmonics + 2)
            # Amplitudes fall as 1/k: edges keep a gentle slope (the field stays close to a distance).
            weights = (harmonics + 2) / extra
            scale = (ruffle_px / radius) * np.sqrt(2.0 / np.sum(weights**2))
            ks = np.concatenate([ks, extra])
            amps = np.concatenate([amps, rng.normal(0, 1, len(extra)) * weights * scale])
        phases = rng.uniform(0, 2 * np.pi, len(ks))
        wobble_table = (1.0 + amps @ np.cos(np.outer(ks, theta) + phases[:, None])).astype(np.float32)
        bound = float(wobble_table.max())
    out = None
    if margin is not None:
        reach = radius * bound * np.sqrt(max(aspect, 1 / aspect)) + margin + 1
        y0, y1 = _span(cy, reach, yy.shape[0])
        x0, x1 = _span(cx, reach, yy.shape[1])
        out = np.full(yy.shape, -float(margin), np.float32)
        if y0 >= y1 or x0 >= x1:
            return out
        yy, xx = yy[y0:y1, x0:x1], xx[y0:y1, x0:x1]
    dy, dx = yy - cy, xx - cx
    cos_a, sin_a = np.cos(angle), np.sin(angle)
    # Rotate then squash: an ellipse with semi-axes radius*sqrt(aspect), radius/sqrt(aspect).
    u = (dx * cos_a + dy * sin_a) / np.sqrt(aspect)
    v = (-dx * sin_a + dy * cos_a) * np.sqrt(aspect)
    field = radius - np.hypot(u, v)
    if wobble_table is not None:
        index = ((np.arctan2(v, u) + np.pi) * (_TABLE / (2 * np.pi))).astype(np.int32)
        field += radius * (wobble_table[index] - 1.0)
    field = field.astype(np.float32)
    if out is None:
        return field
    out[y0:y1, x0:x1] = np.maximum(field, -float(margin))
    return out


def _span(centre: float, reach: float, n: int) -> tuple[int, int]:
    return max(int(np.floor(centre - reach)), 0), min(int(np.ceil(centre + reach)) + 1, n)


def capsule(
    yy: np.ndarray, xx: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], radius: float
) -> np.ndarray:
    """Exact signed distance (positive inside) of a segment ``p0``-``p1`` thickened by ``radius``."""
    (y0, x0), (y1, x1) = p0, p1
    vy, vx = y1 - y0, x1 - x0
    length2 = max(vy * vy + vx * vx, 1e-6)
    t = np.clip(((yy - y0) * vy + (xx - x0) * vx) / length2, 0.0, 1.0)
    return (radius - np.hypot(yy - (y0 + t * vy), xx - (x0 + t * vx))).astype(np.float32)


def smooth_union(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Union of two fields with a fillet of width ``k`` px (lobes joined like real nuclei, no crease)."""
    if k <= 0:
        return np.maximum(a, b)
    h = np.clip(0.5 - 0.5 * (a - b) / k, 0.0, 1.0)
    return (a * (1 - h) + b * h + k * h * (1 - h)).astype(np.float32)


def coverage(field: np.ndarray) -> np.ndarray:
    """Fraction of each pixel inside the shape (box-filter anti-aliasing of a distance field)."""
    return np.clip(field + 0.5, 0.0, 1.0).astype(np.float32)


def fractal_noise(
    size: int, rng: np.random.Generator, cell_px: float, octaves: int = 3, gain: float = 0.5
) -> np.ndarray:
    """Zero-mean, unit-std value noise whose coarsest blobs are about ``cell_px`` pixels wide.

    >>> n = fractal_noise(64, np.random.default_rng(0), 8.0)
    >>> n.shape, round(float(n.std()), 3)
    ((64, 64), 1.0)
    """
    total = np.zeros((size, size), np.float32)
    amp = 1.0
    for _ in range(octaves):
        span = size / max(cell_px, 1.0)  # lattice cells across the image
        cells = int(np.ceil(span)) + 4
        coarse = Image.fromarray(rng.standard_normal((cells, cells)).astype(np.float32), "F")
        # Bicubic interpolation of a random lattice is value noise; PIL does it in C at the output size.
        off = 1.0 + float(rng.uniform(0, 1))
        total += amp * np.asarray(coarse.resize((size, size), Image.BICUBIC, box=(off, off, off + span, off + span)))
        amp *= gain
        cell_px /= 2.0
    total -= total.mean()
    return total / (total.std() + 1e-6)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with mirrored borders over axes 0 and 1 (extra axes carried along).

    >>> float(gaussian_blur(np.ones((8, 8)), 1.5).mean())
    1.0
    """
    out = np.asarray(img, dtype=np.float32)
    if sigma <= 0.05:
        return out.copy()
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    kernel /= kernel.sum()
    out = _blur_rows(out, kernel, radius)
    return _blur_rows(out.swapaxes(0, 1), kernel, radius).swapaxes(0, 1).copy()


def _blur_rows(img: np.ndarray, kernel: np.ndarray, radius: int) -> np.ndarray:
    pad = [(radius, radius)] + [(0, 0)] * (img.ndim - 1)
    padded = np.pad(img, pad, mode="symmetric" if img.shape[0] > radius else "edge")
    n = img.shape[0]
    acc = kernel[0] * padded[0:n]
    for i in range(1, len(kernel)):
        acc += kernel[i] * padded[i : i + n]
    return acc


def splat(size: int, ys: np.ndarray, xs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Point masses at (ys, xs) accumulated on a size x size grid (blur afterwards to give them a shape)."""
    img = np.zeros((size, size), np.float32)
    iy = np.clip(np.round(ys).astype(np.int64), 0, size - 1)
    ix = np.clip(np.round(xs).astype(np.int64), 0, size - 1)
    np.add.at(img, (iy, ix), weights.astype(np.float32))
    return img
