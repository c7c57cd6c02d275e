"""leuko-keras: super-resolution of leukocyte micrographs with a geometry prior.

Importing the package is cheap: the NumPy-level layers (``core``, ``runtime``, ``protocol``, ``data``)
load without TensorFlow or Keras. The model API below loads Keras on first use. Every custom layer,
loss and metric is registered with Keras as soon as Keras is imported (by us or by you), so
``keras.models.load_model("model.keras")`` works with no ``custom_objects`` after ``import leuko_keras``.

The package's floors, bottom to top (ARCHITECTURE.md): ``core``, ``runtime``, ``protocol``, ``synth``,
``data``, ``layers``, ``models``, ``runs``, ``training``, ``deploy``, ``predict``, ``evaluation``,
``workflows``, ``cli``; each imports only the floors below it.

>>> import leuko_keras
>>> model = leuko_keras.build_model("gp", scale=4)  # doctest: +SKIP
>>> model = leuko_keras.pretrained("gp-lite-x4")  # a shipped model, trained on real cells  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import warnings
from typing import Any

# Before TensorFlow loads: its C++ start-up chatter would bury the one-line errors users need to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.7.0"

from leuko_keras._registration import install_hook
from leuko_keras.runs.presets import list_pretrained

install_hook()

# Attribute -> module that defines it; each imported (with Keras) only when first asked for.
_LAZY = {
    "build_model": "leuko_keras.models",
    "compile_model": "leuko_keras.models",
    "list_models": "leuko_keras.models",
    "pretrained": "leuko_keras.runs.model_io",
}
# Module paths of 0.6 that users may import, kept working for one release (CHANGELOG 0.7.0).
MOVED = {
    "leuko_keras.color": "leuko_keras.runtime.color",
    "leuko_keras.imresize": "leuko_keras.runtime.imresize",
    "leuko_keras.presets": "leuko_keras.runs.presets",
    "leuko_keras.metrics": "leuko_keras.protocol.metrics",
    "leuko_keras.degrade": "leuko_keras.protocol.degrade",
    "leuko_keras.model_io": "leuko_keras.runs.model_io",
    "leuko_keras.runrecord": "leuko_keras.runs.runrecord",
    "leuko_keras.inference": "leuko_keras.models.inference",
    "leuko_keras.losses": "leuko_keras.models.losses",
    "leuko_keras.data.imageio": "leuko_keras.runtime.imageio",
    "leuko_keras.data.tiff": "leuko_keras.runtime.tiff",
}

__all__ = ["__version__", "build_model", "compile_model", "list_models", "list_pretrained", "pretrained"]


def __getattr__(name: str) -> Any:
    # PEP 562: the model API imports Keras (and TensorFlow) only when first asked for.
    if name in _LAZY:
        from leuko_keras._registration import register

        register()
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'leuko_keras' has no attribute {name!r}")


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves an old module path as the module at its new place (one object, two names), with a warning."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> Any:
        warnings.warn(
            f"{spec.name} moved to {MOVED[spec.name]} in leuko-keras 0.7; the old path goes in 0.8",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(MOVED[spec.name])
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: Any) -> None:
        # The import system set the old name's spec on the shared module; give it back its own.
        module.__spec__ = self.own_spec


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())
