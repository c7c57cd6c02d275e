"""Super-resolve one luminance image with any registered model, whatever its size.

The U-Net inside GP-style models needs HR sides that are multiples of 16
(``gp``), or LR sides that are multiples of 4 (``gp-lite``).
We pad the LR image at the bottom/right by *symmetric* reflection (edge
pixel repeated, MATLAB's own bicubic border rule, so the in-graph bicubic
of the original pixels is unchanged), predict, and crop back: users never
see the constraint.

>>> import numpy as np, leuko_keras
>>> sr, probs = super_resolve(leuko_keras.build_model("gp", scale=4), np.full((9, 11), 0.5, "float32"))
>>> sr.shape, probs.shape
((36, 44), (36, 44, 3))
"""

from __future__ import annotations

import math

import keras
import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.models.compile import output_names
from leuko_keras.models.lite import LITE_PREFIX
from leuko_keras.models.registry import model_scale
from leuko_keras.models.unet import PREFIX


def hr_multiple(model: keras.Model) -> int:
    """What the HR sides must be a multiple of for ``model``: 2**poolings of its U-Net, at HR (gp: 16)
    or at LR (gp-lite: 4 x scale); 1 without a prior.

    >>> import leuko_keras
    >>> hr_multiple(leuko_keras.build_model("gp", scale=4)), hr_multiple(leuko_keras.build_model("gp-lite", scale=8))
    (16, 32)
    """
    layers = _all_layers(model)
    hr_pools = sum(1 for layer in layers if layer.name.startswith(f"{PREFIX}pool"))
    lr_pools = sum(1 for layer in layers if layer.name.startswith(f"{LITE_PREFIX}pool"))
    if lr_pools:
        return 2**lr_pools * (model_scale(model) or 1)
    return 2**hr_pools


def super_resolve(
    model: keras.Model, lr_y: np.ndarray, scale: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(sr_y (H, W) float32, probs (H, W, 3) float32 or None)`` for an LR luminance ``lr_y`` (h, w).

    ``scale`` is read from the model when not given.
    """
    lr = np.asarray(lr_y, dtype=np.float32)
    if lr.ndim == 3 and lr.shape[-1] == 1:
        lr = lr[..., 0]
    if lr.ndim != 2:
        raise LeukoInputError(f"super_resolve needs an (h, w) luminance image, got shape {lr.shape}; pass Y only")
    scale = scale or model_scale(model)
    if scale is None:
        raise LeukoInputError(f"model {model.name!r}: cannot tell its scale; pass scale=")
    h, w = lr.shape
    if min(h, w) < 3:
        raise LeukoInputError(f"LR image of {w}x{h} pixels is too small; it needs at least 3x3")
    # LR step so that HR = LR * scale is a multiple of the U-Net's 16.
    need = hr_multiple(model)
    step = need // math.gcd(need, scale)
    ph, pw = (-h) % step, (-w) % step
    padded = np.pad(lr, ((0, ph), (0, pw)), mode="symmetric") if (ph or pw) else lr
    # One image is one batch: predict_on_batch skips the tf.data pipeline predict() builds around it.
    result = model.predict_on_batch(padded[None, :, :, None].astype(np.float32))
    if not isinstance(result, dict):
        names = output_names(model)
        result = dict(zip(names, result if isinstance(result, list | tuple) else [result], strict=True))
    sr = np.asarray(result["sr"], dtype=np.float32)[0, : h * scale, : w * scale, 0]
    probs = result.get("mask")
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float32)[0, : h * scale, : w * scale, :]
    return sr, probs


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    # GAN wrappers hold their generator as a sub-model.
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if isinstance(layer, keras.Model):
            layers.extend(_all_layers(layer))
    return layers
