"""TIFF and OME-TIFF through tifffile: every page or series is an image; pixel sizes in, pixel sizes out.

Reading: 8/16-bit grey or RGB, interleaved (``YXS``) or planar (``SYX``),
RGBA with the alpha dropped; multi-page stacks (Z, T, channels of a
fluorescence hyperstack) and multi-series files give one image per plane, in
file order. The physical pixel size comes from OME-XML (``PhysicalSizeX/Y``
and their unit) or from an ImageJ TIFF's resolution tags and ``unit``.

Writing streams rows into an uncompressed, contiguous TIFF whose header
tifffile writes first, so a 16k x 16k output never sits in memory; BigTIFF is
chosen when the pixel data passes 4 GiB. OME-TIFF output carries the pixel
size in OME-XML, plain TIFF in the resolution tags (ImageJ style), so Fiji,
napari and QuPath calibrate it either way.

>>> import numpy as np, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.ome.tif"
>>> with tiff_rows(path, width=4, height=2, channels=1, bit_depth=16, pixel_size=(0.5, 0.5), unit="µm") as write:
...     write(np.zeros((2, 4)))
>>> [(img.pixels.shape, img.bit_depth, img.pixel_size) for img in iter_tiff_images(path)]
[((2, 4), 16, (0.5, 0.5))]
"""

from __future__ import annotations

import contextlib
import os
import warnings
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from leuko_keras.core.atomic import atomic_path
from leuko_keras.errors import LeukoInputError

TIFF_SUFFIXES = (".tif", ".tiff")
OME_SUFFIXES = (".ome.tif", ".ome.tiff")
_FIX = "save it as an 8- or 16-bit grey or RGB TIFF (e.g. Fiji: Image > Type > 16-bit, then File > Save As > Tiff)"
# Headroom under 4 GiB for the header, OME-XML and strip tables of a classic TIFF.
_BIGTIFF_BYTES = 2**32 - 2**25
# ImageJ spells microns several ways; OME wants the SI symbol.
_UNITS = {"micron": "µm", "microns": "µm", "um": "µm", "\\u00B5m": "µm", "µm": "µm", "nm": "nm", "mm": "mm"}


@dataclass(frozen=True)
class TiffImage:
    """One plane of a TIFF: pixels in [0, 1] (H, W) or (H, W, 3), bit depth, pixel size (y, x) and unit."""

    pixels: np.ndarray
    bit_depth: int
    pixel_size: tuple[float, float] | None
    unit: str | None


def is_ome_path(path: str | os.PathLike) -> bool:
    """True for ``NAME.ome.tif``/``.ome.tiff``.

    >>> is_ome_path("cells.OME.tif"), is_ome_path("cells.tif")
    (True, False)
    """
    return str(path).lower().endswith(OME_SUFFIXES)


