"""Deployment: SavedModel and parity-gated TFLite artifacts for mobile microscopes.

>>> from leuko_keras.deploy import export_model
>>> result = export_model("runs/gp_x4", "exports/gp_x4")  # doctest: +SKIP
>>> sorted(result.files)[:2]  # doctest: +SKIP
['metadata.json', 'model_dynamic.tflite']

The TensorFlow-free runner for the artifacts is :mod:`leuko_keras.runtime.run`
(``leuko-keras-run MODEL.tflite IN... --out DIR``).
"""

from __future__ import annotations

from leuko_keras.deploy.export import DEFAULT_INPUT_SIZE, ExportResult, artifact_name, export_model
from leuko_keras.deploy.tflite import QUANTIZATIONS, parse_quantizations

__all__ = [
    "DEFAULT_INPUT_SIZE",
    "QUANTIZATIONS",
    "ExportResult",
    "artifact_name",
    "export_model",
    "parse_quantizations",
]
