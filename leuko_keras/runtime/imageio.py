"""Read and write micrographs as float arrays in [0, 1], keeping 16-bit precision.

Supported: PNG, BMP, TIFF, JPEG; grey, RGB, RGBA (alpha dropped with a
warning), palette images; 8-bit and 16-bit samples. TIFF goes through
tifffile (:mod:`leuko_keras.runtime.tiff`): 16-bit RGB, planar RGB, OME pixel sizes,
and multi-page files, which :func:`read_images` splits into ``NAME_p0``,
``NAME_p1``... and :func:`read_image` refuses with the page count. A 16-bit image is divided
by 65535 and keeps ``bit_depth=16``: it is never truncated to 8 bits (Pillow
silently does that for 16-bit colour PNGs, so those are decoded separately).
Every problem a user can fix (empty, truncated, non-image, CMYK JPEG, unknown
format) raises :class:`~leuko_keras.errors.LeukoInputError` naming the file.

>>> import numpy as np, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.png"
>>> _ = write_image(path, np.full((4, 5, 3), 0.5))
>>> img = read_image(path)
>>> img.pixels.shape, img.bit_depth
((4, 5, 3), 8)
"""

from __future__ import annotations

import os
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from leuko_keras.core.atomic import atomic_path
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.color import rgb_to_y
from leuko_keras.runtime.imresize import quantize
from leuko_keras.runtime.tiff import TIFF_SUFFIXES, count_tiff_images, iter_tiff_images, tiff_stem

IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")
_FORMATS = {"PNG", "BMP", "TIFF", "JPEG", "MPO"}  # MPO: JPEGs from some cameras
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FIX = "re-export it as an 8- or 16-bit PNG, BMP, TIFF or JPEG"


@dataclass(frozen=True)
class LoadedImage:
    """Pixels as float64 in [0, 1], (H, W) grey or (H, W, 3) RGB; ``bit_depth`` 8 or 16.

    ``pixel_size`` (y, x) in ``unit`` when the file is calibrated (OME-TIFF, ImageJ TIFF), else None.
    """

    pixels: np.ndarray
    bit_depth: int
    path: Path
    pixel_size: tuple[float, float] | None = None
    unit: str | None = None

    @property
    def is_grey(self) -> bool:
        """True for a single-channel image (its own luminance)."""
        return self.pixels.ndim == 2


def read_image(path: str | os.PathLike) -> LoadedImage:
    """Read an image file; raise :class:`LeukoInputError` for anything a user must fix.

    >>> read_image("/nonexistent.png")
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: /nonexistent.png: no such file; check the path
    """
    path = Path(path)
    if not path.is_file():
        raise LeukoInputError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise LeukoInputError(f"{path}: file is empty (0 bytes); {_FIX}")
    if path.suffix.lower() in TIFF_SUFFIXES:
        count = count_tiff_images(path)
        if count != 1:
            raise LeukoInputError(
                f"{path}: TIFF holds {count} images (pages/series), this needs exactly one; split it "
                "(Fiji: Image > Stacks > Stack to Images), or use leuko-keras predict, which does every page"
            )
        return next(read_images(path))[1]
    if _png_is_16bit_colour(path):
        return LoadedImage(_decode_png16_colour(path), 16, path)
    try:
        with Image.open(path) as image:
            if image.format not in _FORMATS:
                raise LeukoInputError(f"{path}: {image.format} images are not supported; {_FIX}")
            image.load()
            array, bit_depth = _to_array(image, path)
    except LeukoInputError:
        raise
    except UnidentifiedImageError:
        raise LeukoInputError(f"{path}: not an image or an unknown format; {_FIX}") from None
    except Image.DecompressionBombError:
        raise LeukoInputError(f"{path}: image is too large to read safely; crop or downsample it first") from None
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error) as error:
        # Pillow reports truncation and corrupt streams through these.
        raise LeukoInputError(
            f"{path}: cannot decode the image ({error}); the file is truncated or corrupt, {_FIX}"
        ) from None
    return LoadedImage(array, bit_depth, path)


