"""Keras metrics for ``fit``: PSNR on Y (``PSNRY``) and parsing-map Dice (``MapDice``).

Both follow :mod:`leuko_keras.protocol.metrics` (the NumPy reference used for the
tables): PSNR per image on Y in [0, 1], SR clipped, ``crop`` = scale pixels
cut from every border, averaged over images; Dice per class on the argmax
maps, here pooled over all pixels seen in the epoch and averaged over the
three classes.

>>> import numpy as np
>>> m = PSNRY(crop=0)
>>> m.update_state(np.full((1, 8, 8, 1), 0.5), np.full((1, 8, 8, 1), 0.5 + 1 / 255))
>>> round(float(m.result()), 2)
48.13
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="leuko_keras")
class PSNRY(keras.metrics.Metric):
    """Mean per-image PSNR (dB) of the ``"sr"`` output against HR Y in [0, 1], border ``crop`` pixels cut."""

    def __init__(self, crop: int = 4, name: str = "psnr_y", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.crop = int(crop)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total", dtype="float32")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count", dtype="float32")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.clip(ops.cast(y_pred, "float32"), 0.0, 1.0)
        if self.crop > 0:
            c = self.crop
            y_true = y_true[:, c:-c, c:-c, :]
            y_pred = y_pred[:, c:-c, c:-c, :]
        mse = ops.mean(ops.square(y_pred - y_true), axis=(1, 2, 3))
        # A perfect image would give inf; cap at 100 dB so one batch cannot poison the mean.
        psnr = -10.0 * ops.log(ops.maximum(mse, 1e-10)) / ops.log(10.0)
        self.total.assign_add(ops.sum(psnr))
        self.count.assign_add(ops.cast(ops.shape(psnr)[0], "float32"))

    def result(self) -> Any:
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "crop": self.crop}


@keras.saving.register_keras_serializable(package="leuko_keras")
class MapDice(keras.metrics.Metric):
    """Mean over classes of Dice = 2|P∩T| / (|P| + |T|) on argmax maps, pooled over the epoch."""

    def __init__(self, num_classes: int = 3, name: str = "map_dice", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.num_classes = int(num_classes)
        shape = (self.num_classes,)
        self.intersection = self.add_variable(shape=shape, initializer="zeros", name="intersection", dtype="float32")
        self.totals = self.add_variable(shape=shape, initializer="zeros", name="totals", dtype="float32")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        truth = ops.one_hot(ops.argmax(y_true, axis=-1), self.num_classes, dtype="float32")
        pred = ops.one_hot(ops.argmax(y_pred, axis=-1), self.num_classes, dtype="float32")
        axes = tuple(range(len(truth.shape) - 1))
        self.intersection.assign_add(ops.sum(truth * pred, axis=axes))
        self.totals.assign_add(ops.sum(truth, axis=axes) + ops.sum(pred, axis=axes))

    def result(self) -> Any:
        present = ops.cast(self.totals > 0, "float32")
        dice = ops.divide_no_nan(2.0 * self.intersection, self.totals)
        # Classes absent from both maps say nothing: average only over the present ones.
        return ops.divide_no_nan(ops.sum(dice * present), ops.sum(present))

    def reset_state(self) -> None:
        self.intersection.assign(ops.zeros((self.num_classes,)))
        self.totals.assign(ops.zeros((self.num_classes,)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes}
