"""What ``predict`` tells the user about the model's assumptions: the LR it was trained for, and a hint
when a model trained on clean bicubic LR meets an image that looks optically blurred.

>>> from leuko_keras.predict.backends import BicubicBackend
>>> trained_for(BicubicBackend(scale=4))
'no training (bicubic upscaling)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leuko_keras.runtime.blur_estimate import SHARP_LIMIT, high_band_ratio

REAL_DEFAULT = "gp-lite-real-x4"
_FAMILIES = {
    "bicubic": "clean LR (MATLAB bicubic, the paper's protocol)",
    "real": "real optics (low-NA and defocused objectives, camera noise, phone JPEG, and clean LR)",
    "microscope": "one microscope degradation (a specialist)",
    "phone": "one phone degradation (a specialist)",
}


def family(backend: Any) -> str | None:
    """The degradation kind a model was trained on (``bicubic`` when none was recorded); None for bicubic.

    >>> from leuko_keras.predict.backends import BicubicBackend
    >>> family(BicubicBackend(scale=4)) is None
    True
    """
    if getattr(backend, "source", None) == "bicubic":
        return None
    record = getattr(backend, "degradation", None) or {}
    return str(record.get("kind", "bicubic"))


def trained_for(backend: Any) -> str:
    """One phrase: the images this model was trained for."""
    kind = family(backend)
    if kind is None:
        return "no training (bicubic upscaling)"
    return _FAMILIES.get(kind, f"{kind} LR")


def blur_hint(where: str, lr_y: np.ndarray, backend: Any) -> str | None:
    """A one-line suggestion when a clean-LR model meets an image that looks optically blurred, else None.

    A model trained on clean bicubic LR gains almost nothing on optically blurred input (docs/robustness.md);
    the look is :func:`leuko_keras.runtime.blur_estimate.looks_blurred`, taken once per image. Only that
    direction is hinted: sensor noise puts back the fine detail blur removed, so a blurred, noisy image can
    look sharp (the sweep shows it), and a hint towards the clean-LR model would then be wrong.

    >>> from types import SimpleNamespace
    >>> smooth = 0.5 + 0.2 * np.sin(np.arange(64) / 5.0)[None, :] * np.cos(np.arange(64) / 7.0)[:, None]
    >>> blur_hint("a.png", smooth, SimpleNamespace(source="x", degradation=None, scale=4))[:30]
    'a.png: looks optically blurred'
    """
    if family(backend) != "bicubic" or getattr(backend, "scale", 4) != 4:
        # The look separates clean from blurred LR at x4 only (measured); at x8 the optics' blur is about one
        # LR pixel and the two look alike, so no hint is better than a wrong one.
        return None
    ratio = high_band_ratio(lr_y)
    if ratio < SHARP_LIMIT:
        suggestion = REAL_DEFAULT
        return (
            f"{where}: looks optically blurred (high-band ratio {ratio:.2f}), but this model was "
            f"trained on clean bicubic LR and gains little there; try --model {suggestion}"
        )
    return None
