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

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from leuko_keras.degrade import SUPPORTED_SCALES, bicubic_upscale
from leuko_keras.errors import LeukoInputError

# Networks with a U-Net need the HR side to be a multiple of this (gp) ...
HR_MULTIPLE = 16
# ... or the LR side a multiple of this (gp-lite's two poolings at LR).
LR_MULTIPLE = 4


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

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Run through :func:`leuko_keras.inference.super_resolve` (pads and crops back)."""
        from leuko_keras.inference import super_resolve

        sr, probs = super_resolve(self.model, np.asarray(lr_y, dtype=np.float32))
        return np.asarray(sr, dtype=np.float64), (None if probs is None else np.asarray(probs, dtype=np.float32))


@dataclass
class TFLiteBackend:
    """A ``.tflite`` file run with ``ai_edge_litert`` (builtin ops only)."""

    interpreter: Any
    scale: int
    name: str
    has_map: bool
    source: str
    fixed_lr_shape: tuple[int, int] | None
    _shape: tuple[int, ...] | None = field(default=None, repr=False)

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Pad to what the graph accepts, invoke, crop back."""
        lr = np.asarray(lr_y, dtype=np.float32)
        h, w = lr.shape
        if self.fixed_lr_shape is not None:
            th, tw = self.fixed_lr_shape
            if h > th or w > tw:
                raise ValueError(f"{self.source}: input {w}x{h} exceeds the fixed {tw}x{th}; tile it first")
        else:
            m = lr_multiple(self.scale)
            th, tw = math.ceil(h / m) * m, math.ceil(w / m) * m
        padded = pad_symmetric(lr, th, tw)
        outputs = self._invoke(padded[None, :, :, None])
        sh, sw = h * self.scale, w * self.scale
        sr = outputs["sr"][0, :sh, :sw, 0].astype(np.float64)
        probs = outputs["mask"][0, :sh, :sw, :] if "mask" in outputs else None
        return sr, probs

    def _invoke(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        interp = self.interpreter
        detail = interp.get_input_details()[0]
        if self._shape != batch.shape:
            if self.fixed_lr_shape is None:
                interp.resize_tensor_input(detail["index"], list(batch.shape), strict=False)
            interp.allocate_tensors()
            self._shape = batch.shape
        interp.set_tensor(detail["index"], batch.astype(detail["dtype"]))
        interp.invoke()
        return _name_outputs(interp)


def lr_multiple(scale: int) -> int:
    """LR side multiple that suits every U-Net here: HR a multiple of 16 (gp) and LR of 4 (gp-lite).

    >>> lr_multiple(4), lr_multiple(3), lr_multiple(8)
    (4, 16, 4)
    """
    return math.lcm(HR_MULTIPLE, LR_MULTIPLE * scale) // scale


def pad_symmetric(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pad bottom/right to (height, width) by symmetric reflection (edge repeated, MATLAB's border rule).

    >>> pad_symmetric(np.array([[1, 2]]), 1, 4).tolist()
    [[1, 2, 2, 1]]
    """
    return np.pad(image, ((0, height - image.shape[0]), (0, width - image.shape[1])), mode="symmetric")


def _name_outputs(interp: Any) -> dict[str, np.ndarray]:
    # Converted graphs lose the dict keys; the channel count tells them apart
    # (SR has 1 channel, the parsing map 3).
    named: dict[str, np.ndarray] = {}
    for detail in interp.get_output_details():
        value = interp.get_tensor(detail["index"])
        key = "mask" if value.shape[-1] == 3 else "sr"
        named[key] = value.astype(np.float32)
    return named


def pretty_name(raw: str) -> str:
    """Paper spelling of a model name: the registry's display name (:func:`leuko_keras.runrecord.display_name`).

    >>> pretty_name("gp"), pretty_name("sftgan"), pretty_name("mynet")
    ('GP', 'SFTGAN', 'mynet')
    """
    from leuko_keras.runrecord import display_name

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
    from leuko_keras.presets import PRETRAINED, resolve_model_path

    path = resolve_model_path(path_text)
    if not path.exists():
        raise LeukoInputError(
            f"{path}: no such model; give a run folder, a .keras or .tflite file, 'bicubic' "
            f"or a pretrained name ({', '.join(PRETRAINED)})"
        )
    backend = _load_tflite(path, name) if path.suffix.lower() == ".tflite" else _load_keras(path, name)
    if scale is not None and backend.scale != scale:
        raise LeukoInputError(
            f"{path}: this model super-resolves x{backend.scale}, not x{scale}; use --scale {backend.scale}"
        )
    return backend


def _load_keras(path: Path, name: str | None) -> KerasBackend:
    from leuko_keras.model_io import load_run

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
    )


def _load_tflite(path: Path, name: str | None) -> TFLiteBackend:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:  # pragma: no cover - ai-edge-litert is a dependency
        raise LeukoInputError(f"{path}: ai-edge-litert is not installed; pip install ai-edge-litert") from error
    try:
        # All cores: the interpreter defaults to one thread.
        interp = Interpreter(model_path=str(path), num_threads=os.cpu_count() or 1)
    except (ValueError, RuntimeError) as error:
        raise LeukoInputError(f"{path}: not a readable TFLite model ({error}); re-export it") from error
    detail = interp.get_input_details()[0]
    signature = list(detail.get("shape_signature", detail["shape"]))
    dynamic = any(int(v) < 0 for v in signature[1:3])
    fixed = None if dynamic else (int(detail["shape"][1]), int(detail["shape"][2]))
    probe_side = fixed or (16, 16)
    backend = TFLiteBackend(
        interpreter=interp,
        scale=1,
        name=name or "",
        has_map=False,
        source=str(path),
        fixed_lr_shape=fixed,
    )
    outputs = backend._invoke(np.full((1, *probe_side, 1), 0.5, dtype=np.float32))
    backend.scale = int(outputs["sr"].shape[1]) // probe_side[0]
    backend.has_map = "mask" in outputs
    if backend.scale not in SUPPORTED_SCALES:
        raise LeukoInputError(f"{path}: output is x{backend.scale}, not a super-resolution model; re-export it")
    if not name:
        backend.name = pretty_name(_sidecar_model_name(path) or path.stem) + " (TFLite)"
    return backend


def _sidecar_model_name(path: Path) -> str | None:
    # `leuko-keras export` writes metadata.json beside its .tflite files ({"model": {"name": ...}}).
    meta = path.parent / "metadata.json"
    try:
        model = json.loads(meta.read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    name = model.get("name") if isinstance(model, dict) else model
    return name if isinstance(name, str) else None
