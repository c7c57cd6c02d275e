"""Run a fixed-size SR model over an image of any size: overlapping tiles, blended seams.

Tiles start on multiples of ``align`` LR pixels, so a U-Net inside the model
sees the same pooling grid as on the whole image, and overlap by
``overlap`` LR pixels. Across each overlap the two tiles cross-fade over its
middle half: the quarter of the overlap next to each tile's edge (where the
network saw padding instead of the neighbouring pixels) gets no weight. The
image is padded at the bottom/right by symmetric reflection (the edge pixel
repeated, MATLAB's bicubic border rule), like whole-image inference.

>>> import numpy as np
>>> starts(100, 56, 12)
[0, 44]
>>> starts(101, 56, 12)
[0, 44, 88]
>>> w = ramp_weights(56 * 4, 12 * 4, first=True, last=False)
>>> float(w[0]), float(w[-1])
(1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Model = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile start offsets covering ``length`` (the last tile may run past the end: padding fills it)."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    count = -(-(length - tile) // stride) + 1
    return [index * stride for index in range(count)]


def default_overlap(tile: int, align: int) -> int:
    """A quarter of the tile, rounded up to the alignment, and less than the tile.

    >>> default_overlap(56, 4)
    16
    """
    overlap = -(-max(align, tile // 4) // align) * align
    return min(overlap, tile - align)


def ramp_weights(size: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    """1-D blend weights of one tile of ``size`` HR pixels; neighbours' weights sum to 1 in each overlap."""
    weights = np.ones(size, dtype=np.float64)
    if overlap <= 0:
        return weights
    band = max(1.0, overlap / 2.0)
    x = np.arange(overlap, dtype=np.float64)
    # ramp(x) + ramp(overlap - 1 - x) == 1: the two tiles' weights are complementary.
    ramp = np.clip((x + 0.5 - overlap / 2.0) / band + 0.5, 0.0, 1.0)
    if not first:
        weights[:overlap] = ramp
    if not last:
        weights[size - overlap :] = np.minimum(weights[size - overlap :], ramp[::-1])
    return weights


def _pad_symmetric(image: np.ndarray, height: int, width: int) -> np.ndarray:
    # Repeated because np.pad's symmetric mode cannot pad by more than the image size at once.
    while image.shape[0] < height or image.shape[1] < width:
        ph = min(height - image.shape[0], image.shape[0]) if image.shape[0] < height else 0
        pw = min(width - image.shape[1], image.shape[1]) if image.shape[1] < width else 0
        image = np.pad(image, ((0, ph), (0, pw)), mode="symmetric")
    return image


def check_overlap(tile: int, overlap: int, align: int) -> None:
    """Raise ValueError unless ``0 <= overlap < tile`` and ``tile - overlap`` is a multiple of ``align``."""
    if not 0 <= overlap < tile:
        raise ValueError(f"--overlap {overlap}: must be at least 0 and below the tile size {tile} (LR pixels)")
    if (tile - overlap) % align:
        raise ValueError(
            f"--overlap {overlap}: tile {tile} minus overlap must be a multiple of {align} LR pixels "
            "(the U-Net's pooling grid); use a multiple of that"
        )


def run_tiled(
    model: Model, lr: np.ndarray, tile: int, scale: int, overlap: int, align: int = 1
) -> tuple[np.ndarray, np.ndarray | None]:
    """Super-resolve an (h, w) LR luminance with a model taking (tile, tile) inputs.

    ``model(lr_tile) -> (sr (T, T), probs (T, T, C) or None)`` with T = tile * scale.
    Returns the SR luminance (h*s, w*s) and blended probabilities (or None).
    """
    check_overlap(tile, overlap, align)
    h, w = lr.shape
    rows, cols = starts(h, tile, overlap), starts(w, tile, overlap)
    padded = _pad_symmetric(np.asarray(lr, dtype=np.float32), rows[-1] + tile, cols[-1] + tile)
    big = tile * scale
    sr_sum = np.zeros((padded.shape[0] * scale, padded.shape[1] * scale), dtype=np.float64)
    weight_sum = np.zeros_like(sr_sum)
    prob_sum = None
    for i, top in enumerate(rows):
        wy = ramp_weights(big, overlap * scale, i == 0, i == len(rows) - 1)
        for j, left in enumerate(cols):
            wx = ramp_weights(big, overlap * scale, j == 0, j == len(cols) - 1)
            weight = np.outer(wy, wx)
            sr, probs = model(padded[top : top + tile, left : left + tile])
            window = (slice(top * scale, top * scale + big), slice(left * scale, left * scale + big))
            sr_sum[window] += weight * sr
            weight_sum[window] += weight
            if probs is not None:
                if prob_sum is None:
                    prob_sum = np.zeros((*sr_sum.shape, probs.shape[-1]), dtype=np.float64)
                prob_sum[window] += weight[..., None] * probs
    sr = (sr_sum / weight_sum)[: h * scale, : w * scale]
    if prob_sum is None:
        return sr, None
    return sr, (prob_sum / weight_sum[..., None])[: h * scale, : w * scale]
