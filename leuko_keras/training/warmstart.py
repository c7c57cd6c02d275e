"""Start a run from trained weights (``fit --init``): fine-tune a shipped model or a run on your own cells.

The new model is built from the config as usual, then takes every weight of
the source. The architectures match when the user names only the source
(:func:`init_defaults` gives its model, scale and settings); a setting that
changes only some layers' widths (``upsample_filters``) keeps every other
layer's weights and trains those from scratch.

>>> init_defaults("gp-lite-x4")["model"], init_defaults("gp-lite-x4")["scale"]
('gp-lite', 4)
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
    from leuko_keras.runs.presets import resolve_model_path
    from leuko_keras.runs.runrecord import read_run

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


def warm_start(model: Any, spec: str | os.PathLike) -> list[str]:
    """Copy the weights of the model at ``spec`` (run folder, ``.keras`` or pretrained name) into ``model``.

    Every weight is copied when the architectures match. When they have the same layers and only
    some layers' widths differ (a changed ``upsample_filters``, say), the others are copied and those
    keep their fresh initialisation; their names are returned (empty for a full copy).

    >>> warm_start(build_model("np-lite", scale=4), "np-lite-x4")  # doctest: +SKIP
    []
    """
    from leuko_keras.runs.model_io import load_model_any

    source, _ = load_model_any(spec, compile=False)
    mine, theirs = model.weights, source.weights
    if [tuple(w.shape) for w in mine] == [tuple(w.shape) for w in theirs]:
        model.set_weights(source.get_weights())
        return []
    fresh = _fresh_layers(model, source)
    if fresh is None:
        raise LeukoInputError(
            f"--init {spec}: its architecture ({source.name}, {len(theirs)} weight arrays) differs from the model "
            f"being trained ({model.name}, {len(mine)}); give the same --model, --scale and --setting, or omit them"
        )
    for layer in model.layers:
        if layer.weights and layer.name not in fresh:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    return fresh


def _fresh_layers(model: Any, source: Any) -> list[str] | None:
    """Names of the layers whose weight shapes differ, or None when the two are not the same layers."""
    # Only the same network with other widths carries over: a different layer list would pair weights
    # by accident of naming, and a source with nothing in common would be no warm start at all.
    if model.name != source.name:
        return None
    layers = [(layer.name, [tuple(w.shape) for w in layer.weights]) for layer in model.layers if layer.weights]
    theirs = {layer.name: [tuple(w.shape) for w in layer.weights] for layer in source.layers if layer.weights}
    if sorted(name for name, _ in layers) != sorted(theirs):
        return None
    fresh = [name for name, shapes in layers if shapes != theirs[name]]
    return fresh if len(fresh) < len(layers) else None
