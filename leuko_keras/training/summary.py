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
from leuko_keras.protocol.metrics import PROTOCOL, PROTOCOL_TEXT
from leuko_keras.protocol.scoring import mean_scores, score_image


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
    model_rows, bicubic_rows = [], []
    for example in examples:
        sr, probs = predict(model, np.asarray(example.lr_y, dtype=np.float32))
        bicubic = bicubic_upscale(np.asarray(example.lr_y, dtype=np.float64), scale)
        model_rows.append(score_image(sr, example.hr_y, scale, probs, getattr(example, "labels", None)))
        bicubic_rows.append(score_image(bicubic, example.hr_y, scale))
    mine, base = mean_scores(model_rows), mean_scores(bicubic_rows)
    result: dict[str, Any] = {
        "images": len(examples),
        "scale": scale,
        "model": {"psnr": _finite(mine["psnr"]), "ssim": _finite(mine["ssim"])},
        "bicubic": {"psnr": _finite(base["psnr"]), "ssim": _finite(base["ssim"])},
    }
    if mine["dice"]:
        result["model"]["dice"] = {name: _finite(mine["dice"][name]) for name in ("cytoplasm", "nucleus")}
    return result


def _finite(value: float) -> float | None:
    # summary.json writes no NaN: a score that could not be taken is null.
    return value if math.isfinite(value) else None


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
    text = PROTOCOL_TEXT
    lr = (summary.get("protocol") or {}).get("degradation")
    if lr and lr != PROTOCOL["degradation"]:
        # The validation LR was made by the run's degradation, not the paper's bicubic: say so under the table.
        text = text.split("; LR = ")[0] + f"; LR = {lr}; SR clipped to [0, 255]."
    return "\n".join([*lines, "", text])


def protocol(degradation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The evaluation protocol recorded in config.json and summary.json; the LR as the run made it.

    >>> protocol()["degradation"] == PROTOCOL["degradation"]
    True
    """
    out = dict(PROTOCOL)
    if degradation and degradation.get("kind", "bicubic") != "bicubic":
        from leuko_keras.data.degradations import describe

        out["degradation"] = describe(degradation) + " (one draw per validation image)"
    return out
