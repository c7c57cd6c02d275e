"""Image files for the runner (Pillow only): read to [0, 1], write PNGs atomically, colour the map.

Colours are the paper's (background black, cytoplasm red, nucleus blue), the
same as ``leuko_keras.masks.colorize`` (a test keeps them equal).

>>> colorize(np.array([[0, 1, 2]], dtype=np.uint8)).tolist()
[[[0, 0, 0], [255, 0, 0], [0, 0, 255]]]
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from export._model import RunnerError

PAPER_COLOURS = np.array([[0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)
OVERLAY_ALPHA = 0.4  # share of the class colour over cell pixels; the background stays untouched
_FIX = "use an 8- or 16-bit PNG, BMP, TIFF or JPEG"
# leuko_keras.tiff's advice, word for word (a test compares the two readers' messages).
_TIFF_FIX = "save it as an 8- or 16-bit grey or RGB TIFF (e.g. Fiji: Image > Type > 16-bit, then File > Save As > Tiff)"


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Return ``(pixels, bit_depth)``: (H, W) grey or (H, W, 3) RGB float64 in [0, 1], 8 or 16 bits.

    Accepts and refuses what ``leuko_keras.imageio.read_image`` does (a test runs both on the same bad
    files): a float or out-of-range 32-bit image is refused, never silently turned black or saturated.
    """
    path = Path(path)
    if not path.is_file():
        raise RunnerError(f"{path}: no such image; check the path")
    if path.stat().st_size == 0:
        raise RunnerError(f"{path}: file is empty (0 bytes); {_FIX}")
    try:
        with Image.open(path) as image:
            image.load()
            return _to_array(image, path)
    except RunnerError:
        raise
    except Image.DecompressionBombError:
        raise RunnerError(f"{path}: image is too large to read safely; crop or downsample it first") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error, zlib.error):
        raise RunnerError(f"{path}: not a readable image; {_FIX}") from None


def _to_array(image: Image.Image, path: Path) -> tuple[np.ndarray, int]:
    mode = image.mode
    if mode == "CMYK":
        raise RunnerError(f"{path}: CMYK colour is not supported; convert the image to RGB (e.g. save it as PNG)")
    bits = getattr(image, "tag_v2", {}).get(258, 8) if image.format == "TIFF" else 8
    if mode in ("RGB", "RGBA") and int(max(bits) if isinstance(bits, tuple) else bits) > 8:
        raise RunnerError(f"{path}: 16-bit colour TIFF is not supported; save it as a 16-bit PNG")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.uint16).astype(np.float64) / 65535.0, 16
    if image.format == "TIFF" and mode in ("I", "F"):
        # The library reads TIFF with tifffile and refuses 32-bit pixels of either kind: same words here.
        kind = "floating-point" if mode == "F" else "signed integer"
        raise RunnerError(f"{path}: 32-bit {kind} pixels are not supported; {_TIFF_FIX}")
    if mode == "I":
        values = np.asarray(image)
        if values.min() < 0 or values.max() > 65535:
            raise RunnerError(f"{path}: 32-bit integer pixels are not supported; save it as a 16-bit image")
        return values.astype(np.float64) / 65535.0, 16
    if mode == "F":
        raise RunnerError(f"{path}: floating-point images are not supported; save it as a 16-bit image")
    if mode in ("1", "L", "LA") or (mode == "P" and _grey_palette(image)):
        return np.asarray(image.convert("L"), dtype=np.float64) / 255.0, 8
    return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0, 8


def _grey_palette(image: Image.Image) -> bool:
    # As the library: a palette of greys is a grey image (its own Y), not an RGB one.
    colours = np.asarray(image.convert("RGB"))
    return bool(np.all(colours[..., 0] == colours[..., 1]) and np.all(colours[..., 1] == colours[..., 2]))


def to_uint(pixels: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Round half away from zero and saturate, as MATLAB's uint8/uint16 conversion does."""
    levels = 65535 if bit_depth == 16 else 255
    values = np.floor(np.clip(pixels, 0.0, 1.0) * levels + 0.5)
    return values.astype(np.uint16 if bit_depth == 16 else np.uint8)


def save_png(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 (H, W[, 3]) or uint16 (H, W) array as PNG via a temp file beside it and rename.

    The file gets the permissions a plain ``open`` would (umask), not mkstemp's 0600; a full disk is
    one line and leaves no temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.pid{os.getpid()}.", suffix=".tmp.png", dir=path.parent)
    os.close(fd)
    try:
        image = Image.fromarray(array.astype("<u2") if array.dtype == np.uint16 else array)
        image.save(tmp, format="PNG")
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise RunnerError(f"{path}: disk full while writing; free some space and run again") from None
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_stale_temps(folder: Path) -> None:
    """Remove temporaries of earlier runs killed while writing into ``folder`` (their pid is gone)."""
    for entry in folder.glob(".*.pid*.tmp.png") if folder.is_dir() else ():
        match = re.match(r"^\..+\.pid(\d+)\.[^.]+\.tmp\.png$", entry.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                entry.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
