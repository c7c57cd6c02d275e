"""Compile a registered model with the paper's losses and the Keras metrics, by output name.

``"sr"``: Charbonnier (eps 1e-3), metric PSNR on Y (border crop = scale);
``"mask"`` (GP only): softmax cross-entropy weighted ``lambda_map``, metric
map Dice. Adam(learning_rate, beta_1). GAN wrappers compile their own
(generator + discriminator optimisers); this function forwards to them.

>>> import leuko_keras
>>> model = compile_model(leuko_keras.build_model("np", scale=4))
>>> round(float(model.optimizer.learning_rate), 8)
0.0001
"""

from __future__ import annotations

import keras

from leuko_keras.models.keras_metrics import PSNRY, MapDice
from leuko_keras.models.losses import Charbonnier, map_loss
from leuko_keras.models.registry import model_scale


def output_names(model: keras.Model) -> list[str]:
    """Names of the model's outputs (dict keys for our functional models)."""
    if isinstance(model.output, dict):
        return list(model.output.keys())
    return list(model.output_names)


def compile_model(
    model: keras.Model,
    learning_rate: float = 1e-4,
    lambda_map: float = 1.0,
    beta_1: float = 0.9,
    scale: int | None = None,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Compile ``model`` in place and return it (see module docstring for the losses and metrics)."""
    if getattr(model, "is_gan", False):
        model.compile(learning_rate=learning_rate, beta_1=beta_1, lambda_map=lambda_map)
        return model
    scale = scale or model_scale(model) or 4
    names = output_names(model)
    losses = {"sr": Charbonnier()}
    weights = {"sr": 1.0}
    metrics = {"sr": [PSNRY(crop=scale)]}
    if "mask" in names:
        losses["mask"] = map_loss()
        weights["mask"] = float(lambda_map)
        metrics["mask"] = [MapDice()]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1),
        loss=losses,
        loss_weights=weights,
        metrics=metrics,
        jit_compile=jit_compile,
    )
    return model
