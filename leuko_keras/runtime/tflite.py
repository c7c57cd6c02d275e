"""The one TFLite reader: a leuko-keras ``.tflite`` run with ``ai_edge_litert`` (no TensorFlow).

``leuko-keras predict``/``evaluate`` (TFLite backend), the export parity gate
and the on-device runner all run artifacts through :class:`TFLiteModel`, so
the gate tests the reader users run. A leuko-keras artifact has one signature
with input ``lr_y`` (1, h, w, 1) float32 and outputs ``sr`` (1, s*h, s*w, 1)
and, with the geometry prior, ``parsing_map`` (1, s*h, s*w, 3); outputs are
read by those names. The input is fixed-size (tiles) or dynamic. The scale
comes from the shapes (fixed) or the embedded ``leuko_keras`` metadata
(dynamic; a probe run when it is missing); the tile alignment from the
metadata, never below :func:`leuko_keras.runtime.tiling.lr_multiple`.

>>> model = TFLiteModel("exports/gp_x4/model_int8.tflite")  # doctest: +SKIP
>>> model.fixed_lr_shape, model.scale, model.has_map  # doctest: +SKIP
((56, 56), 4, True)
>>> sr, probs = model.run(lr_y)  # any size up to the fixed shape, padded and cropped back  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.tiling import lr_multiple, pad_symmetric

METADATA_NAME = "leuko_keras"
SUPPORTED_SCALES = (2, 3, 4, 8)
_FIX = "pass a model_*.tflite written by `leuko-keras export --tflite`"


def embedded_metadata(data: bytes) -> dict[str, Any] | None:
    """The ``leuko_keras`` JSON metadata embedded in a TFLite flatbuffer, or None."""
    try:
        from ai_edge_litert import schema_py_generated as schema

        model = schema.Model.GetRootAs(data, 0)
        for index in range(model.MetadataLength()):
            entry = model.Metadata(index)
            if entry.Name() == METADATA_NAME.encode():
                return json.loads(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode("utf-8"))
    except Exception:  # metadata is optional: a model without it still runs
        return None
    return None


def sidecar_model_name(path: Path, key: str = "name") -> str | None:
    """The model's ``key`` (``name`` or ``display``) in the ``metadata.json`` that `leuko-keras export` writes
    beside its files, or None."""
    meta = path.parent / "metadata.json"
    try:
        model = json.loads(meta.read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    name = model.get(key) if isinstance(model, dict) else (model if key == "name" else None)
    return name if isinstance(name, str) else None


class TFLiteModel:
    """A checked leuko-keras artifact: ``run(lr_y (h, w)) -> (sr (s*h, s*w), probs (s*h, s*w, 3) | None)``.

    Bad files raise :class:`~leuko_keras.errors.LeukoInputError` (one line: file + fix).
    """

    def __init__(self, path: str | os.PathLike, threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # pragma: no cover - ai-edge-litert is a dependency
            raise LeukoInputError(f"{path}: ai-edge-litert is not installed; pip install ai-edge-litert") from None
        self.path = Path(path)
        if not self.path.is_file():
            raise LeukoInputError(f"{self.path}: no such model file; {_FIX}")
        data = self.path.read_bytes()
        try:
            # All cores by default: the interpreter would use one thread.
            self._interpreter = Interpreter(model_content=data, num_threads=threads or os.cpu_count() or 1)
            signatures = self._interpreter.get_signature_list()
        except (ValueError, RuntimeError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise LeukoInputError(f"{self.path}: not a TFLite model ({first}); {_FIX}") from None
        self.metadata: dict[str, Any] = embedded_metadata(data) or {}
        self._check(signatures)
        self.scale = self._find_scale()
        if self.scale not in SUPPORTED_SCALES:
            raise LeukoInputError(f"{self.path}: output is x{self.scale}, not a super-resolution model; {_FIX}")
        stated = int(self.metadata.get("tile_alignment_lr", 1))
        # A multiple of both: what the model states and what every U-Net here needs.
        self.tile_alignment = math.lcm(stated, lr_multiple(self.scale))

    def _check(self, signatures: dict[str, Any]) -> None:
        if len(signatures) != 1:
            raise LeukoInputError(f"{self.path}: has signatures {sorted(signatures)}, not one; {_FIX}")
        self._runner = self._interpreter.get_signature_runner(next(iter(signatures)))
        inputs, outputs = self._runner.get_input_details(), self._runner.get_output_details()
        if list(inputs) != ["lr_y"] or "sr" not in outputs:
            raise LeukoInputError(
                f"{self.path}: inputs {sorted(inputs)} and outputs {sorted(outputs)} are not "
                f"lr_y -> sr[, parsing_map] (not a leuko-keras model); {_FIX}"
            )
        detail = inputs["lr_y"]
        shape = tuple(int(n) for n in detail["shape"])
        signature = tuple(int(n) for n in detail.get("shape_signature", detail["shape"]))
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 1:
            raise LeukoInputError(f"{self.path}: input shape {shape} is not (1, h, w, 1); {_FIX}")
        if detail["dtype"] != np.float32:
            raise LeukoInputError(f"{self.path}: input type {detail['dtype']} is not float32; {_FIX}")
        dynamic = any(n < 0 for n in signature[1:3])
        self.fixed_lr_shape: tuple[int, int] | None = None if dynamic else (shape[1], shape[2])
        self.has_map = "parsing_map" in outputs
        self._out_shape = tuple(int(n) for n in outputs["sr"]["shape"])

    def _find_scale(self) -> int:
        if self.fixed_lr_shape is not None:
            h, w = self.fixed_lr_shape
            out = self._out_shape
            if len(out) != 4 or out[1] % h or out[2] % w or out[1] // h != out[2] // w or out[3] != 1:
                raise LeukoInputError(f"{self.path}: output shape {out} is not an upscaled (1, H, W, 1); {_FIX}")
            return out[1] // h
        if "scale" in self.metadata:
            return int(self.metadata["scale"])
        # No metadata on a dynamic graph: one small run tells (16 suits every U-Net's pooling here).
        return int(self.invoke(np.full((16, 16), 0.5, np.float32))["sr"].shape[0]) // 16

    def invoke(self, lr: np.ndarray) -> dict[str, np.ndarray]:
        """Raw outputs for one LR input of exactly the shape the graph accepts: ``{"sr": (H, W), ...}``."""
        out = self._runner(lr_y=np.asarray(lr, dtype=np.float32)[None, :, :, None])
        named = {"sr": np.asarray(out["sr"][0, :, :, 0], dtype=np.float32)}
        if "parsing_map" in out:
            named["parsing_map"] = np.asarray(out["parsing_map"][0], dtype=np.float32)
        return named

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """SR luminance (float64) and class probabilities (float32) or None; pads what the graph needs, crops back."""
        lr = np.asarray(lr_y, dtype=np.float32)
        h, w = lr.shape
        if self.fixed_lr_shape is not None:
            th, tw = self.fixed_lr_shape
            if h > th or w > tw:
                raise ValueError(f"{self.path}: input {w}x{h} exceeds the fixed {tw}x{th}; tile it first")
        else:
            m = self.tile_alignment
            th, tw = math.ceil(h / m) * m, math.ceil(w / m) * m
        out = self.invoke(pad_symmetric(lr, th, tw))
        sh, sw = h * self.scale, w * self.scale
        probs = out["parsing_map"][:sh, :sw, :] if "parsing_map" in out else None
        return out["sr"][:sh, :sw].astype(np.float64), probs
