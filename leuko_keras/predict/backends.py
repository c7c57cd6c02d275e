"""What runs a super-resolution: bicubic, a Keras model (file or run folder) or a TFLite file.

Every backend takes the LR luminance (H, W) in [0, 1] and returns the SR
luminance (sH, sW) plus, for models with a parsing-map head, the class
probabilities (sH, sW, 3). Evaluation and prediction both go through here,
so a number in the table comes from exactly the code users run.

>>> backend = load_backend("bicubic", scale=4)
>>> import numpy as np
>>> sr, probs = backend.run(np.full((8, 8), 0.5))
>>> sr.shape, probs is None
((32, 32), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import bicubic_upscale
from leuko_keras.runtime.tflite import TFLiteModel, sidecar_model_name


class Backend(Protocol):
    """A super-resolver: ``run(lr_y) -> (sr_y, probs | None)``."""

    name: str
    scale: int
    has_map: bool
    fixed_lr_shape: tuple[int, int] | None
    source: str

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Super-resolve one LR luminance image."""
        ...


@dataclass
class BicubicBackend:
    """MATLAB-exact bicubic upscaling: the baseline, needs no training."""

    scale: int
    name: str = "Bicubic"
    has_map: bool = False
    fixed_lr_shape: tuple[int, int] | None = None
    source: str = "bicubic"

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, None]:
        """Upscale by ``scale`` (float, clipped)."""
        return bicubic_upscale(np.asarray(lr_y, dtype=np.float64), self.scale), None


@dataclass
class KerasBackend:
    """A Keras model loaded from a ``.keras`` file or a run folder."""

    model: Any
    scale: int
    name: str
    has_map: bool
    source: str
    config: dict | None = None
    fixed_lr_shape: tuple[int, int] | None = None
    degradation: dict | None = None  # how its training LR was made (None: the paper's bicubic)

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Run through :func:`leuko_keras.models.inference.super_resolve` (pads and crops back)."""
        from leuko_keras.models.inference import super_resolve

        sr, probs = super_resolve(self.model, np.asarray(lr_y, dtype=np.float32))
        return np.asarray(sr, dtype=np.float64), (None if probs is None else np.asarray(probs, dtype=np.float32))


class TFLiteBackend(TFLiteModel):
    """A ``.tflite`` file, run by the runtime's one reader (:mod:`leuko_keras.runtime.tflite`), named for tables."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        super().__init__(path)
        self.source = str(path)
        # Exports record their display name; only an older export's needs the Keras registry to spell it.
        display = sidecar_model_name(path, "display") or pretty_name(sidecar_model_name(path) or path.stem)
        self.name = name or display + " (TFLite)"
        self.degradation = self.metadata.get("degradation")


def pretty_name(raw: str) -> str:
    """Paper spelling of a model name: the registry's display name (:func:`leuko_keras.runs.runrecord.display_name`).

    >>> pretty_name("gp"), pretty_name("sftgan"), pretty_name("mynet")
    ('GP', 'SFTGAN', 'mynet')
    """
    from leuko_keras.runs.runrecord import display_name

    return display_name(raw)


def split_label(spec: str) -> tuple[str | None, str]:
    """``LABEL=PATH`` names a model in tables; a bare path is named after its config.

    >>> split_label("GP-long=runs/gp"), split_label("runs/gp")
    (('GP-long', 'runs/gp'), (None, 'runs/gp'))
    """
    if "=" in spec and not Path(spec).exists():
        label, _, path = spec.partition("=")
        return label or None, path
    return None, spec


def load_backend(spec: str | Path, scale: int | None = None, name: str | None = None) -> Backend:
    """Open ``bicubic``, ``MODEL.keras``, a run folder, ``MODEL.tflite`` or a pretrained name (``gp-lite-x4``).

    ``scale`` is required for bicubic; for a model it is read from the model
    and checked against ``scale`` when both are given.
    """
    label, path_text = split_label(str(spec))
    name = name or label
    if path_text.lower() == "bicubic":
        if scale is None:
            raise LeukoInputError("bicubic: needs a --scale; add --scale 4 (or 2, 3, 8)")
        return BicubicBackend(scale=int(scale), name=name or "Bicubic")
    from leuko_keras.runs.presets import PRETRAINED, resolve_model_path

    path = resolve_model_path(path_text)
    if not path.exists():
        raise LeukoInputError(
            f"{path}: no such model; give a run folder, a .keras or .tflite file, 'bicubic' "
            f"or a pretrained name ({', '.join(PRETRAINED)})"
        )
    backend = _load_tflite(path, name) if path.suffix.lower() == ".tflite" else _load_keras(path, name)
    backend = _routed(path, backend, name)
    if scale is not None and backend.scale != scale:
        raise LeukoInputError(
            f"{path}: this model super-resolves x{backend.scale}, not x{scale}; use --scale {backend.scale}"
        )
    return backend


def _load_keras(path: Path, name: str | None) -> KerasBackend:
    from leuko_keras.runs.model_io import load_run

    model, record = load_run(path)
    probe = np.full((1, 16, 16, 1), 0.5, dtype=np.float32)
    outputs = model(probe, training=False)
    if not isinstance(outputs, dict) or "sr" not in outputs:
        raise LeukoInputError(f"{path}: not a leuko-keras model (no 'sr' output); train one with leuko-keras fit")
    scale = int(outputs["sr"].shape[1]) // 16
    if record.scale is not None and record.scale != scale:
        raise LeukoInputError(f"{path}: config.json says x{record.scale} but the model gives x{scale}; re-export it")
    return KerasBackend(
        model=model,
        scale=scale,
        name=name or record.display_name,
        has_map="mask" in outputs,
        source=str(path),
        config=record.config if record.root is not None else None,
        degradation=record.degradation,
    )


def _load_tflite(path: Path, name: str | None) -> TFLiteBackend:
    return TFLiteBackend(path, name)


def _routed(path: Path, backend: Any, name: str | None) -> Any:
    # A folder with router.json runs its own network on blurred images and the named one on sharp ones.
    from leuko_keras.predict.routing import RoutedBackend, read_router

    router = read_router(path) if path.is_dir() else None
    if router is None:
        return backend
    return RoutedBackend(backend, load_backend(router["sharp"]), limit=router["limit"], name=name or backend.name)
