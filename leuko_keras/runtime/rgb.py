"""The one RGB round trip: the luminance goes through the network, Cb/Cr are upscaled MATLAB-bicubically.

Every path that super-resolves a colour image (``predict``, the device runner, evaluation figures, the
bioimage.io test tensors, the example) goes through :func:`round_trip`, or through :func:`merge_chroma`
on row strips when it streams.

>>> import numpy as np
>>> rgb = np.full((8, 8, 3), 0.5)
>>> sr, extra = round_trip(rgb, lambda y: (np.kron(y, np.ones((2, 2))), None), 2)
>>> sr.shape, bool(np.allclose(sr, 0.5))
((16, 16, 3), True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from leuko_keras.runtime.color import rgb_to_ycbcr, ycbcr_to_rgb
from leuko_keras.runtime.imresize import imresize

# LR rows of context for the chroma upscale of a strip: the bicubic kernel reaches 2 LR pixels.
CHROMA_MARGIN = 3


def merge_chroma(sr_y: np.ndarray, lr_ycbcr: np.ndarray, scale: int, hr_row: int = 0) -> np.ndarray:
    """RGB (not clipped) from SR luminance rows starting at HR row ``hr_row`` and the LR image's YCbCr.

    Extra real LR rows around a strip make the bicubic exact at its edges, so strips merged one by one
    equal the whole image merged at once.

    >>> ycbcr = rgb_to_ycbcr(np.random.default_rng(0).random((6, 6, 3)))
    >>> whole = merge_chroma(np.zeros((24, 24)), ycbcr, 4)
    >>> bool(np.allclose(merge_chroma(np.zeros((8, 24)), ycbcr, 4, hr_row=8), whole[8:16]))
    True
    """
    n = sr_y.shape[0]
    first, last = hr_row // scale, -(-(hr_row + n) // scale)
    lo, hi = max(0, first - CHROMA_MARGIN), min(lr_ycbcr.shape[0], last + CHROMA_MARGIN)
    chroma = imresize(np.asarray(lr_ycbcr[lo:hi, :, 1:], dtype=np.float64), float(scale))
    offset = hr_row - lo * scale
    cbcr = chroma[offset : offset + n]
    return ycbcr_to_rgb(np.concatenate([np.asarray(sr_y, dtype=np.float64)[..., None], cbcr], axis=-1))


def round_trip(
    pixels: np.ndarray, run_y: Callable[[np.ndarray], tuple[np.ndarray, Any]], scale: int
) -> tuple[np.ndarray, Any]:
    """Super-resolve grey or RGB ``pixels`` in [0, 1] with ``run_y(lr_y) -> (sr_y, extra)``; SR clipped.

    ``extra`` is whatever the network gives beside the luminance (its parsing-map probabilities).
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim == 2:
        sr_y, extra = run_y(pixels)
        return np.clip(np.asarray(sr_y, dtype=np.float64), 0.0, 1.0), extra
    ycbcr = rgb_to_ycbcr(pixels)
    sr_y, extra = run_y(ycbcr[..., 0])
    return np.clip(merge_chroma(sr_y, ycbcr, scale), 0.0, 1.0), extra
