"""The paper's degradation: modcrop, MATLAB bicubic downscale, 8-bit quantisation.

Protocol (stated with every table): the HR image is cropped to a multiple of
the scale (modcrop, from the bottom/right), shrunk with the MATLAB-exact
antialiased bicubic of :mod:`leuko_keras.runtime.imresize`, and quantised to the
source bit depth the way MATLAB does for uint8 input (round half away from
zero, saturate). Colour images are degraded in RGB and the luminance is taken
afterwards, in float (not rounded).

>>> import numpy as np
>>> hr = np.random.default_rng(0).random((30, 31, 3))
>>> make_lr(hr, 4).shape
(7, 7, 3)
"""

from __future__ import annotations

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imresize import imresize, quantize

SUPPORTED_SCALES = (2, 3, 4, 8)
MIN_LR_SIDE = 8


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop height and width down to multiples of ``scale`` (bottom/right, as the literature does).

    >>> modcrop(np.zeros((101, 90)), 4).shape
    (100, 88)
    """
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def check_size(shape: tuple[int, ...], scale: int, name: str = "image") -> None:
    """Refuse images too small to give at least an 8x8 LR image at ``scale``."""
    h, w = shape[:2]
    need = MIN_LR_SIDE * scale
    if h < need or w < need:
        raise LeukoInputError(
            f"{name}: {w}x{h} pixels is too small for x{scale} (needs at least {need}x{need}); "
            "use a larger image or a smaller --scale"
        )


def make_lr(hr: np.ndarray, scale: int, levels: int = 255) -> np.ndarray:
    """Degrade a modcropped HR image (floats in [0, 1]) to its LR image, quantised to ``levels``.

    >>> make_lr(np.full((16, 16), 0.5), 2).shape
    (8, 8)
    """
    hr = modcrop(np.asarray(hr, dtype=np.float64), scale)
    return quantize(imresize(hr, 1.0 / scale), levels)


def bicubic_upscale(lr: np.ndarray, scale: int) -> np.ndarray:
    """MATLAB bicubic upscaling in float, clipped to [0, 1]: the baseline every table shows.

    >>> bicubic_upscale(np.full((8, 8), 0.25), 4).shape
    (32, 32)
    """
    return np.clip(imresize(lr, float(scale)), 0.0, 1.0)
