"""The geometry prior: a U-Net (Ronneberger et al. 2015) with half the channels, giving a 3-class parsing map.

Zero ('same') padding keeps the spatial size, so the input sides must be
multiples of ``2**depth`` (16 by default);
:func:`leuko_keras.models.inference.super_resolve` pads and crops for the user.
Layer names start with ``prior_`` so other code can find (or freeze, or copy)
the prior network inside a bigger model.

>>> import keras
>>> x = keras.Input((32, 32, 1))
>>> tuple(unet_probs(x).shape)
(None, 32, 32, 3)
"""

from __future__ import annotations

from typing import Any

import keras

PREFIX = "prior_"


def _double_conv(x: Any, filters: int, name: str) -> Any:
    for i in (1, 2):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i}")(x)
    return x


def unet_probs(image: Any, base: int = 32, depth: int = 4, classes: int = 3, name: str = "mask") -> Any:
    """U-Net on ``image`` -> softmax probabilities (float32), output layer named ``name``.

    Channels base * 2**k for k = 0..depth (32..512 by default): half of the
    original 64..1024. Up-sampling by 2x2 transposed convolutions, as in the
    paper.
    """
    skips = []
    x = image
    for level in range(depth):
        x = _double_conv(x, base * 2**level, f"{PREFIX}down{level}")
        skips.append(x)
        x = keras.layers.MaxPooling2D(2, name=f"{PREFIX}pool{level}")(x)
    x = _double_conv(x, base * 2**depth, f"{PREFIX}bottom")
    for level in reversed(range(depth)):
        filters = base * 2**level
        x = keras.layers.Conv2DTranspose(filters, 2, strides=2, name=f"{PREFIX}up{level}")(x)
        x = keras.layers.Concatenate(name=f"{PREFIX}cat{level}")([skips[level], x])
        x = _double_conv(x, filters, f"{PREFIX}dec{level}")
    logits = keras.layers.Conv2D(classes, 1, name=f"{PREFIX}logits", dtype="float32")(x)
    return keras.layers.Softmax(axis=-1, name=name, dtype="float32")(logits)


def size_multiple(depth: int = 4) -> int:
    """HR sides must be multiples of this for the U-Net (16 by default)."""
    return 2**depth