def tiff_stem(path: str | os.PathLike) -> str:
    """File name without ``.tif``/``.ome.tif`` (``cells.ome.tif`` -> ``cells``).

    >>> tiff_stem("a/cells.ome.tiff"), tiff_stem("b.tif")
    ('cells', 'b')
    """
    name = Path(path).name
    for suffix in (*OME_SUFFIXES, *TIFF_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def _open(path: Path):
    import tifffile

    try:
        return tifffile.TiffFile(path)
    except (tifffile.TiffFileError, ValueError, OSError, EOFError) as error:
        reason = f"not a readable TIFF ({error}); the file is truncated or corrupt"
        raise LeukoInputError(f"{path}: {reason}, {_FIX}") from None


def count_tiff_images(path: str | os.PathLike) -> int:
    """Number of images (planes) :func:`iter_tiff_images` yields, read from the header only.

    >>> count_tiff_images("/nonexistent.tif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: /nonexistent.tif: not a readable TIFF ...
    """
    path = Path(path)
    with _open(path) as tif:
        count = sum(_plane_layout(series, path)[1] for series in tif.series)
    if count == 0:
        raise LeukoInputError(f"{path}: TIFF holds no image; the file is truncated or corrupt, {_FIX}")
    return count


def iter_tiff_images(path: str | os.PathLike) -> Iterator[TiffImage]:
    """Yield every plane of every series as a :class:`TiffImage`, one series in memory at a time.

    >>> [img.pixels.shape for img in iter_tiff_images("stack.tif")]  # doctest: +SKIP
    [(512, 512), (512, 512), (512, 512)]
    """
    path = Path(path)
    with _open(path) as tif:
        sizes = _ome_pixel_sizes(tif) if tif.is_ome else []
        for index, series in enumerate(tif.series):
            size_unit = sizes[index] if index < len(sizes) else _imagej_pixel_size(tif, series)
            colour_axis, _ = _plane_layout(series, path)
            try:
                data = series.asarray()
            except Exception as error:  # tifffile raises many types for damaged strips/codecs
                raise LeukoInputError(
                    f"{path}: cannot decode image {index} ({type(error).__name__}: {error}); "
                    f"the file is truncated or corrupt, {_FIX}"
                ) from None
            planes = _planes(data, series.axes, colour_axis, path)
            for plane in planes:
                pixels, bits = _to_unit_range(plane, path)
                yield TiffImage(pixels, bits, *size_unit)
            del data


def _plane_layout(series, path: Path) -> tuple[str | None, int]:
    """Which axis holds colour samples (None for grey) and how many planes the series gives."""
    axes, shape = series.axes, series.shape
    if "Y" not in axes or "X" not in axes:
        raise LeukoInputError(f"{path}: TIFF series with axes {axes!r} has no Y/X image plane; {_FIX}")
    sizes = dict(zip(axes, shape, strict=True))
    colour = None
    if sizes.get("S", 1) > 1:
        colour = "S"
    elif sizes.get("C", 1) in (3, 4) and _photometric_rgb(series):
        colour = "C"
    if colour is not None and sizes[colour] not in (2, 3, 4):
        raise LeukoInputError(f"{path}: {sizes[colour]} samples per pixel are not supported; {_FIX}")
    count = int(np.prod([n for axis, n in sizes.items() if axis not in ("Y", "X", colour)], dtype=np.int64))
    return colour, count


def _photometric_rgb(series) -> bool:
    try:
        return int(series.pages[0].photometric) == 2  # PHOTOMETRIC.RGB
    except (AttributeError, IndexError, TypeError):
        return False


def _planes(data: np.ndarray, axes: str, colour: str | None, path: Path) -> Iterator[np.ndarray]:
    # Y, X (and the colour axis) last; everything else (Z, T, C, pages) flattens to one plane index.
    keep = ["Y", "X"] + ([colour] if colour else [])
    order = [axes.index(a) for a in axes if a not in keep] + [axes.index(a) for a in keep]
    arranged = np.transpose(data, order)
    arranged = arranged.reshape((-1, *arranged.shape[-len(keep) :]))
    for plane in arranged:
        if plane.ndim == 3 and plane.shape[-1] in (2, 4):
            warnings.warn(f"{path}: alpha channel dropped", stacklevel=4)
            plane = plane[..., :-1]
        if plane.ndim == 3 and plane.shape[-1] == 1:
            plane = plane[..., 0]
        yield plane


def _to_unit_range(plane: np.ndarray, path: Path) -> tuple[np.ndarray, int]:
    if plane.dtype == np.uint8:
        return plane.astype(np.float64) / 255.0, 8
    if plane.dtype == np.uint16:
        return plane.astype(np.float64) / 65535.0, 16
    if plane.dtype == np.bool_:
        return plane.astype(np.float64), 8
    kind = {"i": "signed integer", "f": "floating-point", "c": "complex"}.get(plane.dtype.kind, str(plane.dtype))
    raise LeukoInputError(f"{path}: {plane.dtype.itemsize * 8}-bit {kind} pixels are not supported; {_FIX}")


def _ome_pixel_sizes(tif) -> list[tuple[tuple[float, float] | None, str | None]]:
    """(pixel size (y, x), unit) per OME Image, in series order."""
    try:
        root = ElementTree.fromstring(tif.ome_metadata)
    except (ElementTree.ParseError, TypeError):
        return []
    out = []
    for image in root.iter():
        if not image.tag.endswith("}Image") and image.tag != "Image":
            continue
        pixels = next((p for p in image if p.tag.endswith("Pixels")), None)
        size_x = pixels.get("PhysicalSizeX") if pixels is not None else None
        size_y = pixels.get("PhysicalSizeY", size_x) if pixels is not None else None
        if size_x is None:
            out.append((None, None))
            continue
        unit = pixels.get("PhysicalSizeXUnit", "µm")  # OME's default unit
        out.append(((float(size_y), float(size_x)), unit))
    return out


def _imagej_pixel_size(tif, series) -> tuple[tuple[float, float] | None, str | None]:
    # Calibrated: an ImageJ TIFF naming its unit, or resolution in centimetres. Inches are a screen's
    # 72 dpi default, not a microscope's calibration.
    tags = series.pages[0].tags
    unit = (tif.imagej_metadata or {}).get("unit") if tif.is_imagej else None
    scale = 1.0
    centimetres = "ResolutionUnit" in tags and int(tags["ResolutionUnit"].value) == 3
    if (not unit or unit in ("pixel", "pixels")) and centimetres:
        unit, scale = "µm", 1e4
    if not unit or unit in ("pixel", "pixels"):
        return None, None
    try:
        xn, xd = tags["XResolution"].value
        yn, yd = tags["YResolution"].value
    except KeyError:
        return None, None
    if not xn or not yn:
        return None, None
    return (scale * yd / yn, scale * xd / xn), _UNITS.get(unit, unit)


@contextlib.contextmanager
def tiff_rows(
    path: str | os.PathLike,
    width: int,
    height: int,
    channels: int,
    bit_depth: int = 8,
    pixel_size: tuple[float, float] | None = None,
    unit: str | None = None,
    ome: bool | None = None,
) -> Iterator[Callable[[np.ndarray], None]]:
    """Yield ``write(rows)`` for an (OME-)TIFF; rows are floats in [0, 1], (n, width) or (n, width, channels).

    ``ome`` defaults to the file name (``.ome.tif``). The file appears
    atomically once all ``height`` rows are written (``ValueError`` on exit
    otherwise), like :func:`leuko_keras.runtime.pngstream.png_rows`.
    """
    import tifffile

    from leuko_keras.runtime.pngstream import to_integers

    if channels not in (1, 3) or bit_depth not in (8, 16):
        raise ValueError(f"tiff_rows supports 1 or 3 channels at 8 or 16 bits, got {channels}, {bit_depth}")
    ome = is_ome_path(path) if ome is None else ome
    dtype = np.dtype("<u1" if bit_depth == 8 else "<u2")
    shape = (height, width) if channels == 1 else (height, width, channels)
    options = _calibration(pixel_size, unit, ome, channels, bit_depth)
    written = 0
    with atomic_path(Path(path)) as tmp:
        # No data: tifffile writes the header and reserves one contiguous block we then fill row by row.
        offset, _ = tifffile.imwrite(
            tmp,
            None,
            shape=shape,
            dtype=dtype,
            photometric="rgb" if channels == 3 else "minisblack",
            bigtiff=height * width * channels * dtype.itemsize > _BIGTIFF_BYTES,
            returnoffset=True,
            **options,
        )
        with open(tmp, "r+b") as handle:
            handle.seek(offset)

            def write(rows: np.ndarray) -> None:
                nonlocal written
                values = to_integers(rows, bit_depth)
                if values.shape[1:] != shape[1:]:
                    raise ValueError(f"rows of shape {values.shape[1:]} do not fit a TIFF of shape {shape}")
                if written + values.shape[0] > height:
                    raise ValueError(f"{path}: more than {height} rows written")
                handle.write(np.ascontiguousarray(values, dtype=dtype).tobytes())
                written += values.shape[0]

            yield write
        if written != height:
            raise ValueError(f"{path}: wrote {written} rows, expected {height}")


def _calibration(
    pixel_size: tuple[float, float] | None, unit: str | None, ome: bool, channels: int, bit_depth: int
) -> dict:
    axes = "YX" if channels == 1 else "YXS"
    if ome:
        metadata: dict = {"axes": axes}
        if pixel_size is not None:
            unit = _UNITS.get(unit or "µm", unit or "µm")
            metadata.update(
                PhysicalSizeY=float(pixel_size[0]),
                PhysicalSizeYUnit=unit,
                PhysicalSizeX=float(pixel_size[1]),
                PhysicalSizeXUnit=unit,
            )
        return {"ome": True, "metadata": metadata}
    if pixel_size is None:
        return {"metadata": None}
    unit = _UNITS.get(unit or "µm", unit or "µm")
    if (channels == 3 and bit_depth == 16) or unit != "µm":
        # ImageJ's TIFF flavour has no 16-bit RGB: plain resolution tags in centimetres (Bio-Formats reads them).
        cm = {"µm": 1e-4, "nm": 1e-7, "mm": 0.1}.get(unit)
        if cm is None:
            return {"metadata": None}
        return {
            "metadata": None,
            "resolution": (1.0 / (pixel_size[1] * cm), 1.0 / (pixel_size[0] * cm)),
            "resolutionunit": "CENTIMETER",
        }
    # ImageJ-style calibration: resolution in pixels per unit, the unit in the ImageJ description.
    return {
        "imagej": True,
        "resolution": (1.0 / float(pixel_size[1]), 1.0 / float(pixel_size[0])),
        "metadata": {"unit": "micron"},
    }
