"""RGB <-> YCbCr exactly as MATLAB ``rgb2ycbcr`` / ``ycbcr2rgb`` (ITU-R BT.601, studio range).

All arrays are floats in MATLAB's "double" convention: RGB in [0, 1],
Y in [16/255, 235/255], Cb/Cr in [16/255, 240/255]. Working in [0, 1] keeps
8-bit and 16-bit images on one footing (a 16-bit image is divided by 65535,
never truncated to 8 bits). Not ``tf.image.rgb_to_yuv``: that is full range
and moves every PSNR by about 1.3 dB against the literature.

>>> import numpy as np
>>> rgb = np.array([[[1.0, 1.0, 1.0]]])
>>> round(float(rgb_to_ycbcr(rgb)[0, 0, 0] * 255), 6)
235.0
"""

from __future__ import annotations

import numpy as np

# MATLAB rgb2ycbcr: [Y Cb Cr]' = offset + M/255 * [R G B]' with R, G, B in [0, 255].
_M = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ],
    dtype=np.float64,
)
_OFFSET = np.array([16.0, 128.0, 128.0], dtype=np.float64) / 255.0
_M_INV = np.linalg.inv(_M)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """Convert an (..., 3) RGB array in [0, 1] to studio-range YCbCr in [0, 1].

    >>> rgb_to_ycbcr(np.zeros((1, 1, 3)))[0, 0] * 255
    array([ 16., 128., 128.])
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    _check_channels(rgb)
    # With RGB in [0,1], MATLAB's formula becomes offset/255 + M/255 * rgb.
    return rgb @ (_M.T / 255.0) + _OFFSET


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """Return only the luminance Y (studio range, [0, 1] scale) of an (..., 3) RGB array.

    >>> float(rgb_to_y(np.ones((1, 1, 3)))[0, 0]) * 255
    235.0
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    _check_channels(rgb)
    return rgb @ (_M[0] / 255.0) + _OFFSET[0]


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Invert :func:`rgb_to_ycbcr` (MATLAB ``ycbcr2rgb``); the result is not clipped.

    >>> x = np.random.default_rng(0).random((4, 4, 3))
    >>> bool(np.allclose(ycbcr_to_rgb(rgb_to_ycbcr(x)), x))
    True
    """
    ycbcr = np.asarray(ycbcr, dtype=np.float64)
    _check_channels(ycbcr)
    return (ycbcr - _OFFSET) @ (_M_INV.T * 255.0)


def _check_channels(array: np.ndarray) -> None:
    if array.shape[-1] != 3:
        raise ValueError(f"expected 3 channels in the last axis, got shape {array.shape}")