def read_images(path: str | os.PathLike) -> Iterator[tuple[str, LoadedImage]]:
    """Yield ``(name, image)`` for every image in a file: ``(stem, image)`` for one, ``stem_p0``... for a stack.

    >>> import tempfile, pathlib
    >>> out = write_image(pathlib.Path(tempfile.mkdtemp()) / "one.png", np.zeros((3, 3)))
    >>> [name for name, _ in read_images(out)]
    ['one']
    """
    path = Path(path)
    if path.suffix.lower() not in TIFF_SUFFIXES:
        yield path.stem, read_image(path)
        return
    if not path.is_file():
        raise LeukoInputError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise LeukoInputError(f"{path}: file is empty (0 bytes); {_FIX}")
    stem, count = tiff_stem(path), count_tiff_images(path)
    if count == 0:
        raise LeukoInputError(f"{path}: TIFF holds no image; {_FIX}")
    for index, plane in enumerate(iter_tiff_images(path)):
        yield (
            _page_name(stem, count, index),
            LoadedImage(plane.pixels, plane.bit_depth, path, plane.pixel_size, plane.unit),
        )


def image_names(path: str | os.PathLike) -> list[str]:
    """The names :func:`read_images` gives the images of ``path``, from the header only (no pixels decoded).

    >>> image_names("cells/a.png"), image_names("b.bmp")
    (['a'], ['b'])
    """
    path = Path(path)
    if path.suffix.lower() not in TIFF_SUFFIXES:
        return [path.stem]
    stem, count = tiff_stem(path), count_tiff_images(path)
    return [_page_name(stem, count, index) for index in range(count)]


def _page_name(stem: str, count: int, index: int) -> str:
    # One image keeps the file's name; the pages of a stack are numbered from 0.
    return stem if count == 1 else f"{stem}_p{index}"


def _to_array(image: Image.Image, path: Path) -> tuple[np.ndarray, int]:
    mode = image.mode
    if mode == "CMYK":
        raise LeukoInputError(f"{path}: CMYK colour is not supported; convert the image to RGB (e.g. save it as PNG)")
    if image.format == "TIFF" and mode in ("RGB", "RGBA") and _tiff_bits(image) > 8:
        raise LeukoInputError(f"{path}: 16-bit colour TIFF is not supported; save it as a 16-bit PNG")
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.uint16).astype(np.float64) / 65535.0, 16
    if mode == "I":
        values = np.asarray(image)
        if values.min() < 0 or values.max() > 65535:
            raise LeukoInputError(f"{path}: 32-bit integer pixels are not supported; save it as a 16-bit image")
        return values.astype(np.float64) / 65535.0, 16
    if mode == "F":
        raise LeukoInputError(f"{path}: floating-point images are not supported; save it as a 16-bit image")
    if mode == "P":
        image = _from_palette(image, path)
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        warnings.warn(f"{path}: alpha channel dropped", stacklevel=3)
        image = image.convert("RGB" if mode.startswith("RGB") else "L")
    elif mode == "1":
        image = image.convert("L")
    elif mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).astype(np.float64) / 255.0, 8


def _from_palette(image: Image.Image, path: Path) -> Image.Image:
    has_alpha = "transparency" in image.info or image.palette.mode == "RGBA"
    rgb = image.convert("RGBA" if has_alpha else "RGB")
    colours = np.asarray(rgb)[..., :3]
    # A grey palette is a grey image: keep it single-channel so it is its own Y.
    if np.all(colours[..., 0] == colours[..., 1]) and np.all(colours[..., 1] == colours[..., 2]):
        return rgb.convert("LA" if has_alpha else "L")
    return rgb


def _tiff_bits(image: Image.Image) -> int:
    bits = getattr(image, "tag_v2", {}).get(258, 8)
    return int(max(bits) if isinstance(bits, tuple) else bits)


