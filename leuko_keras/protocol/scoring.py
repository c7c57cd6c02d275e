"""The one per-image scorer and its averaging rule, shared by fit's summary, evaluate and the export gate.

Per image: PSNR and SSIM of the SR luminance against the HR with ``scale`` border pixels cut (the
protocol of :mod:`leuko_keras.protocol.metrics`), and the parsing map's Dice per class when the model
gives a map and the image has one. Over images: the mean of the finite values (an image identical to
its HR has an infinite PSNR and says nothing about the others), and per class the mean Dice of the
images where that class appears (a class absent from both maps is NaN for that image).

>>> import numpy as np
>>> row = score_image(np.full((32, 32), 0.5), np.full((32, 32), 0.25), 4)
>>> round(row["psnr"], 2), row["dice"]
(12.04, None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from leuko_keras.protocol.metrics import CLASS_NAMES, dice_iou, psnr, ssim


def score_image(
    sr_y: np.ndarray, hr_y: np.ndarray, scale: int, probs: np.ndarray | None = None, labels: np.ndarray | None = None
) -> dict[str, Any]:
    """``{"psnr", "ssim", "dice"}`` of one image; ``dice`` is ``{class: dice}`` or None without two maps."""
    hr = np.asarray(hr_y, dtype=np.float64)
    row: dict[str, Any] = {"psnr": psnr(sr_y, hr, crop=scale), "ssim": ssim(sr_y, hr, crop=scale), "dice": None}
    if probs is not None and labels is not None:
        scores = dice_iou(np.argmax(probs, axis=-1), labels)
        row["dice"] = {name: scores[name]["dice"] for name in CLASS_NAMES}
    return row


def finite_mean(values: Sequence[float]) -> float:
    """Mean of the finite values (NaN when there are none).

    >>> finite_mean([1.0, float("inf"), 3.0, float("nan")])
    2.0
    """
    finite = [float(v) for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def mean_scores(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The averages of :func:`score_image` rows: ``{"psnr", "ssim", "dice"}`` (``dice`` None without maps).

    >>> mean_scores([{"psnr": 30.0, "ssim": 0.5, "dice": None}, {"psnr": 32.0, "ssim": 1.0, "dice": None}])
    {'psnr': 31.0, 'ssim': 0.75, 'dice': None}
    """
    dice_rows = [r["dice"] for r in rows if r.get("dice")]
    dice = {name: finite_mean([d[name] for d in dice_rows]) for name in CLASS_NAMES} if dice_rows else None
    return {
        "psnr": finite_mean([r["psnr"] for r in rows]),
        "ssim": finite_mean([r["ssim"] for r in rows]),
        "dice": dice,
    }
