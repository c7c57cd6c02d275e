"""A leuko-keras TFLite model loaded with ``ai_edge_litert`` (no TensorFlow), checked to be one of ours.

A leuko-keras artifact has one float32 input ``lr_y`` of shape (1, h, w, 1)
and outputs ``sr`` (1, s*h, s*w, 1) and, with the geometry prior,
``parsing_map`` (1, s*h, s*w, 3). Its embedded ``leuko_keras`` metadata
gives the tile alignment; without it the U-Net's 16 is assumed.

>>> model = TFLiteModel("exports/gp_x4/model_int8.tflite")  # doctest: +SKIP
>>> model.tile, model.scale
(56, 4)
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

METADATA_NAME = "leuko_keras"
_FIX = "pass a model_*.tflite written by `leuko-keras export --tflite`"


class RunnerError(Exception):
    """A problem the user can fix; the message is one line naming the file and the fix."""


def embedded_metadata(data: bytes) -> dict[str, Any] | None:
    """The ``leuko_keras`` JSON metadata of a TFLite flatbuffer, or None."""
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


class TFLiteModel:
    """Callable ``model(lr (tile, tile)) -> (sr (T, T), probs (T, T, 3) or None)``."""

    def __init__(self, path: str | os.PathLike, threads: int = 2) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise RunnerError(f"{self.path}: no such model file; {_FIX}")
        data = self.path.read_bytes()
        try:
            self._interpreter = Interpreter(model_content=data, num_threads=threads)
            signatures = self._interpreter.get_signature_list()
        except (ValueError, RuntimeError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise RunnerError(f"{self.path}: not a TFLite model ({first}); {_FIX}") from None
        self.metadata = embedded_metadata(data) or {}
        self._check(signatures)
        self._runner = self._interpreter.get_signature_runner(self._key)

    def _check(self, signatures: dict[str, Any]) -> None:
        if len(signatures) != 1:
            raise RunnerError(f"{self.path}: has signatures {sorted(signatures)}, not one; {_FIX}")
        self._key = next(iter(signatures))
        runner = self._interpreter.get_signature_runner(self._key)
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        if list(inputs) != ["lr_y"] or "sr" not in outputs:
            raise RunnerError(
                f"{self.path}: inputs {sorted(inputs)} and outputs {sorted(outputs)} are not "
                f"lr_y -> sr[, parsing_map] (not a leuko-keras model); {_FIX}"
            )
        shape = tuple(int(n) for n in inputs["lr_y"]["shape"])
        out = tuple(int(n) for n in outputs["sr"]["shape"])
        if len(shape) != 4 or shape[0] != 1 or shape[3] != 1 or shape[1] != shape[2] or len(out) != 4:
            raise RunnerError(f"{self.path}: input shape {shape} is not (1, n, n, 1); {_FIX}")
        if out[1] % shape[1] or out[1] // shape[1] < 2 or out[1:] != (out[1], out[1], 1):
            raise RunnerError(f"{self.path}: output shape {out} is not an upscaled (1, N, N, 1); {_FIX}")
        if inputs["lr_y"]["dtype"] != np.float32:
            raise RunnerError(f"{self.path}: input type {inputs['lr_y']['dtype']} is not float32; {_FIX}")
        self.tile = shape[1]
        self.scale = out[1] // shape[1]
        self.has_map = "parsing_map" in outputs
        multiple = int(self.metadata.get("hr_multiple", 16))
        self.align = int(self.metadata.get("tile_alignment_lr", multiple // math.gcd(multiple, self.scale)))

    def __call__(self, lr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        out = self._runner(lr_y=np.asarray(lr, dtype=np.float32)[None, :, :, None])
        probs = out["parsing_map"][0] if self.has_map else None
        return out["sr"][0, :, :, 0], probs
