"""Identity forward, no gradient backward, as a registered Keras layer.

Lets an ablation train a sub-network on its own loss only (the lite prior on the
map, not on the image) while the rest of the graph still reads its output.
``tf.stop_gradient`` converts to nothing in TFLite, so exports are unchanged.

>>> import numpy as np
>>> float(StopGradient()(np.ones((1, 2, 2, 1), "float32")).numpy().sum())
4.0
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="leuko_keras")
class StopGradient(keras.layers.Layer):
    """Pass ``inputs`` through unchanged; gradients stop here."""

    def call(self, inputs: Any) -> Any:
        return tf.stop_gradient(inputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape
