"""Output files of a prediction: which format, which names, and a row writer for each.

``png`` (the default for PNG/BMP/JPEG inputs), ``tif`` (default for TIFF) or
``ome-tif`` (default for OME-TIFF; carries the pixel size in OME-XML). A
calibrated input gives calibrated outputs: the SR pixel is the input pixel
divided by the scale. Every writer streams rows and appears atomically.

>>> output_format("cells/a.ome.tif", None), output_format("a.jpg", None), output_format("a.png", "tif")
('ome-tif', 'png', 'tif')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.pngstream import png_rows
from leuko_keras.runtime.tiff import TIFF_SUFFIXES, is_ome_path, tiff_rows

FORMATS = ("png", "tif", "ome-tif")
SUFFIXES = {"png": ".png", "tif": ".tif", "ome-tif": ".ome.tif"}


def output_format(input_path: str | os.PathLike, requested: str | None) -> str:
    """``requested`` if given (checked), else the input's family: OME-TIFF, TIFF or PNG."""
    if requested:
        fmt = requested.strip().lower().replace("_", "-").replace("ome-tiff", "ome-tif").replace("tiff", "tif")
        if fmt not in FORMATS:
            raise LeukoInputError(f"--format {requested}: unknown output format; use one of {', '.join(FORMATS)}")
        return fmt
    if is_ome_path(input_path):
        return "ome-tif"
    return "tif" if Path(input_path).suffix.lower() in TIFF_SUFFIXES else "png"


def output_path(out_dir: Path, name: str, kind: str, fmt: str) -> Path:
    """``out_dir/NAME_KIND.EXT``, e.g. ``cells_p1_labels.ome.tif``.

    >>> output_path(Path("out"), "cells_p1", "labels", "ome-tif").as_posix()
    'out/cells_p1_labels.ome.tif'
    """
    return out_dir / f"{name}_{kind}{SUFFIXES[fmt]}"


def open_rows(
    stack: contextlib.ExitStack,
    path: Path,
    fmt: str,
    width: int,
    height: int,
    channels: int,
    bit_depth: int,
    pixel_size: tuple[float, float] | None = None,
    unit: str | None = None,
) -> Callable[[np.ndarray], None]:
    """Enter a streamed writer for ``path`` on ``stack``; return its ``write(rows)``."""
    if fmt == "png":
        return stack.enter_context(png_rows(path, width, height, channels, bit_depth))
    return stack.enter_context(
        tiff_rows(path, width, height, channels, bit_depth, pixel_size, unit, ome=fmt == "ome-tif")
    )
