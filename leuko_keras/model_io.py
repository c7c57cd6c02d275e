"""Load a model from a ``.keras`` file or a training run folder.

>>> load_model_any("/nonexistent/run")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
leuko_keras.errors.LeukoInputError: /nonexistent/run: ...
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras

import leuko_keras.models  # noqa: F401  (registers the custom objects a .keras file may name)
from leuko_keras.errors import LeukoInputError

BEST = "best.keras"
CONFIG = "config.json"


def load_model_any(path: str | os.PathLike, compile: bool = True) -> tuple[keras.Model, dict[str, Any] | None]:
    """Return ``(model, config)`` from ``model.keras`` (config None), a run folder (``best.keras`` +
    ``config.json``) or the name of a shipped pretrained model (``gp-lite-x4``).

    >>> model, config = load_model_any("runs/gp_x4")  # doctest: +SKIP
    """
    from leuko_keras.presets import resolve_model_path

    path = resolve_model_path(path)
    config: dict[str, Any] | None = None
    if path.is_dir():
        model_file = path / BEST
        if not model_file.is_file():
            raise LeukoInputError(f"{path}: run folder has no {BEST}; train first or pass a .keras file")
        config_file = path / CONFIG
        if config_file.is_file():
            try:
                config = json.loads(config_file.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise LeukoInputError(f"{config_file}: not valid JSON ({error.msg}); fix or delete it") from error
    elif path.is_file() and path.suffix == ".keras":
        model_file = path
    elif path.exists():
        raise LeukoInputError(f"{path}: not a .keras model file; pass a .keras file or a run folder holding {BEST}")
    else:
        raise LeukoInputError(f"{path}: no such file or folder; pass a .keras file or a run folder holding {BEST}")
    try:
        model = keras.models.load_model(model_file, compile=compile)
    except (ValueError, OSError, KeyError, TypeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LeukoInputError(f"{model_file}: cannot load this Keras model ({first}); re-save or retrain it") from error
    if config is not None:
        _check_config(config, path / CONFIG, model)
    return model, config


def _check_config(config: Any, config_file: Path, model: keras.Model) -> None:
    # Export, predict and evaluate read keys of it; a hand-edited file must fail here in one line.
    from leuko_keras.models.registry import model_scale

    fix = "restore it from the run (or delete it to use best.keras alone)"
    if not isinstance(config, dict):
        raise LeukoInputError(f"{config_file}: not a run configuration (a JSON object is expected); {fix}")
    for key, kind in (("settings", dict), ("model", str)):
        if key in config and not isinstance(config[key], kind):
            raise LeukoInputError(f"{config_file}: {key!r} is {config[key]!r}, not a {kind.__name__}; {fix}")
    scale = config.get("scale")
    if scale is not None:
        actual = model_scale(model)
        if isinstance(scale, bool) or not isinstance(scale, int) or (actual is not None and scale != actual):
            raise LeukoInputError(
                f"{config_file}: scale {scale!r} disagrees with the model in best.keras (x{actual}); {fix}"
            )
