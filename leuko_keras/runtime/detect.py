"""Find leukocytes in a low-power field from the prior's parsing map, at LR (NumPy only).

The model runs once over the LR field in tiles (:func:`leuko_keras.runtime.tiling.iter_strips`); each
finished strip's class probabilities are averaged over ``scale x scale`` blocks back to the LR grid, so
only an LR-sized nucleus map is ever kept (a float16 image: 128 MB for an 8192 x 8192 field).

Rules (measured on the BCCD fields, see docs/screen.md):

- **Nucleus, not cytoplasm.** The shipped priors were trained on single-cell crops; on a whole field they
  call almost every pixel cytoplasm (94% of a BCCD field at x4), but their nucleus class picks out
  leukocyte nuclei. A leukocyte is therefore found by its nucleus: LR pixels whose pooled nucleus
  probability exceeds ``threshold``.
- **One cell per nucleus group.** Nucleus pixels closer than ``2 join + 1`` LR pixels are one group (the
  lobes of a neutrophil are one cell); two touching leukocytes have two groups, hence two cells.
- **Red cells and platelets do not count.** A red cell has no nucleus, so it makes no group unless the
  map errs; a platelet (2-3 um against a 7-12 um leukocyte nucleus) or a stray spot makes a small one.
  Groups with fewer than ``min_nucleus_area`` LR pixels are dropped.
- **The stain rule** (colour fields only; the network sees luminance alone): a nucleus pixel must also be
  bluer than the field's median by ``min_blue`` in Cb (Romanowsky stains turn nuclei purple-blue and red
  cells pink), which removes the dark rims of red cells the luminance-only prior takes for nuclei.
- **The cell's box** is the group's box grown by ``expand`` times its larger side on every side (the
  cytoplasm rim around the nucleus), clipped to the field; a box that had to be clipped, or a nucleus on
  the field's edge, is flagged ``touches_border`` (the cell is cut).

>>> prob = np.zeros((40, 60), np.float16); prob[10:20, 10:20] = 0.9; prob[30:32, 50:52] = 0.9
>>> [(d.box, d.touches_border) for d in find_cells(prob, DetectRules(min_nucleus_area=20))]
[((8, 8, 22, 22), False)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from leuko_keras.runtime.morphology import dilate, label_components
from leuko_keras.runtime.tiling import DEFAULT_HALO, DEFAULT_OVERLAP, Tiled, default_tile, iter_strips

# Defaults in HR pixels (the scale the priors were trained at), turned into LR pixels per model scale.
# Chosen on the 304 BCCD fields (docs/screen.md, benchmarks/screen.py): a leukocyte nucleus there is
# 3,000-10,000 HR px, a platelet a few hundred; the prior breaks lobed nuclei into pieces up to ~20 HR
# px apart (joining across 20 px instead of 8 lifts x4 recall from 0.80 to 0.90).
MIN_NUCLEUS_AREA_HR = 2500
JOIN_HR = 20


@dataclass(frozen=True)
class DetectRules:
    """The detection rules' parameters (LR pixels); see the module docstring."""

    threshold: float = 0.2
    join: int = 2
    min_nucleus_area: int = 39
    expand: float = 0.2
    min_blue: float = 0.1

    @classmethod
    def for_scale(cls, scale: int, min_area: float | None = None, **changes: float) -> DetectRules:
        """Rules for a model of ``scale``: nucleus floor and join distance in LR pixels (``min_area`` overrides).

        >>> [(r.min_nucleus_area, r.join) for r in (DetectRules.for_scale(4), DetectRules.for_scale(8))]
        [(156, 5), (39, 2)]
        """
        floor = min_area if min_area is not None else MIN_NUCLEUS_AREA_HR / scale**2
        join = max(1, int(JOIN_HR / scale))
        return cls(min_nucleus_area=max(1, int(floor)), join=join, **changes)


@dataclass(frozen=True)
class Detection:
    """One leukocyte found: its box ``(x0, y0, x1, y1)`` (LR pixels, end exclusive), nucleus pixels, cut flag."""

    box: tuple[int, int, int, int]
    nucleus_box: tuple[int, int, int, int]
    nucleus_area: int
    touches_border: bool


def nucleus_probability(
    backend: Tiled,
    lr_y: np.ndarray,
    tile: int | None = None,
    halo: int = DEFAULT_HALO,
    overlap: int = DEFAULT_OVERLAP,
    on_tile: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The prior's nucleus probability on the LR grid (float16, LR shape), from tiled strips.

    >>> from leuko_keras.runtime.tiling import Nearest
    >>> nucleus_probability(Nearest(2), np.zeros((8, 8)))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: this model has no parsing-map head; screening needs a model with a map (gp-lite-x4)
    """
    s = backend.scale
    height, width = np.asarray(lr_y).shape
    out = np.zeros((height, width), np.float16)
    for strip in iter_strips(backend, lr_y, tile or default_tile(s), halo, overlap, on_tile):
        if strip.probs is None:
            raise ValueError("this model has no parsing-map head; screening needs a model with a map (gp-lite-x4)")
        rows = strip.probs.shape[0] // s
        # Strips end on LR rows (tiles are cut on the LR grid), so blocks never straddle two strips.
        block = strip.probs[: rows * s, :, 2].reshape(rows, s, width, s).mean(axis=(1, 3))
        out[strip.row // s : strip.row // s + rows] = block
    return out


def find_cells(
    nucleus_prob: np.ndarray, rules: DetectRules | None = None, blue: np.ndarray | None = None
) -> list[Detection]:
    """Leukocytes of an LR nucleus-probability map (:func:`nucleus_probability`), in raster order of nuclei.

    ``blue``: the LR field's Cb minus its median (:func:`blueness`); None for a grey field (no stain rule).
    """
    rules = rules or DetectRules()
    nucleus = np.asarray(nucleus_prob, dtype=np.float32) > rules.threshold
    if blue is not None:
        nucleus &= np.asarray(blue, dtype=np.float32) > rules.min_blue
    groups, n = label_components(dilate(nucleus, rules.join))
    groups = np.where(nucleus, groups, 0)
    height, width = nucleus.shape
    found: list[Detection] = []
    if n == 0:
        return found
    areas = np.bincount(groups.ravel(), minlength=n + 1)
    for k in np.flatnonzero(areas[1:] >= rules.min_nucleus_area) + 1:
        ys, xs = np.nonzero(groups == k)
        nx0, ny0, nx1, ny1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
        grow = rules.expand * max(nx1 - nx0, ny1 - ny0)
        raw = (nx0 - grow, ny0 - grow, nx1 + grow, ny1 + grow)
        box = (
            max(0, round(raw[0])),
            max(0, round(raw[1])),
            min(width, round(raw[2])),
            min(height, round(raw[3])),
        )
        cut = raw[0] < 0 or raw[1] < 0 or raw[2] > width or raw[3] > height
        found.append(Detection(box, (nx0, ny0, nx1, ny1), int(areas[k]), bool(cut)))
    return found
