"""MATLAB-exact bicubic ``imresize`` in TensorFlow, for input pipelines.

``tf.image.resize(..., "bicubic", antialias=True)`` already uses MATLAB's
kernel (Keys, a = -0.5), widens it by 1/scale when shrinking and normalises
the weights; what differs is the border: TensorFlow drops the taps that fall
outside the image, MATLAB mirrors the image (symmetric padding). So we pad
symmetrically by more than the kernel reach, resample with the same op
``tf.image.resize`` runs underneath (``ScaleAndTranslate``, which also lets
the scale be exactly ``scale`` when the size is ``ceil(in * scale)``, as
MATLAB does for sizes that do not divide) and the translation crops the pad
away. Plain ``tf.image.resize`` is up to 16 grey levels off at the borders
on the shared data; this matches :func:`leuko_keras.imresize.imresize` to
about 6e-5 grey levels (tests/test_data_tf_resize.py).

One exception: upscaling by a factor that is not a power of two (x3). The
op computes sample positions in float32 as ``(x + 0.5) * (1/scale)``; with
1/3 inexact, positions near pixel 300 are off by ~1e-5 px and sharp edges
move by up to 1.3e-3 grey levels. For those scales ``method="auto"`` uses
``"matmul"``: the exact MATLAB weights of
:func:`leuko_keras.imresize.contributions` (mirror borders folded in) as two
dense matrices, ~1e-5 grey levels, cheap at micrograph sizes.

>>> import numpy as np
>>> out = imresize_tf(np.random.default_rng(0).random((32, 40, 3)), 0.25)
>>> tuple(out.shape)
(8, 10, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from leuko_keras.imresize import contributions, output_size

METHODS = ("auto", "resize", "matmul")


def _symmetric_pad(images: tf.Tensor, pad_h: int, pad_w: int) -> tf.Tensor:
    # tf.pad SYMMETRIC needs pad <= size; repeat for tiny images (numpy does the same).
    while pad_h > 0 or pad_w > 0:
        step_h = min(pad_h, int(images.shape[1]))
        step_w = min(pad_w, int(images.shape[2]))
        images = tf.pad(images, [[0, 0], [step_h, step_h], [step_w, step_w], [0, 0]], mode="SYMMETRIC")
        pad_h, pad_w = pad_h - step_h, pad_w - step_w
    return images


def _resize_is_exact(scale: float) -> bool:
    # Float32 sample positions are exact when 1/scale is a power of two or an
    # integer (shrinking by 1/n gives inv_scale == n exactly).
    inv = np.float32(1.0) / np.float32(scale)
    return float(inv).is_integer() or float(np.log2(inv)).is_integer()


def _dense(in_len: int, out_len: int, scale: float) -> tf.Tensor:
    weights, indices = contributions(in_len, out_len, scale)
    matrix = np.zeros((out_len, in_len))
    np.add.at(matrix, (np.repeat(np.arange(out_len), indices.shape[1]), indices.ravel()), weights.ravel())
    return tf.constant(matrix, tf.float32)


def imresize_tf(images: Any, scale: float, method: str = "auto") -> tf.Tensor:
    """Resize (H, W), (H, W, C) or (B, H, W, C) floats by ``scale`` like MATLAB ``imresize`` (bicubic).

    Static spatial sizes are required (they fix the output size
    ``ceil(in * scale)``). The result is float32, not rounded or clipped.
    ``method``: ``"resize"`` (symmetric pad + antialiased bicubic resize),
    ``"matmul"`` (exact dense weights) or ``"auto"`` (resize where its float32
    positions are exact, else matmul).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    images = tf.convert_to_tensor(images)
    if not images.dtype.is_floating:
        images = tf.cast(images, tf.float32)
    rank = images.shape.rank
    if rank not in (2, 3, 4):
        raise ValueError(f"imresize_tf expects rank 2, 3 or 4, got shape {images.shape}")
    batch = images[None, ..., None] if rank == 2 else images[None] if rank == 3 else images
    batch = tf.cast(batch, tf.float32)
    in_h, in_w = int(batch.shape[1]), int(batch.shape[2])
    out_h, out_w = output_size((in_h, in_w), scale)
    if method == "matmul" or (method == "auto" and not _resize_is_exact(scale)):
        out = tf.einsum("oh,bhwc->bowc", _dense(in_h, out_h, scale), batch)
        out = tf.einsum("pw,bowc->bopc", _dense(in_w, out_w, scale), out)
        return out[0, ..., 0] if rank == 2 else out[0] if rank == 3 else out
    # Kernel reach in input pixels: 2 (upscaling) or 2/scale (shrinking), plus a margin.
    reach = math.ceil(2.0 / min(scale, 1.0)) + 2
    # Centring on 0 halves the float32 rounding error (the weights sum to 1, so
    # resize(x - 0.5) + 0.5 == resize(x) exactly in real arithmetic).
    padded = _symmetric_pad(batch - 0.5, reach, reach)
    # Output pixel centre (x + 0.5) samples input position (x + 0.5) / scale + reach.
    out = tf.raw_ops.ScaleAndTranslate(
        images=padded,
        size=tf.constant([out_h, out_w], tf.int32),
        scale=tf.constant([scale, scale], tf.float32),
        translation=tf.constant([-reach * scale, -reach * scale], tf.float32),
        kernel_type="keyscubic",
        antialias=True,
    )
    out = out + 0.5
    if rank == 2:
        return out[0, ..., 0]
    return out[0] if rank == 3 else out
