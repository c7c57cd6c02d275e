"""Geometry of the five leukocyte types: the cell outline and the nucleus as distance fields.

Sizes are drawn in micrometres (apparent sizes in a smear) and converted with
``px_per_um``, so every type keeps its size relative to the red cells.

>>> import numpy as np
>>> cell = draw_leukocyte("lymphocyte", 128, 4.0, np.random.default_rng(1))
>>> bool(((cell.nucleus > 0) <= (cell.outline > 0)).all())  # nucleus inside the cell
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leuko_keras.synth.shapes import capsule, grid, polar_blob

CELL_TYPES: tuple[str, ...] = ("neutrophil", "eosinophil", "basophil", "lymphocyte", "monocyte")

# Apparent diameters in micrometres (red cell = 7.5 um): above atlas values because cells flatten in a
# smear; matched to the cell/crop area ratios of the shared CellaVision crops.
_DIAMETER_UM = {
    "neutrophil": (14.0, 17.0),
    "eosinophil": (14.5, 17.5),
    "basophil": (12.5, 15.0),
    "lymphocyte": (10.5, 14.5),
    "monocyte": (17.0, 21.0),
}


@dataclass
class Leukocyte:
    """One white cell: fields in pixels (positive inside), centre and radius of the outline."""

    cell_type: str
    outline: np.ndarray
    nucleus: np.ndarray
    centre: tuple[float, float]
    radius: float


def draw_leukocyte(cell_type: str, size: int, px_per_um: float, rng: np.random.Generator) -> Leukocyte:
    """Draw the outline and nucleus of a ``cell_type`` cell near the centre of a ``size`` crop."""
    if cell_type not in _DIAMETER_UM:
        raise ValueError(f"unknown cell type {cell_type!r}; choose one of {', '.join(CELL_TYPES)}")
    yy, xx = grid(size)
    lo, hi = _DIAMETER_UM[cell_type]
    radius = 0.5 * rng.uniform(lo, hi) * px_per_um
    # Outlines reach ~1.3x the radius (aspect, wobble, ruffles): cap it so the cell fits in the crop.
    radius = min(radius, (0.5 * size - 4.0) / 1.35)
    jitter = 0.06 * size
    cy, cx = size / 2 + rng.uniform(-jitter, jitter), size / 2 + rng.uniform(-jitter, jitter)
    rough = {"monocyte": 0.05, "basophil": 0.035}.get(cell_type, 0.025)
    aspect = rng.uniform(1.0, 1.25 if cell_type == "monocyte" else 1.12)
    outline = polar_blob(
        yy,
        xx,
        cy,
        cx,
        radius,
        rng,
        roughness=rough,
        harmonics=16,
        aspect=aspect,
        angle=rng.uniform(0, np.pi),
        margin=4.0,
        # Membrane ruffles: sub-micrometre edge detail for super-resolution to restore.
        ruffle_px=min(0.05 * px_per_um, 0.6),
    )
    outline, (cy, cx) = _keep_inside(outline, cy, cx)
    maker = {
        "neutrophil": _lobed_nucleus,
        "eosinophil": _lobed_nucleus,
        "basophil": _lobed_nucleus,
        "lymphocyte": _round_nucleus,
        "monocyte": _kidney_nucleus,
    }[cell_type]
    nucleus = maker(cell_type, yy, xx, cy, cx, radius, px_per_um, rng)
    # A rim of cytoplasm always separates nucleus and background (true of stained smears, and it
    # keeps the map's topology valid: nucleus inside cytoplasm).
    # 1.6 px, not 1: the fields are only approximately Euclidean (squashed ellipses, wobble).
    rim = max(1.6, (0.25 if cell_type == "lymphocyte" else 0.6) * px_per_um)
    nucleus = np.minimum(nucleus, outline - rim)
    # Where the approximate distances still let the nucleus reach the edge, push it back one pixel.
    inside = outline > 0
    core = inside.copy()
    core[1:] &= inside[:-1]
    core[:-1] &= inside[1:]
    core[:, 1:] &= inside[:, :-1]
    core[:, :-1] &= inside[:, 1:]
    nucleus = np.where(core, nucleus, np.minimum(nucleus, -0.5))
    return Leukocyte(cell_type, outline, nucleus, (cy, cx), radius)


def _keep_inside(field: np.ndarray, cy: float, cx: float, pad: int = 2) -> tuple[np.ndarray, tuple[float, float]]:
    """Shift a cell outline by whole pixels so it stays ``pad`` px clear of the crop border."""
    ys, xs = np.nonzero(field > -1.0)
    n = field.shape[0]
    shift = []
    for lo, hi in ((ys.min(), ys.max()), (xs.min(), xs.max())):
        shift.append(int(pad - lo) if lo < pad else int(n - 1 - pad - hi) if hi > n - 1 - pad else 0)
    dy, dx = shift
    if dy == 0 and dx == 0:
        return field, (cy, cx)
    moved = np.roll(field, (dy, dx), axis=(0, 1))
    # Rows and columns wrapped round from the far side were far outside the cell: make them plain outside.
    far = float(field.min())
    if dy > 0:
        moved[:dy] = far
    elif dy < 0:
        moved[dy:] = far
    if dx > 0:
        moved[:, :dx] = far
    elif dx < 0:
        moved[:, dx:] = far
    return moved, (cy + dy, cx + dx)


def _lobed_nucleus(cell_type, yy, xx, cy, cx, radius, ppu, rng) -> np.ndarray:
    """Segmented nucleus: a chain of lobes joined by thin chromatin filaments."""
    # Lobe sizes scale with the cell: the nucleus covers ~35% of a neutrophil's area in the real crops.
    if cell_type == "neutrophil":
        n_lobes = int(rng.choice([3, 4, 5], p=[0.45, 0.4, 0.15]))
        lobe_r = radius * rng.uniform(0.3, 0.35) * np.sqrt(3.0 / n_lobes)  # more lobes, smaller lobes
        bridge = rng.uniform(0.2, 0.4) * ppu
    elif cell_type == "eosinophil":
        n_lobes = int(rng.choice([2, 3], p=[0.85, 0.15]))
        lobe_r = radius * rng.uniform(0.33, 0.4) * (0.85 if n_lobes == 3 else 1.0)
        bridge = rng.uniform(0.25, 0.5) * ppu
    else:  # basophil: bilobed or irregular, mostly hidden by granules anyway
        n_lobes = int(rng.choice([1, 2], p=[0.4, 0.6]))
        lobe_r = radius * rng.uniform(0.34, 0.42) * (1.3 if n_lobes == 1 else 1.0)
        bridge = rng.uniform(0.6, 1.0) * ppu
    centres = _lobe_path(n_lobes, lobe_r, radius, rng)
    field = None
    for k, (oy, ox) in enumerate(centres):
        lobe = polar_blob(
            yy,
            xx,
            cy + oy,
            cx + ox,
            lobe_r * rng.uniform(0.85, 1.1),
            rng,
            roughness=0.06,
            aspect=rng.uniform(1.0, 1.5),
            angle=rng.uniform(0, np.pi),
            margin=4 * ppu,
        )
        if field is None:
            field = lobe
            continue
        py, px = centres[k - 1]
        link = capsule(yy, xx, (cy + py, cx + px), (cy + oy, cx + ox), bridge)
        field = np.maximum(np.maximum(field, lobe), link)
    return field


def _lobe_path(n_lobes: int, lobe_r: float, radius: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Lobe centres along a curling path (the horseshoe-to-rosette shapes of segmented nuclei)."""
    # Lobes nearly touch and the chain curls, so the nucleus reads as one segmented mass, not a string.
    step = lobe_r * rng.uniform(1.85, 2.3)
    heading = rng.uniform(0, 2 * np.pi)
    turn = rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 1.2) * min(1.0, 3.0 / max(n_lobes - 1, 1))
    pts = [(0.0, 0.0)]
    for _ in range(n_lobes - 1):
        heading += turn + rng.normal(0, 0.3)
        y, x = pts[-1]
        pts.append((y + step * np.sin(heading), x + step * np.cos(heading)))
    arr = np.array(pts)
    arr -= arr.mean(axis=0)
    arr += rng.normal(0, 0.08 * radius, size=2)  # nuclei sit off-centre
    # Shrink the path until every lobe fits inside the cell with a margin.
    limit = radius - lobe_r * 1.25 - 0.5
    reach = np.hypot(arr[:, 0], arr[:, 1]).max()
    if reach > limit > 0:
        arr *= limit / reach
    return [(float(a), float(b)) for a, b in arr]


