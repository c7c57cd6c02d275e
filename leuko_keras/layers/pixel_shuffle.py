"""Pixel shuffle (depth to space) as a registered Keras layer.

Keras 3 has no built-in depth-to-space layer; ``tf.nn.depth_to_space``
converts to the TFLite builtin ``DEPTH_TO_SPACE``, so exported SRResNet-style
models need no Flex ops.

>>> import numpy as np
>>> tuple(PixelShuffle(2)(np.zeros((1, 3, 3, 8), "float32")).shape)
(1, 6, 6, 2)
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="leuko_keras")
class PixelShuffle(keras.layers.Layer):
    """Rearrange (B, h, w, C*r*r) into (B, h*r, w*r, C) (Shi et al. 2016)."""

    def __init__(self, factor: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, inputs: Any) -> Any:
        return tf.nn.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, c = input_shape
        r = self.factor
        return (b, None if h is None else h * r, None if w is None else w * r, None if c is None else c // (r * r))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor})
        return config
