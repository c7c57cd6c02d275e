"""One name, two networks: the real-optics model for images that look optically blurred, the clean-LR model
for images as sharp as clean MATLAB-bicubic LR, chosen per image from a cheap spectral look.

A model folder routes when it holds ``router.json`` (:data:`leuko_keras.runs.runrecord.ROUTER`):
``{"sharp": "gp-lite-x4", "limit": -2.4}``. Measured (README, Results): routed, the x4 real-optics preset kept
the clean-LR model's +3.73 dB on clean CellaVision LR and the real network's gains on blurred LR, but sensor
noise makes a blurred image look sharp, so the sweep's noisy cells went to the clean-LR model and lost their
gain; the shipped default therefore runs one network, and routing stays an option for a folder of one's own.

>>> from leuko_keras.predict.backends import BicubicBackend
>>> routed = RoutedBackend(BicubicBackend(4, name="real"), BicubicBackend(4, name="clean"), limit=-2.4)
>>> routed.for_image(np.random.default_rng(0).random((32, 32))).name
'clean'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.blur_estimate import SHARP_LIMIT, high_band_ratio


@dataclass
class RoutedBackend:
    """Runs ``blurred`` on images whose high-band ratio is below ``limit``, else ``sharp``."""

    blurred: Any
    sharp: Any
    limit: float = SHARP_LIMIT
    name: str = ""
    fixed_lr_shape: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"blurred": 0, "sharp": 0})

    def __post_init__(self) -> None:
        if self.sharp.scale != self.blurred.scale:
            raise LeukoInputError(
                f"router: the sharp-image model is x{self.sharp.scale}, the other x{self.blurred.scale}; "
                "fix router.json"
            )
        self.name = self.name or self.blurred.name

    @property
    def scale(self) -> int:
        """Both networks' scale."""
        return int(self.blurred.scale)

    @property
    def has_map(self) -> bool:
        """Whether the chosen network gives a parsing map (both do for the shipped presets)."""
        return bool(self.blurred.has_map and self.sharp.has_map)

    @property
    def source(self) -> str:
        """Where the real-optics network came from."""
        return str(self.blurred.source)

    @property
    def degradation(self) -> dict | None:
        """The training LR of the real-optics network (what the name promises)."""
        return getattr(self.blurred, "degradation", None)

    @property
    def config(self) -> dict | None:
        """The real-optics network's run config (its normalisation rule applies to both)."""
        return getattr(self.blurred, "config", None)

    def for_image(self, lr_y: np.ndarray) -> Any:
        """The network for this whole LR image (call once per image, before tiling)."""
        blurred = high_band_ratio(np.asarray(lr_y, dtype=np.float64)) < self.limit
        self.counts["blurred" if blurred else "sharp"] += 1
        return self.blurred if blurred else self.sharp

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Route and run one tile (callers that see whole images route with :meth:`for_image` first)."""
        return self.for_image(lr_y).run(lr_y)


def read_router(folder: Path) -> dict[str, Any] | None:
    """The routing of a preset or run folder (``router.json``), or None when it runs one network.

    >>> read_router(Path("no/such/folder")) is None
    True
    """
    from leuko_keras.runs.runrecord import ROUTER

    path = Path(folder) / ROUTER
    if not path.is_file():
        return None
    try:
        router = json.loads(path.read_text(encoding="utf-8"))
        return {"sharp": str(router["sharp"]), "limit": float(router.get("limit", SHARP_LIMIT))}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise LeukoInputError(f"{path}: not a router ({error}); reinstall leuko-keras or delete the file") from None