def _round_nucleus(cell_type, yy, xx, cy, cx, radius, ppu, rng) -> np.ndarray:
    """Lymphocyte: a large round nucleus filling most of the cell, a little eccentric."""
    n_r = radius * rng.uniform(0.7, 0.86)
    room = max(radius - n_r - 0.3 * ppu, 0.0)
    ang = rng.uniform(0, 2 * np.pi)
    off = rng.uniform(0.3, 1.0) * room
    field = polar_blob(
        yy,
        xx,
        cy + off * np.sin(ang),
        cx + off * np.cos(ang),
        n_r,
        rng,
        roughness=0.03,
        aspect=rng.uniform(1.0, 1.12),
        angle=rng.uniform(0, np.pi),
        margin=4 * ppu,
    )
    if rng.random() < 0.3:  # shallow cleft, common in real lymphocytes
        a2 = rng.uniform(0, 2 * np.pi)
        notch = polar_blob(
            yy,
            xx,
            cy + 1.15 * n_r * np.sin(a2),
            cx + 1.15 * n_r * np.cos(a2),
            0.3 * n_r,
            rng,
            roughness=0.0,
            margin=4 * ppu,
        )
        field = np.minimum(field, -notch)
    return field


def _kidney_nucleus(cell_type, yy, xx, cy, cx, radius, ppu, rng) -> np.ndarray:
    """Monocyte: a kidney or horseshoe nucleus (a blob with an off-centre bite), eccentric."""
    n_r = radius * rng.uniform(0.56, 0.68)
    ang = rng.uniform(0, 2 * np.pi)
    off = rng.uniform(0.15, 0.3) * radius
    ny, nx = cy + off * np.sin(ang), cx + off * np.cos(ang)
    body = polar_blob(
        yy,
        xx,
        ny,
        nx,
        n_r,
        rng,
        roughness=0.05,
        aspect=rng.uniform(1.1, 1.45),
        angle=ang + np.pi / 2 + rng.normal(0, 0.2),
        margin=4 * ppu,
    )
    # The bite faces the cell centre, as the hof (Golgi zone) of a real monocyte does.
    depth = rng.uniform(0.75, 1.15)
    bite_r = n_r * rng.uniform(0.4, 0.65)
    by, bx = ny - depth * n_r * np.sin(ang), nx - depth * n_r * np.cos(ang)
    bite = polar_blob(yy, xx, by, bx, bite_r, rng, roughness=0.04, margin=4 * ppu)
    return np.minimum(body, -bite)
