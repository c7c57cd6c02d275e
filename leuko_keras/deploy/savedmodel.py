"""The exportable form of a model: float32, checked to be ours, served with named outputs.

Every leuko-keras model takes the raw LR luminance ``(B, h, w, 1)`` and
returns a dict with ``"sr"`` (and ``"mask"`` for models with the geometry
prior). The serving signature renames ``mask`` to ``parsing_map`` (softmax
probabilities of background / cytoplasm / nucleus), the name deployed code
reads.

>>> import leuko_keras
>>> model = float32_model(leuko_keras.build_model("gp", scale=4))  # doctest: +SKIP
>>> write_savedmodel(model, "export/saved_model")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from leuko_keras.errors import LeukoInputError

INPUT_NAME = "lr_y"
SIGNATURE_KEY = "serving_default"
# Keras output name -> serving output name.
OUTPUT_NAMES = {"sr": "sr", "mask": "parsing_map"}


def check_ours(model: Any, path: str | os.PathLike) -> None:
    """Refuse a model that does not follow the leuko-keras contract (one Y input, dict output with ``sr``).

    >>> check_ours(object(), "x.keras")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: x.keras: not a Keras model; export a leuko-keras model ...
    """
    fix = "export a leuko-keras model (a run folder or its best.keras)"
    if not isinstance(model, keras.Model):
        raise LeukoInputError(f"{path}: not a Keras model; {fix}")
    inputs = model.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[-1] != 1:
        shapes = [tuple(t.shape) for t in inputs]
        raise LeukoInputError(f"{path}: expects inputs {shapes}, not one luminance image (B, h, w, 1); {fix}")
    outputs = model.output
    if not isinstance(outputs, dict) or "sr" not in outputs:
        raise LeukoInputError(f"{path}: its outputs are not a dict with 'sr' (a leuko-keras model); {fix}")
    if tuple(outputs["sr"].shape[-1:]) != (1,):
        raise LeukoInputError(
            f"{path}: its 'sr' output has shape {tuple(outputs['sr'].shape)}, not (B, H, W, 1); {fix}"
        )


def float32_model(model: keras.Model) -> keras.Model:
    """Return ``model`` computing entirely in float32 (a clone with the same weights if it was mixed precision).

    A model trained under ``mixed_bfloat16`` keeps bfloat16 layer policies in
    its ``.keras`` file; TFLite has no bfloat16 kernels and the parity gate
    needs a float32 reference, so every policy is forced to float32.

    >>> float32_model(model).dtype_policy.name  # doctest: +SKIP
    'float32'
    """
    if all(layer.dtype_policy.name == "float32" for layer in _all_layers(model)):
        return model
    config = _force_float32(model.get_config())
    clone = model.__class__.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    return [model, *model._flatten_layers(include_self=False, recursive=True)]


def _force_float32(config: Any) -> Any:
    if isinstance(config, dict):
        out = {}
        for key, value in config.items():
            if key == "dtype" and isinstance(value, str) and value.startswith("mixed_"):
                out[key] = "float32"
            elif key == "dtype" and isinstance(value, dict) and "DTypePolicy" in str(value.get("class_name", "")):
                out[key] = {**value, "config": {**value.get("config", {}), "name": "float32"}}
            else:
                out[key] = _force_float32(value)
        return out
    if isinstance(config, list):
        return [_force_float32(item) for item in config]
    return config


def serving_function(model: keras.Model) -> Any:
    """The function exported as the serving signature: LR Y -> ``{"sr", "parsing_map"}``."""

    def serve(lr_y: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = model(lr_y, training=False)
        return {OUTPUT_NAMES[key]: tf.cast(outputs[key], tf.float32) for key in OUTPUT_NAMES if key in outputs}

    return serve


def write_savedmodel(
    model: keras.Model, out_dir: str | os.PathLike, input_shape: tuple[int | None, ...] = (None, None, None, 1)
) -> Path:
    """Write a SavedModel whose ``serving_default`` maps ``lr_y`` to named outputs ``sr`` / ``parsing_map``.

    ``input_shape`` is dynamic by default (servers batch and tile freely);
    TFLite conversion uses a fixed shape, e.g. ``(1, 56, 56, 1)``.

    >>> write_savedmodel(model, "/tmp/sm", (1, 56, 56, 1))  # doctest: +SKIP
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serve",  # Keras names its endpoint "serve" and also publishes it as serving_default
        fn=serving_function(model),
        input_signature=[tf.TensorSpec(input_shape, tf.float32, name=INPUT_NAME)],
    )
    archive.write_out(os.fspath(out_dir), verbose=False)
    return Path(out_dir)
