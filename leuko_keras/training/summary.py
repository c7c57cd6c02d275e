"""The closing table of a run: validation PSNR/SSIM of the model beside bicubic, and summary.json.

Measured with the package protocol (``leuko_keras.protocol.metrics.PROTOCOL``) on the
whole validation images (not the training crops): the model's output and
the MATLAB-exact bicubic upscale of the same LR luminance, border crop =
scale; parsing-map Dice (cytoplasm, nucleus) when the model predicts maps.

>>> print(format_table({"images": 2, "scale": 4, "bicubic": {"psnr": 30.0, "ssim": 0.9},
...                     "model": {"name": "gp", "psnr": 31.5, "ssim": 0.92}}).splitlines()[2])
bicubic                   30.00    0.9000
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from leuko_keras.protocol.degrade import bicubic_upscale
from leuko_keras.protocol.metrics import PROTOCOL, PROTOCOL_TEXT, dice_iou, psnr, ssim


def _mean(values: Sequence[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def evaluate_examples(
    model: Any,
    examples: Sequence[Any],
    scale: int,
    predict: Callable[[Any, np.ndarray], tuple[np.ndarray, np.ndarray | None]] | None = None,
) -> dict[str, Any]:
    """Mean PSNR/SSIM of ``model`` and of bicubic over ``examples`` (``hr_y``, ``lr_y``, ``labels``).

    ``predict(model, lr_y) -> (sr_y, probs|None)`` defaults to :func:`leuko_keras.models.inference.super_resolve`.
    """
    if predict is None:
        from leuko_keras.models.inference import super_resolve as predict
    rows: dict[str, list[float]] = {k: [] for k in ("psnr", "ssim", "bic_psnr", "bic_ssim", "dice_cyt", "dice_nuc")}
    for example in examples:
        hr = np.asarray(example.hr_y, dtype=np.float64)
        sr, probs = predict(model, np.asarray(example.lr_y, dtype=np.float32))
        bicubic = bicubic_upscale(np.asarray(example.lr_y, dtype=np.float64), scale)
        rows["psnr"].append(psnr(sr, hr, crop=scale))
        rows["ssim"].append(ssim(sr, hr, crop=scale))
        rows["bic_psnr"].append(psnr(bicubic, hr, crop=scale))
        rows["bic_ssim"].append(ssim(bicubic, hr, crop=scale))
        if probs is not None and getattr(example, "labels", None) is not None:
            scores = dice_iou(np.argmax(probs, axis=-1), example.labels)
            rows["dice_cyt"].append(scores["cytoplasm"]["dice"])
            rows["dice_nuc"].append(scores["nucleus"]["dice"])
    result: dict[str, Any] = {
        "images": len(examples),
        "scale": scale,
        "model": {"psnr": _mean(rows["psnr"]), "ssim": _mean(rows["ssim"])},
        "bicubic": {"psnr": _mean(rows["bic_psnr"]), "ssim": _mean(rows["bic_ssim"])},
    }
    if rows["dice_cyt"]:
        result["model"]["dice"] = {"cytoplasm": _mean(rows["dice_cyt"]), "nucleus": _mean(rows["dice_nuc"])}
    return result


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_table(summary: dict[str, Any]) -> str:
    """The small result table printed at the end of ``fit``, protocol paragraph underneath."""
    model = summary["model"]
    name = f"{model.get('name', 'model')} ({model.get('file', 'best.keras')})"
    lines = [
        f"validation, {summary['images']} image(s), x{summary['scale']}    PSNR (dB)   SSIM",
        "-" * 50,
        f"{'bicubic':<24}{_num(summary['bicubic']['psnr'], 2):>7}    {_num(summary['bicubic']['ssim'], 4)}",
        f"{name[:24]:<24}{_num(model['psnr'], 2):>7}    {_num(model['ssim'], 4)}",
    ]
    if "dice" in model:
        dice = model["dice"]
        lines.append(f"parsing-map Dice: cytoplasm {_num(dice['cytoplasm'], 3)}, nucleus {_num(dice['nucleus'], 3)}")
    return "\n".join([*lines, "", PROTOCOL_TEXT])


def protocol() -> dict[str, Any]:
    """The evaluation protocol recorded in config.json and summary.json."""
    return dict(PROTOCOL)
