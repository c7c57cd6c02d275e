"""Super-resolve any size in overlapping tiles, blended, streamed as row strips.

Each tile is run with ``halo`` LR pixels of real context on every inner
side, of which only the core is kept, so a network whose receptive field
fits in the halo gives exactly the untiled result. Neighbouring cores also
overlap by ``overlap`` LR pixels and are cross-faded with linear ramps, which
hides what remains for networks with a larger field (the U-Net). The weights
of a tile are a row ramp times a column ramp over a grid, so their sum
factorises and no weight image is kept. Finished HR rows are handed out as
soon as no later tile touches them: peak memory is one strip of tiles, not
the whole output, which is what lets a 4096 x 4096 field fit in 2 GiB.

One tiler for the library (``predict``, ``evaluate`` with a fixed-size
TFLite model) and the on-device runner. It was chosen over a quarter-tile
fade without halo because, against the untiled result, it is exact for
networks whose field fits the halo (np-lite-x4: 112 dB vs 74 dB) and within
1 dB for the U-Net (gp-lite-x4: 75.0 vs 76.0 dB), and it streams.

>>> import numpy as np
>>> lr = np.random.default_rng(0).random((40, 52))
>>> tiled, _ = super_resolve_tiled(Nearest(2), lr, tile=24, halo=4, overlap=4)
>>> direct, _ = Nearest(2).run(lr)
>>> bool(np.allclose(tiled, direct, atol=1e-6))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# Networks with a U-Net need the HR side to be a multiple of this (gp) ...
HR_MULTIPLE = 16
# ... or the LR side a multiple of this (gp-lite's two poolings at LR).
LR_MULTIPLE = 4

# HR side of a tile: bounds a network's activation memory whatever the scale
# (64 feature maps of 512 x 512 float32 are 64 MB each).
TILE_HR = 512


def default_tile(scale: int) -> int:
    """LR tile side (halo included) giving ~512 HR pixels, at least 64 LR pixels.

    >>> default_tile(4), default_tile(8), default_tile(2)
    (128, 64, 256)
    """
    return max(64, TILE_HR // scale)


DEFAULT_HALO = 16
DEFAULT_OVERLAP = 8


class Tiled(Protocol):
    """What the tiler runs: ``run(lr_y) -> (sr_y, probs | None)`` at ``scale``, maybe on a fixed LR shape.

    ``tile_alignment`` (LR pixels), when the model states it, overrides :func:`lr_multiple`.
    """

    scale: int
    fixed_lr_shape: tuple[int, int] | None

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Super-resolve one LR luminance tile."""
        ...


@dataclass
class Nearest:
    """Pixel replication at ``scale``: a model with no context, for examples and tests.

    >>> Nearest(2).run(np.ones((2, 3)))[0].shape
    (4, 6)
    """

    scale: int
    fixed_lr_shape: tuple[int, int] | None = None

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, None]:
        """Repeat each pixel ``scale`` x ``scale`` times."""
        return np.kron(np.asarray(lr_y, dtype=np.float64), np.ones((self.scale, self.scale))), None


def lr_multiple(scale: int) -> int:
    """LR side multiple that suits every U-Net here: HR a multiple of 16 (gp) and LR of 4 (gp-lite).

    >>> lr_multiple(4), lr_multiple(3), lr_multiple(8)
    (4, 16, 4)
    """
    return math.lcm(HR_MULTIPLE, LR_MULTIPLE * scale) // scale


