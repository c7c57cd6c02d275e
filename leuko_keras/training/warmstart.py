"""Start a run from trained weights (``fit --init``): fine-tune a shipped model or a run on your own cells.

The new model is built from the config as usual, then takes every weight of
the source; the architectures must match exactly (same model, scale and
settings), which :func:`init_defaults` arranges when the user names only the
source.

>>> init_defaults("gp-lite-x4")
{'model': 'gp-lite', 'scale': 4, 'model_settings': {}}
"""

from __future__ import annotations

import os
from typing import Any

from leuko_keras.errors import LeukoInputError


def init_defaults(spec: str | os.PathLike) -> dict[str, Any]:
    """Model name, scale and settings of the source's run folder (empty for a bare ``.keras`` file).

    >>> init_defaults("/nonexistent/run")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    leuko_keras.errors.LeukoInputError: --init /nonexistent/run: no such file or folder; ...
    """
    from leuko_keras.presets import resolve_model_path
    from leuko_keras.runrecord import read_run

    path = resolve_model_path(spec)
    if not path.exists():
        raise LeukoInputError(
            f"--init {spec}: no such file or folder; pass a run folder, a .keras file or a pretrained name"
        )
    if not path.is_dir() or not (path / "config.json").is_file():
        return {}
    record = read_run(path, need_model=False)
    if record.model is None or record.scale is None or "model_settings" not in record.training:
        raise LeukoInputError(
            f"{record.config_file}: not a run configuration (no model, scale or settings); pass --model and --scale"
        )
    return {"model": record.model, "scale": record.scale, "model_settings": dict(record.settings)}


def warm_start(model: Any, spec: str | os.PathLike) -> None:
    """Copy every weight of the model at ``spec`` (run folder, ``.keras`` or pretrained name) into ``model``.

    >>> warm_start(build_model("np-lite", scale=4), "np-lite-x4")  # doctest: +SKIP
    """
    from leuko_keras.model_io import load_model_any

    source, _ = load_model_any(spec, compile=False)
    mine, theirs = model.weights, source.weights
    shapes = [tuple(w.shape) for w in mine], [tuple(w.shape) for w in theirs]
    if shapes[0] != shapes[1]:
        raise LeukoInputError(
            f"--init {spec}: its architecture ({source.name}, {len(theirs)} weight arrays) differs from the model "
            f"being trained ({model.name}, {len(mine)}); give the same --model, --scale and --setting, or omit them"
        )
    model.set_weights(source.get_weights())
