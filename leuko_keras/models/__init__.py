"""Model builders (functional Keras 3), the registry and compilation.

>>> from leuko_keras.models import build_model, list_models
>>> build_model("vdsr", scale=4).name
'vdsr_x4'
"""

from __future__ import annotations

# Importing the builder modules registers them; the order is the order of `leuko-keras models`.
from leuko_keras.models import gp, lite, noprior, sftgan, srcnn, srgan, srresnet, vdsr  # noqa: F401
from leuko_keras.models.compile import compile_model
from leuko_keras.models.registry import ModelInfo, build_model, default_settings, list_models, model_info, model_scale

__all__ = [
    "ModelInfo",
    "build_model",
    "compile_model",
    "default_settings",
    "list_models",
    "model_info",
    "model_scale",
]
