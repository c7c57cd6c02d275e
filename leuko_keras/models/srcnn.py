"""SRCNN 9-5-5 (Dong et al. 2014/2016) on Y, the paper's smallest baseline: 57,281 parameters.

'same' padding so the output keeps the bicubic size (the original trains
with 'valid' patches; the weights are the same).

>>> build_srcnn(scale=4).count_params()
57281
"""

from __future__ import annotations

import keras

from leuko_keras.models.blocks import image_input
from leuko_keras.models.registry import model_name, register


@register("srcnn", "bicubic", ("sr",), "SRCNN 9-5-5 (Dong et al.): 3 convs on the bicubic image", display="SRCNN")
def build_srcnn(scale: int = 4, input_kind: str = "lr") -> keras.Model:
    """SRCNN: conv 9x9 64 + ReLU, 5x5 32 + ReLU, 5x5 1 (float32)."""
    inputs, image = image_input(scale, input_kind)
    x = keras.layers.Conv2D(64, 9, padding="same", activation="relu", name="patch_extraction")(image)
    x = keras.layers.Conv2D(32, 5, padding="same", activation="relu", name="nonlinear_mapping")(x)
    sr = keras.layers.Conv2D(1, 5, padding="same", name="sr", dtype="float32")(x)
    return keras.Model(inputs, {"sr": sr}, name=model_name("srcnn", scale))
