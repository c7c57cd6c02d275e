"""Prediction for users: backends (bicubic, Keras, TFLite), tiling, file outputs.

>>> from leuko_keras.predict import load_backend, predict_paths
>>> report = predict_paths(["cells/"], load_backend("runs/gp_x4"), "sr/")  # doctest: +SKIP
"""

from __future__ import annotations

from leuko_keras.predict.backends import Backend, BicubicBackend, load_backend
from leuko_keras.predict.files import PredictReport, predict_file, predict_paths
from leuko_keras.runtime.inputs import collect_images
from leuko_keras.runtime.tiling import iter_strips, super_resolve_tiled

__all__ = [
    "Backend",
    "BicubicBackend",
    "PredictReport",
    "collect_images",
    "iter_strips",
    "load_backend",
    "predict_file",
    "predict_paths",
    "super_resolve_tiled",
]
