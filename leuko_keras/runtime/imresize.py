"""MATLAB-exact bicubic ``imresize`` in NumPy, for any scale, up and down.

This is how the paper (and the SR literature) makes its low-resolution
images, so matching it to the last grey level is what makes our PSNR numbers
comparable. The algorithm, as in MATLAB's ``imresize.m``:

* Keys cubic kernel with a = -0.5;
* when shrinking, the kernel is widened by 1/scale and its weights multiplied
  by scale (antialiasing);
* output pixel x (1-based) maps to u = x/scale + 0.5 (1 - 1/scale);
* ceil(kernel width) + 2 taps, weights normalised to sum to 1;
* symmetric (mirror) borders; output size ceil(in * scale);
* rows first, then columns.

>>> import numpy as np
>>> imresize(np.full((8, 8), 0.5), 0.25).shape
(2, 2)
"""

from __future__ import annotations

import math

import numpy as np


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    absx = np.abs(x)
    absx2 = absx * absx
    absx3 = absx2 * absx
    return (1.5 * absx3 - 2.5 * absx2 + 1.0) * (absx <= 1) + (-0.5 * absx3 + 2.5 * absx2 - 4.0 * absx + 2.0) * (
        (absx > 1) & (absx <= 2)
    )


def contributions(in_length: int, out_length: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and 0-based source indices for resizing one axis.

    Returns ``(weights, indices)``, both of shape (out_length, taps), such
    that ``out[i] = sum_k weights[i, k] * in[indices[i, k]]``.

    >>> w, idx = contributions(4, 8, 2.0)
    >>> bool(np.allclose(w.sum(axis=1), 1.0))
    True
    """
    kernel_width = 4.0
    if scale < 1:
        # Antialiasing: stretch the kernel to cover 1/scale input pixels.
        def kernel(x: np.ndarray) -> np.ndarray:
            return scale * cubic(scale * x)

        kernel_width = kernel_width / scale
    else:
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = math.ceil(kernel_width) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    weights = kernel(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # Symmetric padding: index sequence 1..n, n..1 repeated (MATLAB's aux trick).
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    indices = mirror[np.mod(indices.astype(np.int64) - 1, 2 * in_length)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep]


def output_size(in_size: tuple[int, int], scale: float) -> tuple[int, int]:
    """MATLAB's output size: ceil(in * scale) per axis.

    >>> output_size((101, 88), 0.25)
    (26, 22)
    """
    return tuple(math.ceil(n * scale - 1e-9) for n in in_size)  # type: ignore[return-value]


def imresize(image: np.ndarray, scale: float) -> np.ndarray:
    """Bicubic resize of an (H, W) or (H, W, C) float array by ``scale``, as MATLAB does.

    The result is float64 and is neither rounded nor clipped; use
    :func:`quantize` for MATLAB's uint8 behaviour.

    >>> up = imresize(np.arange(16.0).reshape(4, 4), 2)
    >>> up.shape
    (8, 8)
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"imresize expects an (H, W) or (H, W, C) array, got shape {image.shape}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_h, out_w = output_size(image.shape[:2], scale)
    result = _resize_axis(image, out_h, scale, axis=0)
    return _resize_axis(result, out_w, scale, axis=1)


def _resize_axis(image: np.ndarray, out_length: int, scale: float, axis: int) -> np.ndarray:
    weights, indices = contributions(image.shape[axis], out_length, scale)
    moved = np.moveaxis(image, axis, 0)
    gathered = moved[indices]  # (out, taps, ...)
    w = weights.reshape(weights.shape + (1,) * (moved.ndim - 1))
    return np.moveaxis((gathered * w).sum(axis=1), 0, axis)


def quantize(image: np.ndarray, levels: int = 255) -> np.ndarray:
    """Round and saturate like MATLAB's conversion to an integer type.

    ``image`` is in [0, 1]; ``levels`` is 255 for 8-bit and 65535 for 16-bit.
    MATLAB rounds halves away from zero, unlike ``np.round``.

    >>> quantize(np.array([0.5 / 255, 1.2]))
    array([0.00392157, 1.        ])
    """
    scaled = np.clip(np.asarray(image, dtype=np.float64) * levels, 0.0, float(levels))
    return np.floor(scaled + 0.5) / levels
