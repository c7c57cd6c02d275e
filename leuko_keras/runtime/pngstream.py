"""Write a PNG row strip by row strip, so a huge SR output never sits whole in memory.

8- or 16-bit, grey or RGB; rows use the PNG "Sub" filter (good compression
for photographs at no cost); the file appears atomically when complete.

>>> import numpy as np, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ramp.png"
>>> with png_rows(path, width=4, height=2, channels=1, bit_depth=16) as write:
...     write(np.array([[0.0, 0.25, 0.5, 1.0]]))
...     write(np.array([[1.0, 0.5, 0.25, 0.0]]))
>>> from PIL import Image
>>> np.asarray(Image.open(path)).tolist()
[[0, 16384, 32768, 65535], [65535, 32768, 16384, 0]]
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from leuko_keras.core.atomic import atomic_path
from leuko_keras.runtime.imresize import quantize

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FLUSH_BYTES = 1 << 20


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def to_integers(pixels01: np.ndarray, bit_depth: int) -> np.ndarray:
    """Floats in [0, 1] to uint8/uint16 the way :func:`leuko_keras.runtime.imageio.write_image` rounds.

    >>> to_integers(np.array([0.5, 1.2]), 8).tolist()
    [128, 255]
    """
    levels = 255 if bit_depth == 8 else 65535
    values = np.rint(quantize(np.asarray(pixels01, dtype=np.float64), levels) * levels)
    return values.astype(np.uint8 if bit_depth == 8 else np.uint16)


@contextlib.contextmanager
def png_rows(
    path: str | os.PathLike, width: int, height: int, channels: int, bit_depth: int = 8
) -> Iterator[Callable[[np.ndarray], None]]:
    """Yield ``write(rows)``: rows are floats in [0, 1], shape (n, width) or (n, width, channels).

    Raises ``ValueError`` on exit if fewer or more than ``height`` rows were written.
    """
    if channels not in (1, 3) or bit_depth not in (8, 16):
        raise ValueError(f"png_rows supports 1 or 3 channels at 8 or 16 bits, got {channels}, {bit_depth}")
    bytes_per_pixel = channels * bit_depth // 8
    written = 0
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as handle:
        handle.write(_SIGNATURE)
        colour_type = 0 if channels == 1 else 2
        handle.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)))
        packer = zlib.compressobj(6)
        pending: list[bytes] = []
        pending_size = 0

        def write(rows: np.ndarray) -> None:
            nonlocal written, pending_size
            values = to_integers(rows, bit_depth)
            if values.ndim == 2:
                values = values[..., None]
            if values.shape[1:] != (width, channels):
                raise ValueError(f"rows of shape {values.shape[1:]} do not fit a {width}x{channels} PNG")
            n = values.shape[0]
            dtype = ">u2" if bit_depth == 16 else np.uint8
            raw = np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(n, width * bytes_per_pixel)
            filtered = raw.copy()
            filtered[:, bytes_per_pixel:] = raw[:, bytes_per_pixel:] - raw[:, :-bytes_per_pixel]  # Sub filter, mod 256
            body = np.concatenate([np.ones((n, 1), np.uint8), filtered], axis=1)
            pending.append(packer.compress(body.tobytes()))
            pending_size += len(pending[-1])
            written += n
            if pending_size >= _FLUSH_BYTES:
                handle.write(_chunk(b"IDAT", b"".join(pending)))
                pending.clear()
                pending_size = 0

        yield write
        if written != height:
            raise ValueError(f"{path}: wrote {written} rows, expected {height}")
        pending.append(packer.flush())
        handle.write(_chunk(b"IDAT", b"".join(pending)))
        handle.write(_chunk(b"IEND", b""))
