"""Screen low-power fields: find every leukocyte, super-resolve a crop around each, measure it (NumPy only).

One pipeline for ``leuko-keras screen`` (any backend) and ``leuko-keras-run --screen`` (a TFLite model),
so both write the same ``cells.csv``. Per field:

1. the detector's nucleus map over the whole LR field, tiled (:mod:`leuko_keras.runtime.detect`);
2. per cell, the LR crop (its box plus ``margin`` LR pixels) through the model: SR crop (Y by the network,
   Cb/Cr bicubic: :mod:`leuko_keras.runtime.rgb`) and its HR parsing map;
3. the cell on the HR map: labelled pixels (1 or 2) inside the ellipse inscribed in the cell's box (the
   shipped priors call the plasma around a cell cytoplasm too, so the map alone would not end the cell);
   measured by :func:`leuko_keras.runtime.morphology.measure_cell`.

Boxes and centres are in the input field's pixels (``x1``, ``y1`` exclusive); areas are HR pixels
divided by ``scale**2``, i.e. input pixels too, and um^2 with a pixel size (``--pixel-size`` or the
file's OME/ImageJ calibration), else empty.

>>> from pathlib import Path
>>> from leuko_keras.runtime.tiling import Nearest
>>> screen_image(Nearest(4), LoadedImage(np.zeros((4, 4)), 8, Path("x.png")), "x")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
leuko_keras.errors.LeukoInputError: x.png: 4x4 pixels is too small to screen; it needs at least 8x8

The files are written by :func:`leuko_keras.runtime.screen_files.screen_paths`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.color import rgb_to_ycbcr
from leuko_keras.runtime.detect import Detection, DetectRules, find_cells, nucleus_probability
from leuko_keras.runtime.imageio import LoadedImage, luminance
from leuko_keras.runtime.imresize import imresize
from leuko_keras.runtime.morphology import measure_cell
from leuko_keras.runtime.rgb import round_trip
from leuko_keras.runtime.tiling import DEFAULT_HALO, DEFAULT_OVERLAP, Tiled, default_tile, super_resolve_tiled

COLUMNS = (
    "field", "cell", "x0", "y0", "x1", "y1", "cx", "cy", "cell_area", "nucleus_area",
    "cell_area_um2", "nucleus_area_um2", "nc_ratio", "nucleus_lobes", "nucleus_solidity", "touches_border",
)  # fmt: skip
# Micrometres per unit of a file's calibration.
UM_PER_UNIT = {"um": 1.0, "µm": 1.0, "μm": 1.0, "micron": 1.0, "microns": 1.0, "nm": 1e-3, "mm": 1e3}
MARGIN_SHARE = 0.25  # default crop margin: a quarter of the box's larger side, enough context for the U-Net


@dataclass(frozen=True)
class ScreenOptions:
    """How to screen: detection rules, crop margin (LR px; None: a quarter of the box), pixel size override
    (um per input pixel), tiling, and an optional second detector model run on the field shrunk ``shrink`` x."""

    rules: DetectRules | None = None
    margin: int | None = None
    pixel_size: float | None = None
    halo: int = DEFAULT_HALO
    overlap: int = DEFAULT_OVERLAP
    detector: Tiled | None = None
    shrink: int = 1


def screen_options(
    scale: int,
    pixel_size: float | None = None,
    min_area: float | None = None,
    margin: int | None = None,
    detector: Tiled | None = None,
) -> ScreenOptions:
    """Options from the command-line flags (shared by ``leuko-keras screen`` and ``leuko-keras-run --screen``).

    ``min_area``: smallest nucleus in input pixels; ``detector``: a second model whose scale is a multiple of
    ``scale`` (it sees the field shrunk by the ratio). Bad values raise :class:`LeukoInputError`.

    >>> screen_options(4).rules.min_nucleus_area, screen_options(4, min_area=100).rules.min_nucleus_area
    (156, 100)
    """
    for flag, value in (("--pixel-size", pixel_size), ("--min-area", min_area)):
        if value is not None and not value > 0:
            raise LeukoInputError(f"{flag} {value}: must be a positive number")
    if margin is not None and margin < 0:
        raise LeukoInputError(f"--margin {margin}: must be 0 or more input pixels")
    found_scale = scale if detector is None else detector.scale
    if found_scale % scale:
        raise LeukoInputError(
            f"--detector: its scale x{found_scale} is not a multiple of the model's x{scale}; "
            f"choose a detector of x{scale} or x{2 * scale}"
        )
    shrink = found_scale // scale
    rules = DetectRules.for_scale(found_scale, None if min_area is None else min_area / shrink**2)
    return ScreenOptions(rules=rules, margin=margin, pixel_size=pixel_size, detector=detector, shrink=shrink)


@dataclass
class ScreenedCell:
    """One cell: its CSV row, its crops (LR pixels, SR pixels, HR labels) and the crop's LR (x, y) origin."""

    row: dict[str, Any]
    lr: np.ndarray
    sr: np.ndarray
    labels: np.ndarray
    origin: tuple[int, int] = (0, 0)


