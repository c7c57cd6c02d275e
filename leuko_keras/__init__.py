"""leuko-keras: super-resolution of leukocyte micrographs with a geometry prior.

Importing the package is cheap: NumPy-level modules (``color``, ``imresize``,
``imageio``, ``metrics``, ``runtime`` ...) load without TensorFlow or Keras.
The model API below loads Keras on first use. Every custom layer, loss and
metric is registered with Keras as soon as Keras is imported (by us or by
you), so ``keras.models.load_model("model.keras")`` works with no
``custom_objects`` after ``import leuko_keras``.

>>> import leuko_keras
>>> model = leuko_keras.build_model("gp", scale=4)  # doctest: +SKIP
>>> model = leuko_keras.pretrained("gp-lite-x4")  # a shipped model, trained on real cells  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

# Before TensorFlow loads: its C++ start-up chatter would bury the one-line errors users need to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.6.0"

from leuko_keras.presets import list_pretrained, pretrained
from leuko_keras.registration import install_hook

install_hook()

_MODEL_API = ("build_model", "compile_model", "list_models")

__all__ = ["__version__", "build_model", "compile_model", "list_models", "list_pretrained", "pretrained"]


def __getattr__(name: str) -> Any:
    # PEP 562: the model API imports Keras (and TensorFlow) only when first asked for.
    if name in _MODEL_API:
        from leuko_keras.registration import register

        register()
        from leuko_keras import models

        return getattr(models, name)
    raise AttributeError(f"module 'leuko_keras' has no attribute {name!r}")