def _png_is_16bit_colour(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(29)
    if len(head) < 26 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return False
    bit_depth, colour_type = head[24], head[25]
    return bit_depth == 16 and colour_type in (2, 4, 6)


def _decode_png16_colour(path: Path) -> np.ndarray:
    # Pillow decodes 48/64-bit PNGs to 8 bits (it has no 16-bit colour mode), but its decoder undoes the
    # PNG filters with the right pixel width; unpacking the same rows as big- then little-endian gives
    # the high and the low byte of every sample. Grey + alpha (4 bytes a pixel) unpacks as raw RGBA bytes.
    try:
        if _png_colour_type(path) == 4:
            raw = _png_rows(path, "RGBA").astype(np.uint16)
            values = (raw[..., 0] << 8 | raw[..., 1])[..., None]
        else:
            high = _png_rows(path, None)
            low = _png_rows(path, "16L")
            values = high.astype(np.uint16) << 8 | low
    except Image.DecompressionBombError:
        raise LeukoInputError(f"{path}: image is too large to read safely; crop or downsample it first") from None
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error) as error:
        message = (str(error).splitlines() or [type(error).__name__])[0]
        raise LeukoInputError(
            f"{path}: cannot decode the PNG ({message}); the file is truncated or corrupt, {_FIX}"
        ) from None
    pixels = values.astype(np.float64) / 65535.0
    if pixels.shape[-1] in (2, 4) or _png_colour_type(path) == 4:
        warnings.warn(f"{path}: alpha channel dropped", stacklevel=3)
        pixels = pixels if pixels.shape[-1] == 1 else pixels[..., :-1]
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def _png_colour_type(path: Path) -> int:
    with open(path, "rb") as handle:
        return handle.read(26)[25]


def _png_rows(path: Path, rawmode: str | None) -> np.ndarray:
    # rawmode None: Pillow's own (high bytes); "16L": the same layout read little-endian (low bytes).
    with Image.open(path) as image:
        decoder, extents, offset, raw = image.tile[0][:4]
        if rawmode is not None:
            raw = raw.replace("16B", "16L") if rawmode == "16L" else rawmode
        image.tile = [(decoder, extents, offset, raw)]
        image.load()
        return np.asarray(image)


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Luminance Y in [0, 1] (MATLAB ``rgb2ycbcr``); a grey image is its own Y.

    >>> float(luminance(np.ones((1, 1, 3)))[0, 0]) * 255
    235.0
    """
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        return pixels
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        return pixels[..., 0]
    return rgb_to_y(pixels)


def write_image(path: str | os.PathLike, pixels01: np.ndarray, bit_depth: int = 8) -> Path:
    """Write floats in [0, 1] (clipped, rounded half away from zero) atomically as an 8- or 16-bit image.

    16-bit output needs PNG or TIFF; TIFF is written by tifffile.

    >>> import tempfile, pathlib
    >>> out = write_image(pathlib.Path(tempfile.mkdtemp()) / "g.png", np.zeros((3, 3)), bit_depth=16)
    >>> read_image(out).bit_depth
    16
    """
    path = Path(path)
    pixels = np.asarray(pixels01, dtype=np.float64)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[-1] != 3):
        raise ValueError(f"write_image expects (H, W) or (H, W, 3) pixels, got shape {pixels.shape}")
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise LeukoInputError(f"{path}: unknown image format {suffix!r}; use one of {', '.join(IMAGE_SUFFIXES)}")
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")
    if suffix in TIFF_SUFFIXES:
        from leuko_keras.runtime.tiff import tiff_rows

        with tiff_rows(path, pixels.shape[1], pixels.shape[0], 1 if pixels.ndim == 2 else 3, bit_depth) as write:
            write(pixels)
        return path
    with atomic_path(path) as tmp:
        if bit_depth == 8:
            Image.fromarray(np.rint(quantize(pixels, 255) * 255).astype(np.uint8)).save(tmp)
        else:
            values = np.rint(quantize(pixels, 65535) * 65535).astype(np.uint16)
            if suffix != ".png":
                raise LeukoInputError(f"{path}: 16-bit output needs .png or .tif; change the file name")
            if values.ndim == 3:
                tmp.write_bytes(_encode_png16(values))
            else:
                Image.fromarray(values).save(tmp)
    return path


def _encode_png16(values: np.ndarray) -> bytes:
    # Minimal 48-bit RGB PNG writer (Pillow cannot write it): filter 0 rows, one IDAT chunk.
    height, width, _ = values.shape
    rows = np.ascontiguousarray(values.astype(">u2").reshape(height, width * 3)).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return _PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
