"""leuko-keras: super-resolution of leukocyte micrographs with a geometry prior.

Importing the package registers every custom layer, loss and metric with
Keras, so ``keras.models.load_model("model.keras")`` works with no
``custom_objects``.

>>> import leuko_keras
>>> model = leuko_keras.build_model("gp", scale=4)  # doctest: +SKIP
>>> model = leuko_keras.pretrained("gp-lite-x4")  # a shipped model, trained on real cells  # doctest: +SKIP
"""

from __future__ import annotations

import os

# Before TensorFlow loads: its C++ start-up chatter would bury the one-line errors users need to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.2.0"

from leuko_keras.quiet import native_startup_filtered

# TensorFlow loads here; its native start-up notices would come before any one-line error.
with native_startup_filtered():
    # Registration side effects: custom layers, losses, metrics and model builders.
    from leuko_keras import keras_metrics, layers, losses  # noqa: F401
    from leuko_keras.models import build_model, compile_model, list_models
from leuko_keras.presets import list_pretrained, pretrained

__all__ = ["__version__", "build_model", "compile_model", "list_models", "list_pretrained", "pretrained"]
