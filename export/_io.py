"""Image files for the runner (Pillow only): read to [0, 1], write PNGs atomically, colour the map.

Colours are the paper's (background black, cytoplasm red, nucleus blue), the
same as ``leuko_keras.masks.colorize`` (a test keeps them equal).

>>> colorize(np.array([[0, 1, 2]], dtype=np.uint8)).tolist()
[[[0, 0, 0], [255, 0, 0], [0, 0, 255]]]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from export._model import RunnerError

PAPER_COLOURS = np.array([[0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)
OVERLAY_ALPHA = 0.4  # share of the class colour over cell pixels; the background stays untouched
_FIX = "use an 8- or 16-bit PNG, BMP, TIFF or JPEG"


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Return ``(pixels, bit_depth)``: (H, W) grey or (H, W, 3) RGB float64 in [0, 1], 8 or 16 bits."""
    path = Path(path)
    if not path.is_file():
        raise RunnerError(f"{path}: no such image; check the path")
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                return np.asarray(image, dtype=np.float64) / 65535.0, 16
            if image.mode in ("1", "L", "LA"):
                return np.asarray(image.convert("L"), dtype=np.float64) / 255.0, 8
            return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0, 8
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise RunnerError(f"{path}: not a readable image; {_FIX}") from None


def to_uint(pixels: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Round half away from zero and saturate, as MATLAB's uint8/uint16 conversion does."""
    levels = 65535 if bit_depth == 16 else 255
    values = np.floor(np.clip(pixels, 0.0, 1.0) * levels + 0.5)
    return values.astype(np.uint16 if bit_depth == 16 else np.uint8)


def save_png(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 (H, W[, 3]) or uint16 (H, W) array as PNG via a temp file and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.png", dir=path.parent)
    os.close(fd)
    try:
        image = Image.fromarray(array.astype("<u2") if array.dtype == np.uint16 else array)
        image.save(tmp, format="PNG")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def colorize(labels: np.ndarray) -> np.ndarray:
    """uint8 RGB picture of a label map in the paper's colours."""
    return PAPER_COLOURS[np.asarray(labels, dtype=np.intp)]


def overlay(rgb8: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Blend the class colours over the SR image where the map is not background (uint8 RGB)."""
    base = rgb8 if rgb8.ndim == 3 else np.repeat(rgb8[..., None], 3, axis=-1)
    base = base.astype(np.float64)
    colours = colorize(labels).astype(np.float64)
    cell = (labels > 0)[..., None]
    mixed = np.where(cell, (1 - OVERLAY_ALPHA) * base + OVERLAY_ALPHA * colours, base)
    return np.floor(mixed + 0.5).astype(np.uint8)