@dataclass
class ScreenReport:
    """Rows of every cell, cells per field, failures as (input, one-line reason), files written."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def cells(self) -> int:
        """Number of cells found in all fields."""
        return len(self.rows)


def field_pixel_size(image: LoadedImage, override: float | None) -> float | None:
    """Micrometres per input pixel: ``override``, else the file's calibration (mean of y and x), else None.

    >>> from pathlib import Path
    >>> field_pixel_size(LoadedImage(np.zeros((2, 2)), 8, Path("a.tif"), (0.5, 0.5), "nm"), None)
    0.0005
    """
    if override is not None:
        return float(override)
    if image.pixel_size is None:
        return None
    factor = UM_PER_UNIT.get((image.unit or "um").strip().lower())
    return None if factor is None else float(np.mean(image.pixel_size)) * factor


def blueness(pixels: np.ndarray) -> np.ndarray | None:
    """Cb minus the field's median Cb (LR grid), the stain rule's input; None for a grey field.

    >>> blueness(np.zeros((2, 2))) is None
    True
    """
    if pixels.ndim != 3:
        return None
    cb = np.empty(pixels.shape[:2], np.float32)
    for r in range(0, pixels.shape[0], 256):  # row chunks: a float64 YCbCr copy of a big field is GBs
        cb[r : r + 256] = rgb_to_ycbcr(pixels[r : r + 256])[..., 1]
    return cb - np.float32(np.median(cb))


def field_luminance(pixels: np.ndarray, rows: int = 256) -> np.ndarray:
    """Y of the field as float32, converted in row chunks (a float64 copy of a big field would be GBs).

    >>> field_luminance(np.ones((3, 2, 3))).dtype
    dtype('float32')
    """
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    out = np.empty(pixels.shape[:2], np.float32)
    for r in range(0, pixels.shape[0], rows):
        out[r : r + rows] = luminance(pixels[r : r + rows])
    return out


def detect_field(backend: Tiled, pixels: np.ndarray, options: ScreenOptions) -> list[Detection]:
    """Leukocytes of one field (LR pixels): the detector's nucleus map and the rules, boxes in field pixels."""
    detector, k = options.detector or backend, options.shrink
    lr_y = field_luminance(pixels)
    blue = blueness(pixels)
    if k > 1:  # a coarser detector: the field shrunk by MATLAB bicubic, boxes scaled back
        lr_y = np.clip(imresize(lr_y, 1 / k), 0, 1).astype(np.float32)
        blue = None if blue is None else imresize(blue, 1 / k).astype(np.float32)
    rules = options.rules or DetectRules.for_scale(detector.scale)
    prob = nucleus_probability(detector, lr_y, None, options.halo, options.overlap)
    found = find_cells(prob, rules, blue)
    if k == 1:
        return found
    h, w = pixels.shape[:2]

    def up(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (b[0] * k, b[1] * k, min(w, b[2] * k), min(h, b[3] * k))

    return [Detection(up(d.box), up(d.nucleus_box), d.nucleus_area * k * k, d.touches_border) for d in found]


def screen_image(
    backend: Tiled, image: LoadedImage, name: str, options: ScreenOptions | None = None
) -> list[ScreenedCell]:
    """Every leukocyte of one field (image), super-resolved and measured, numbered from 1 in raster order."""
    options = options or ScreenOptions()
    pixels = image.pixels
    h, w = pixels.shape[:2]
    if min(h, w) < 8:
        raise LeukoInputError(f"{image.path}: {w}x{h} pixels is too small to screen; it needs at least 8x8")
    size = field_pixel_size(image, options.pixel_size)
    found = detect_field(backend, pixels, options)
    return [screen_cell(backend, pixels, name, k, det, options, size) for k, det in enumerate(found, 1)]


def screen_cell(
    backend: Tiled,
    pixels: np.ndarray,
    name: str,
    number: int,
    det: Detection,
    options: ScreenOptions,
    pixel_size: float | None,
) -> ScreenedCell:
    """Super-resolve one detection's crop and measure its cell (see the module docstring)."""
    s = backend.scale
    h, w = pixels.shape[:2]
    x0, y0, x1, y1 = det.box
    margin = options.margin if options.margin is not None else max(2, round(MARGIN_SHARE * max(x1 - x0, y1 - y0)))
    cx0, cy0, cx1, cy1 = max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin)
    crop = pixels[cy0:cy1, cx0:cx1]
    tile = default_tile(s)
    sr, probs = round_trip(crop, lambda y: super_resolve_tiled(backend, y, tile, options.halo, options.overlap), s)
    labels = np.asarray(probs).argmax(axis=-1).astype(np.uint8)
    inside = ellipse_mask(labels.shape, ((x0 - cx0) * s, (y0 - cy0) * s, (x1 - cx0) * s, (y1 - cy0) * s))
    cell = inside & (labels > 0)
    if not cell.any():
        cell = inside  # the map found nothing here: measure the box's ellipse (nucleus area 0)
    m = measure_cell(labels, cell, None if pixel_size is None else pixel_size / s)
    row = {
        "field": name,
        "cell": number,
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        # HR pixel centres back to input pixel centres.
        "cx": round(cx0 + (m.centre[0] + 0.5) / s - 0.5, 2),
        "cy": round(cy0 + (m.centre[1] + 0.5) / s - 0.5, 2),
        "cell_area": round(m.cell_area / s**2, 2),
        "nucleus_area": round(m.nucleus_area / s**2, 2),
        "cell_area_um2": _rounded(m.cell_area_um2),
        "nucleus_area_um2": _rounded(m.nucleus_area_um2),
        "nc_ratio": _rounded(m.nc_ratio, 4),
        "nucleus_lobes": m.nucleus_lobes,
        "nucleus_solidity": _rounded(m.nucleus_solidity, 4),
        "touches_border": det.touches_border,
    }
    return ScreenedCell(row, crop, sr, labels, (cx0, cy0))


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def ellipse_mask(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels whose centres lie in the ellipse inscribed in ``box`` (x0, y0, x1, y1; may leave ``shape``).

    >>> int(ellipse_mask((10, 10), (0, 0, 10, 10)).sum())
    80
    """
    x0, y0, x1, y1 = box
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    ax, ay = max((x1 - x0) / 2, 0.5), max((y1 - y0) / 2, 0.5)
    return ((xx + 0.5 - (x0 + x1) / 2) / ax) ** 2 + ((yy + 0.5 - (y0 + y1) / 2) / ay) ** 2 <= 1.0
