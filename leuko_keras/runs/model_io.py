"""Load a model from a ``.keras`` file, a training run folder or a pretrained name, with its run record.

The record (:mod:`leuko_keras.runs.runrecord`) is read first; the model then, and its scale checked against it.

>>> load_model_any("/nonexistent/run")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
leuko_keras.errors.LeukoInputError: /nonexistent/run: ...
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import keras

import leuko_keras.models  # noqa: F401  (registers the custom objects a .keras file may name)
from leuko_keras.errors import LeukoInputError
from leuko_keras.models.registry import model_scale
from leuko_keras.runs.presets import DEFAULT_MODEL, pretrained_dir
from leuko_keras.runs.runrecord import BEST, CONFIG, FIX, RunRecord, read_run

__all__ = ["BEST", "CONFIG", "load_model_any", "load_run", "pretrained"]


def load_model_any(path: str | os.PathLike, compile: bool = True) -> tuple[keras.Model, dict[str, Any] | None]:
    """Return ``(model, config)`` from ``model.keras`` (config None), a run folder (``best.keras`` +
    ``config.json``) or the name of a shipped pretrained model (``gp-lite-x4``).

    >>> model, config = load_model_any("runs/gp_x4")  # doctest: +SKIP
    """
    model, record = load_run(path, compile=compile)
    return model, record.config if record.root is not None else None


def load_run(spec: str | os.PathLike, compile: bool = True) -> tuple[keras.Model, RunRecord]:
    """Return ``(model, record)``: the Keras model and its :class:`~leuko_keras.runs.runrecord.RunRecord`.

    >>> model, record = load_run("gp-lite-x4", compile=False)
    >>> record.display_name, record.scale == model_scale(model)
    ('GP-lite (pretrained)', True)
    """
    record = read_run(spec)
    model_file = record.model_file
    if model_file is not None and not zipfile.is_zipfile(model_file):
        # Keras says "File not found" for a file that exists but is no zip; name what is wrong instead.
        raise LeukoInputError(
            f"{model_file}: not a Keras model file (a .keras file is a zip archive; this one is damaged or "
            "something else); re-save or retrain it"
        )
    try:
        model = keras.models.load_model(model_file, compile=compile)
    except (ValueError, OSError, KeyError, TypeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LeukoInputError(f"{model_file}: cannot load this Keras model ({first}); re-save or retrain it") from error
    if record.scale is not None:
        # Export, predict and evaluate trust the recorded scale; a hand-edited file must fail here in one line.
        actual = model_scale(model)
        if actual is not None and record.scale != actual:
            raise LeukoInputError(
                f"{record.config_file}: scale {record.scale!r} disagrees with the model in best.keras (x{actual}); "
                f"{FIX}"
            )
    return model, record


def pretrained(name: str = DEFAULT_MODEL, compile: bool = False) -> Any:
    """The pretrained Keras model ``name`` (a functional ``keras.Model``; ``model.predict`` works on it).

    >>> model = pretrained("gp-lite-x4")
    >>> sorted(model.output.keys()), model.name
    (['mask', 'sr'], 'gp-lite_x4')
    """
    return load_model_any(pretrained_dir(name), compile=compile)[0]
