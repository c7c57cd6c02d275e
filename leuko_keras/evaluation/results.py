"""Result records of an evaluation: one per model and scale, plus paired comparisons.

>>> r = ModelResult("Bicubic", 4, 30.0, 0.9, 1, [{"name": "a", "psnr": 30.0, "ssim": 0.9}])
>>> r.as_dict()["model"], r.psnr_of()["a"]
('Bicubic', 30.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from leuko_keras.evaluation.bootstrap import GainCI


@dataclass
class ModelResult:
    """Mean PSNR/SSIM (and map Dice) of one model at one scale, with the per-image scores."""

    model: str
    scale: int
    psnr: float
    ssim: float
    n_images: int
    per_image: list[dict[str, Any]]
    dice: dict[str, float] | None = None
    source: str = ""
    seconds: float = 0.0
    morphology: dict[str, Any] | None = None  # agreement of cell measures (protocol.morphometry)

    def psnr_of(self) -> dict[str, float]:
        """Per-image PSNR by image name (what paired comparisons match on)."""
        return {row["name"]: float(row["psnr"]) for row in self.per_image}

    def as_dict(self) -> dict[str, Any]:
        """JSON form: ``model, scale, psnr, ssim, n_images, per_image`` (+ ``dice``, ``source``, ``seconds``)."""
        out: dict[str, Any] = {
            "model": self.model,
            "scale": self.scale,
            "psnr": _finite(self.psnr),
            "ssim": _finite(self.ssim),
            "n_images": self.n_images,
            "per_image": [{k: _clean(v) for k, v in row.items()} for row in self.per_image],
            "source": self.source,
            "seconds": round(self.seconds, 3),
        }
        if self.dice is not None:
            out["dice"] = {k: _finite(v) for k, v in self.dice.items()}
        if self.morphology is not None:
            out["morphology"] = _clean(self.morphology)
        return out


@dataclass
class Comparison:
    """Paired PSNR gain of ``model`` over ``reference`` at ``scale``; ``kind`` says why it is listed."""

    model: str
    reference: str
    scale: int
    kind: str  # "over_bicubic", "over_next" or "pair"
    ci: GainCI = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON form with the interval flattened."""
        return {
            "model": self.model,
            "reference": self.reference,
            "scale": self.scale,
            "kind": self.kind,
            "gain_db": _finite(self.ci.mean),
            "ci_low": _finite(self.ci.low),
            "ci_high": _finite(self.ci.high),
            "confidence": self.ci.confidence,
            "n_images": self.ci.n,
        }


def _finite(value: float) -> float | None:
    # JSON has no NaN/Infinity; None says "not defined" (e.g. a perfect reconstruction).
    return float(value) if math.isfinite(value) else None


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