def pad_symmetric(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pad bottom/right to (height, width) by symmetric reflection (edge repeated, MATLAB's border rule).

    >>> pad_symmetric(np.array([[1, 2]]), 1, 4).tolist()
    [[1, 2, 2, 1]]
    >>> pad_symmetric(np.array([[1, 2]]), 1, 7).tolist()  # reflected again when wider than the image
    [[1, 2, 2, 1, 1, 2, 2]]
    """
    return np.pad(image, ((0, height - image.shape[0]), (0, width - image.shape[1])), mode="symmetric")


@dataclass(frozen=True)
class Window:
    """One tile along an axis: run on LR ``[start, stop)``, keep LR ``[core_start, core_stop)``."""

    start: int
    stop: int
    core_start: int
    core_stop: int


@dataclass(frozen=True)
class Strip:
    """Finished HR rows ``[row, row + len(sr))``: SR luminance and class probabilities (or None)."""

    row: int
    sr: np.ndarray
    probs: np.ndarray | None


def windows(length: int, tile: int, halo: int, overlap: int, align: int = 1) -> list[Window]:
    """Tile one axis of ``length`` LR pixels into windows of ``tile`` (halo included).

    All windows have the same size (fewer retraces, fixed-shape TFLite works);
    starts are multiples of ``align`` where possible so a U-Net sees the same
    pooling grid as on the whole image.

    >>> [(w.start, w.stop, w.core_start, w.core_stop) for w in windows(100, 48, 8, 4)]
    [(0, 48, 0, 40), (28, 76, 36, 68), (52, 100, 60, 100)]
    """
    if length <= tile:
        return [Window(0, length, 0, length)]
    if tile - 2 * halo - overlap < 1:
        raise ValueError(f"tile {tile} too small for halo {halo} and overlap {overlap}")
    result = [Window(0, tile, 0, tile - halo)]
    while result[-1].stop < length:
        start = (result[-1].core_stop - overlap - halo) // align * align
        if start <= result[-1].start:
            start = result[-1].core_stop - overlap - halo
        start = min(start, length - tile)
        stop = start + tile
        result.append(Window(start, stop, start + halo, stop - halo if stop < length else length))
    return result


def ramps(wins: list[Window], scale: int) -> list[np.ndarray]:
    """HR cross-fade weights over each window's core (1 at image borders, linear in the overlaps)."""
    out = []
    for i, w in enumerate(wins):
        n = (w.core_stop - w.core_start) * scale
        weight = np.ones(n, dtype=np.float64)
        if i > 0:
            left = max(0, (wins[i - 1].core_stop - w.core_start) * scale)
            if left:
                weight[:left] = np.minimum(weight[:left], (np.arange(left) + 0.5) / left)
        if i + 1 < len(wins):
            right = max(0, (w.core_stop - wins[i + 1].core_start) * scale)
            if right:
                weight[n - right :] = np.minimum(weight[n - right :], (right - np.arange(right) - 0.5) / right)
        out.append(weight)
    return out


def iter_strips(
    backend: Tiled,
    lr_y: np.ndarray,
    tile: int | None = None,
    halo: int = DEFAULT_HALO,
    overlap: int = DEFAULT_OVERLAP,
    on_tile: Callable[[int, int], None] | None = None,
) -> Iterator[Strip]:
    """Yield the SR image as strips of finished HR rows, top to bottom; ``on_tile(done, total)`` after each tile.

    >>> strips = list(iter_strips(Nearest(2), np.zeros((300, 20)), tile=64, halo=8, overlap=8))
    >>> sum(len(s.sr) for s in strips), len(strips) > 1
    (600, True)
    """
    lr = np.asarray(lr_y, dtype=np.float32)
    s = backend.scale
    height, width = lr.shape
    side = tile or default_tile(s)
    tile_h, tile_w = backend.fixed_lr_shape or (side, side)
    halo_h, halo_w = (min(halo, (t - 2) // 4) for t in (tile_h, tile_w))
    over_h, over_w = (min(overlap, (t - 2) // 4) for t in (tile_h, tile_w))
    align = getattr(backend, "tile_alignment", None) or lr_multiple(s)
    rows = windows(height, tile_h, halo_h, over_h, align)
    cols = windows(width, tile_w, halo_w, over_w, align)
    row_ramps, col_ramps = ramps(rows, s), ramps(cols, s)
    total, done_tiles = len(rows) * len(cols), 0
    col_total = np.zeros(width * s)
    for w, ramp in zip(cols, col_ramps, strict=True):
        col_total[w.core_start * s : w.core_stop * s] += ramp

    buf_row = 0  # HR row of buf[0]
    sr_buf = np.zeros((0, width * s), np.float64)
    prob_buf: np.ndarray | None = None
    row_total = np.zeros(0)
    for k, (rw, r_ramp) in enumerate(zip(rows, row_ramps, strict=True)):
        end = rw.core_stop * s
        grow = end - buf_row - sr_buf.shape[0]
        if grow > 0:
            sr_buf = np.concatenate([sr_buf, np.zeros((grow, width * s))])
            row_total = np.concatenate([row_total, np.zeros(grow)])
            if prob_buf is not None:
                prob_buf = np.concatenate([prob_buf, np.zeros((grow, width * s, 3), np.float32)])
        r0, r1 = rw.core_start * s - buf_row, end - buf_row
        row_total[r0:r1] += r_ramp
        for cw, c_ramp in zip(cols, col_ramps, strict=True):
            sr, probs = backend.run(lr[rw.start : rw.stop, cw.start : cw.stop])
            done_tiles += 1
            if on_tile is not None:
                on_tile(done_tiles, total)
            ys = slice((rw.core_start - rw.start) * s, (rw.core_stop - rw.start) * s)
            xs = slice((cw.core_start - cw.start) * s, (cw.core_stop - cw.start) * s)
            weight = r_ramp[:, None] * c_ramp[None, :]
            out_x = slice(cw.core_start * s, cw.core_stop * s)
            sr_buf[r0:r1, out_x] += sr[ys, xs] * weight
            if probs is not None:
                if prob_buf is None:
                    prob_buf = np.zeros((*sr_buf.shape, 3), np.float32)
                prob_buf[r0:r1, out_x] += probs[ys, xs] * weight[..., None].astype(np.float32)
        done = (rows[k + 1].core_start * s if k + 1 < len(rows) else height * s) - buf_row
        norm = row_total[:done, None] * col_total[None, :]
        strip_probs = None if prob_buf is None else prob_buf[:done] / norm[..., None].astype(np.float32)
        yield Strip(buf_row, sr_buf[:done] / norm, strip_probs)
        sr_buf, row_total = sr_buf[done:], row_total[done:]
        prob_buf = None if prob_buf is None else prob_buf[done:]
        buf_row += done


def super_resolve_tiled(
    backend: Tiled,
    lr_y: np.ndarray,
    tile: int | None = None,
    halo: int = DEFAULT_HALO,
    overlap: int = DEFAULT_OVERLAP,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole SR image (and probabilities) from the tiled strips; ``tile=None`` runs untiled when the backend allows.

    Evaluation uses ``tile=None`` (images of a few hundred pixels); prediction tiles.

    >>> super_resolve_tiled(Nearest(4), np.zeros((10, 12)), tile=None)[0].shape
    (40, 48)
    """
    if tile is None and backend.fixed_lr_shape is None:
        return backend.run(lr_y)
    strips = list(iter_strips(backend, lr_y, tile, halo, overlap))
    sr = np.concatenate([s.sr for s in strips])
    probs = None if strips[0].probs is None else np.concatenate([s.probs for s in strips])
    return sr, probs
