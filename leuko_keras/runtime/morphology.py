"""Cell measures from a parsing map (0 background, 1 cytoplasm, 2 nucleus), in NumPy only.

The device runner, ``screen`` and ``evaluate`` all measure here, so a number
means the same thing wherever it is printed. Nothing here needs SciPy or
scikit-image: the labeller, the erosions and the convex hull are written out
below (a few dozen lines each), which keeps the runtime floor installable on
a device.

- ``cell_area``, ``nucleus_area``: pixels labelled 1 or 2, and 2, in the cell
  (``_um2`` too when the pixel size is known);
- ``nc_ratio``: nucleus area / cytoplasm area (None without cytoplasm);
- ``nucleus_lobes``: :func:`count_lobes` (erosion, then connected components);
- ``nucleus_solidity``: nucleus area / area of the convex hull of its pixel squares;
- ``touches_border``: a cell pixel lies on the map's edge (the cell may be cut).

>>> labels = np.zeros((20, 20), np.uint8); labels[2:12, 2:12] = 1; labels[4:8, 4:8] = 2
>>> cell = measure_cells(labels)[0]
>>> cell.cell_area, cell.nucleus_area, round(cell.nc_ratio, 3), cell.nucleus_lobes, cell.touches_border
(100, 16, 0.19, 1, False)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

NUCLEUS, CYTOPLASM = 2, 1
# Lobe rule: erosion depth as a share of the nucleus's equivalent radius, and the smallest remnant kept
# (share of the nucleus area), so a crumb left by a ragged edge is not a lobe.
LOBE_DEPTH = 0.25
LOBE_MIN_SHARE = 0.04


def label_components(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Connected components of a boolean mask: (int32 labels 1..n, 0 outside; n).

    Runs of each row are the nodes; runs in neighbouring rows that touch are
    joined by min-label propagation with pointer jumping, all vectorised, so a
    field of millions of pixels is labelled in well under a second.

    >>> label_components(np.array([[1, 0, 1], [0, 1, 0]], bool))[1], label_components(np.eye(3, dtype=bool), 4)[1]
    (1, 3)
    """
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    row_s, col_s = np.nonzero(edges == 1)
    col_e = np.nonzero(edges == -1)[1]  # exclusive ends, in the same (row, column) order as the starts
    out = np.zeros((h, w), np.int32)
    n = len(row_s)
    if n == 0:
        return out, 0
    stride = w + 2
    start_key, end_key = row_s * stride + col_s, row_s * stride + col_e
    reach = 1 if connectivity == 8 else 0  # diagonal neighbours touch under 8-connectivity
    next_row = (row_s + 1) * stride
    lo = np.searchsorted(end_key, next_row + col_s - reach, side="right")
    hi = np.searchsorted(start_key, next_row + col_e + reach, side="left")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), counts)
    b = lo.repeat(counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    root = np.arange(n)
    while True:
        low = np.minimum(root[a], root[b])
        new = root.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping: a chain of k runs settles in about log k rounds
        if np.array_equal(new, root):
            break
        root = new
    ids = np.unique(root, return_inverse=True)[1].astype(np.int32) + 1
    out.flat[np.flatnonzero(mask)] = np.repeat(ids, col_e - col_s)
    return out, int(ids.max())


def dilate(mask: np.ndarray, steps: int = 1) -> np.ndarray:
    """Binary dilation by a (2 steps + 1)-pixel square (separable: rows, then columns).

    >>> int(dilate(np.pad(np.ones((1, 1), bool), 3), 2).sum())
    25
    """
    out = np.asarray(mask, dtype=bool)
    for _ in range(steps):
        out = _shift_reduce(out, np.logical_or, False)
    return out


def erode(mask: np.ndarray, steps: int = 1) -> np.ndarray:
    """Binary erosion by a (2 steps + 1)-pixel square; outside the map counts as set (no border bias).

    >>> int(erode(np.pad(np.ones((5, 5), bool), 2), 1).sum())
    9
    """
    out = np.asarray(mask, dtype=bool)
    for _ in range(steps):
        out = _shift_reduce(out, np.logical_and, True)
    return out


def _shift_reduce(mask: np.ndarray, op: np.ufunc, edge: bool) -> np.ndarray:
    rows = np.pad(mask, ((1, 1), (0, 0)), constant_values=edge)
    mask = op(op(rows[:-2], rows[1:-1]), rows[2:])
    cols = np.pad(mask, ((0, 0), (1, 1)), constant_values=edge)
    return op(op(cols[:, :-2], cols[:, 1:-1]), cols[:, 2:])


def hull_area(mask: np.ndarray) -> float:
    """Area of the convex hull of the mask's pixel squares (monotone chain on each row's outer corners).

    >>> hull_area(np.ones((3, 4), bool)), hull_area(np.eye(2, dtype=bool))
    (12.0, 3.0)
    """
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return 0.0
    rows = np.unique(ys)
    left = np.full(ys.max() + 1, np.iinfo(np.int64).max)
    right = np.full(ys.max() + 1, -1)
    np.minimum.at(left, ys, xs)
    np.maximum.at(right, ys, xs)
    lo, hi = left[rows], right[rows] + 1
    points = np.concatenate(
        [np.stack([lo, rows], 1), np.stack([lo, rows + 1], 1), np.stack([hi, rows], 1), np.stack([hi, rows + 1], 1)]
    )
    pts = sorted(set(map(tuple, points.tolist())))
    hull = _half_hull(pts) + _half_hull(pts[::-1])
    x = np.array([p[0] for p in hull], float)
    y = np.array([p[1] for p in hull], float)
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _half_hull(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # Andrew's monotone chain; drops the last point, which starts the other half.
    chain: list[tuple[int, int]] = []
    for p in points:
        while len(chain) >= 2:
            (ax, ay), (bx, by) = chain[-2], chain[-1]
            if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0:
                break
            chain.pop()
        chain.append(p)
    return chain[:-1]


def count_lobes(nucleus: np.ndarray) -> int:
    """Lobes of a nucleus mask: connected components left after eroding it by a quarter of its radius.

    Rule: erode by ``d = max(1, round(LOBE_DEPTH * r))`` pixels (square element), ``r`` the radius of the
    disc of the nucleus's area, and count the remnants holding at least ``LOBE_MIN_SHARE`` of its area.
    The filaments that join a segmented neutrophil's lobes are narrower than ``2 d`` and vanish; the
    lobes, about half the nucleus radius each, survive. Counting the components of an eroded set is
    marker extraction by erosion (J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press
    1982; P. Soille, *Morphological Image Analysis*, 2nd ed., Springer 2003, on ultimate erosion); the
    depth and share are ours, chosen on hand-made 1-, 2- and 3-lobe maps (tests/test_morphology.py).
    A nucleus whose erosion leaves nothing counts as one lobe.

    >>> yy, xx = np.mgrid[:30, :60]
    >>> two = ((yy - 15) ** 2 + (xx - 15) ** 2 < 100) | ((yy - 15) ** 2 + (xx - 45) ** 2 < 100) | (abs(yy - 15) < 1)
    >>> count_lobes(two)
    2
    """
    nucleus = np.asarray(nucleus, dtype=bool)
    area = int(nucleus.sum())
    if area == 0:
        return 0
    depth = max(1, round(LOBE_DEPTH * math.sqrt(area / math.pi)))
    core, n = label_components(erode(np.pad(nucleus, 1), depth))
    if n == 0:
        return 1
    sizes = np.bincount(core.ravel(), minlength=n + 1)[1:]
    return max(1, int((sizes >= LOBE_MIN_SHARE * area).sum()))


@dataclass(frozen=True)
class CellMeasures:
    """One cell's measures (pixels of the map measured; ``_um2`` only with a pixel size)."""

    cell_area: int
    nucleus_area: int
    nc_ratio: float | None
    nucleus_lobes: int
    nucleus_solidity: float | None
    touches_border: bool
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in the map's pixels
    centre: tuple[float, float]  # cx, cy
    cell_area_um2: float | None = None
    nucleus_area_um2: float | None = None

    def row(self) -> dict:
        """The CSV/JSON fields (box and centre flattened)."""
        record = asdict(self)
        x0, y0, x1, y1 = record.pop("box")
        cx, cy = record.pop("centre")
        return {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "cx": cx, "cy": cy, **record}


def measure_cell(labels: np.ndarray, cell: np.ndarray, pixel_size: float | None = None) -> CellMeasures:
    """Measures of the cell ``cell`` (boolean mask) in the map ``labels``; ``pixel_size`` in um per pixel.

    >>> labels = np.ones((4, 4), np.uint8); labels[1:3, 1:3] = 2
    >>> measure_cell(labels, labels > 0, pixel_size=0.5).nucleus_area_um2
    1.0
    """
    cell = np.asarray(cell, dtype=bool)
    nucleus = cell & (np.asarray(labels) == NUCLEUS)
    area, n_area = int(cell.sum()), int(nucleus.sum())
    cyto = area - n_area
    ys, xs = np.nonzero(cell)
    if area == 0:
        raise ValueError("measure_cell: the cell mask is empty")
    border = bool(ys.min() == 0 or xs.min() == 0 or ys.max() == cell.shape[0] - 1 or xs.max() == cell.shape[1] - 1)
    hull = hull_area(nucleus)
    um2 = None if pixel_size is None else float(pixel_size) ** 2
    return CellMeasures(
        cell_area=area,
        nucleus_area=n_area,
        nc_ratio=(n_area / cyto) if cyto else None,
        nucleus_lobes=count_lobes(nucleus),
        nucleus_solidity=(n_area / hull) if hull else None,
        touches_border=border,
        box=(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1),
        centre=(float(xs.mean()), float(ys.mean())),
        cell_area_um2=None if um2 is None else area * um2,
        nucleus_area_um2=None if um2 is None else n_area * um2,
    )


def split_cells(labels: np.ndarray, join: int = 2, min_area: int = 1) -> list[np.ndarray]:
    """Cell masks of a map: components of the cell pixels (1 or 2), split between their nuclei.

    Touching cells: a component holding several nucleus groups (nucleus pixels closer than ``2 join + 1``
    pixels are one group, so the lobes of one nucleus stay one cell) is shared out by growing each group
    through the component, one pixel ring at a time (a geodesic watershed without gradients); cytoplasm
    that no nucleus reaches stays with the first. Components smaller than ``min_area`` pixels are dropped.

    >>> labels = np.zeros((10, 21), np.uint8); labels[2:8, 1:20] = 1; labels[4:6, 3:5] = 2; labels[4:6, 16:18] = 2
    >>> [int(m.sum()) for m in split_cells(labels)]
    [60, 54]
    """
    labels = np.asarray(labels)
    cells, n = label_components(labels > 0)
    groups, _ = label_components(dilate(labels == NUCLEUS, join))
    groups = np.where(labels == NUCLEUS, groups, 0)
    masks: list[np.ndarray] = []
    for k in range(1, n + 1):
        region = cells == k
        if region.sum() < min_area:
            continue
        ids = [int(g) for g in np.unique(groups[region]) if g]
        if len(ids) <= 1:
            masks.append(region)
            continue
        masks += _share_out(region, np.where(region, groups, 0), ids)
    return masks


def _share_out(region: np.ndarray, seeds: np.ndarray, ids: list[int]) -> list[np.ndarray]:
    owner = seeds.copy()
    while True:
        free = region & (owner == 0)
        if not free.any():
            break
        grown = owner.copy()
        for g in ids:  # each group claims the free pixels next to it; the first claim wins a tie
            claim = free & (grown == 0) & dilate(owner == g)
            grown[claim] = g
        if np.array_equal(grown, owner):
            owner[free] = ids[0]
            break
        owner = grown
    return [owner == g for g in ids]


def measure_cells(labels: np.ndarray, pixel_size: float | None = None, min_area: int = 1) -> list[CellMeasures]:
    """Every cell of a map (:func:`split_cells`), measured (:func:`measure_cell`), in row-major order of boxes.

    >>> measure_cells(np.zeros((4, 4), np.uint8))
    []
    """
    return [measure_cell(labels, cell, pixel_size) for cell in split_cells(labels, min_area=min_area)]
