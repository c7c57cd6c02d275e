"""Register our Keras custom objects whenever Keras is loaded, without loading it ourselves.

Keras resolves ``"leuko_keras>BicubicUpsample"`` in a ``.keras`` file only
from its registry; it never imports a third-party module named in the file
(``keras/src/saving/serialization_lib.py``, ``_retrieve_class_or_fn``). So the
registering modules must have run before ``load_model``, yet ``import
leuko_keras`` must not load TensorFlow (2-3 s, and absent on a device). The
answer: if Keras is already loaded, register now; otherwise a finder on
``sys.meta_path`` waits for the import of ``keras`` or ``tensorflow`` (which
loads Keras) to finish and registers then, with TensorFlow's native start-up
notices filtered (:mod:`leuko_keras.core.quiet`). Either way it happens once.

>>> install_hook()  # what ``import leuko_keras`` does
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# Importing a module named here loads Keras; the hook waits for the outermost one to finish.
_TRIGGERS = ("keras", "tensorflow")
_lock = threading.RLock()
_done = False


def register() -> None:
    """Import every module that registers Keras objects (layers, losses, metrics, model builders); idempotent."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        _remove_hook()
        from leuko_keras.core.quiet import native_startup_filtered

        with native_startup_filtered():
            from leuko_keras import layers, models  # noqa: F401
            from leuko_keras.models import keras_metrics, losses  # noqa: F401


def _initializing(name: str) -> bool:
    module = sys.modules.get(name)
    return module is not None and bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


class _KerasImportHook(importlib.abc.MetaPathFinder):
    """Registers our objects right after the import of Keras (or TensorFlow, which imports Keras) completes."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _TRIGGERS or _done:
            return None
        spec = self._others_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        # Patched on this spec's own loader instance: the module keeps its ordinary loader type.
        original = spec.loader.exec_module
        outermost = not any(_initializing(name) for name in _TRIGGERS)

        def exec_module(module: ModuleType) -> None:
            if not outermost:
                original(module)
                return
            from leuko_keras.core.quiet import native_startup_filtered

            with native_startup_filtered():
                original(module)
            try:
                register()
            except Exception as error:  # never break the user's own `import keras`
                warnings.warn(f"leuko_keras could not register its Keras objects: {error}", stacklevel=2)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec

    def _others_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> importlib.machinery.ModuleSpec | None:
        # Whatever finder would have found the module without us (site-packages, an editable install...).
        for finder in [f for f in sys.meta_path if f is not self]:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                return spec
        return None


def install_hook() -> None:
    """Register now if Keras is loaded, else arrange to register when it is (see the module docstring)."""
    with _lock:
        if _done:
            return
        if any(name in sys.modules and not _initializing(name) for name in _TRIGGERS):
            register()
            return
        if not any(isinstance(finder, _KerasImportHook) for finder in sys.meta_path):
            sys.meta_path.insert(0, _KerasImportHook())


def _remove_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _KerasImportHook)]


def registered_names() -> list[str]:
    """Our names in Keras's registry (``leuko_keras>...``): what a ``.keras`` file can refer to.

    >>> register(); "leuko_keras>BicubicUpsample" in registered_names()  # doctest: +SKIP
    True
    """
    import keras

    objects: dict[str, Any] = keras.saving.get_custom_objects()
    return sorted(name for name in objects if name.startswith("leuko_keras>"))
