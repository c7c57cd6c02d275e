"""Building blocks shared by the model builders (functional style, no batch norm unless asked).

>>> import keras
>>> x = keras.Input((None, None, 64))
>>> tuple(residual_block(x, "demo").shape)
(None, None, None, 64)
"""

from __future__ import annotations

from typing import Any

import keras

from leuko_keras.errors import LeukoInputError
from leuko_keras.layers import BicubicUpsample

INPUT_KINDS = ("lr", "bicubic")


def conv(x: Any, filters: int, name: str, kernel: int = 3, **kwargs: Any) -> Any:
    """3x3 'same' convolution with bias (zero padding keeps the spatial size)."""
    return keras.layers.Conv2D(filters, kernel, padding="same", name=name, **kwargs)(x)


def conv_lrelu(x: Any, filters: int, name: str, slope: float = 0.2, kernel: int = 3) -> Any:
    """Convolution followed by LeakyReLU(slope)."""
    x = conv(x, filters, name, kernel=kernel)
    return keras.layers.LeakyReLU(negative_slope=slope, name=f"{name}_lrelu")(x)


def residual_block(x: Any, name: str, filters: int = 64, slope: float = 0.2) -> Any:
    """conv3x3 -> LeakyReLU -> conv3x3, plus identity skip (EDSR style: no norm, no activation after the add)."""
    y = conv_lrelu(x, filters, f"{name}_conv1", slope)
    y = conv(y, filters, f"{name}_conv2")
    return keras.layers.Add(name=f"{name}_add")([x, y])


def image_input(scale: int, input_kind: str) -> tuple[Any, Any]:
    """Model input and the bicubic image the network works on.

    ``input_kind="lr"`` (default everywhere): the input is the raw LR
    luminance and the MATLAB bicubic runs in-graph; ``"bicubic"``: the input
    is already upsampled.
    """
    if input_kind == "lr":
        lr = keras.Input((None, None, 1), name="lr", dtype="float32")
        return lr, BicubicUpsample(scale, name="bicubic")(lr)
    if input_kind == "bicubic":
        up = keras.Input((None, None, 1), name="bicubic", dtype="float32")
        return up, up
    raise LeukoInputError(f"input_kind={input_kind!r} is not known; use one of {', '.join(INPUT_KINDS)}")


def sr_head(features: Any, base: Any | None, name: str = "sr", kernel: int = 1) -> Any:
    """Final conv to one channel, in float32 (mixed precision safe); adds ``base`` if given (global residual)."""
    if base is None:
        return keras.layers.Conv2D(1, kernel, padding="same", name=name, dtype="float32")(features)
    # Zero-initialised so an untrained model starts exactly at bicubic: a random head starts ~1.5 dB
    # below it and GP's early steps overshoot into negative outputs (measured on the demo data).
    residual = keras.layers.Conv2D(
        1, kernel, padding="same", name=f"{name}_residual", dtype="float32", kernel_initializer="zeros"
    )(features)
    return keras.layers.Add(name=name, dtype="float32")([base, residual])
