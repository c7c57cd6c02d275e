"""Models found by name: ``build_model("gp", scale=4)`` and ``list_models()``.

Builders register themselves with :func:`register`; settings are keyword
arguments whose defaults are the paper's values. Every model takes the raw
LR luminance ``(B, h, w, 1)`` in [0, 1] and returns a dict with ``"sr"``
(and ``"mask"`` for models with the geometry prior).

>>> import leuko_keras
>>> model = leuko_keras.build_model("srcnn", scale=4)
>>> model.count_params()
57281
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any

import keras

from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import SUPPORTED_SCALES


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What a registered model is: its name, what the network works on, its outputs, one line about it."""

    name: str
    works_on: str  # "bicubic" (upsampled in-graph from LR) or "LR"
    outputs: tuple[str, ...]
    description: str
    gan: bool = False
    # Training settings that differ from the paper's defaults for this model (``fit`` applies them
    # unless the user gives the flag); empty for the paper's models.
    recipe: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The paper's spelling, printed in tables and predict's summary line (e.g. "GP-lite", "SRResNet").
    display: str = ""
    # Training crops are multiples of this many LR pixels even where the network needs fewer, so that a
    # model and its no-prior ablation are trained on the very same crops (np-lite with gp-lite's 4).
    crop_lr_multiple: int = 1


_BUILDERS: dict[str, tuple[ModelInfo, Callable[..., keras.Model]]] = {}
# A typo guard for whole-number settings (widths, block counts): far above any model here, far below an OOM.
_INT_LIMIT = 4096


def register(
    name: str,
    works_on: str,
    outputs: tuple[str, ...],
    description: str,
    gan: bool = False,
    recipe: dict[str, Any] | None = None,
    display: str | None = None,
    crop_lr_multiple: int = 1,
) -> Callable[[Callable[..., keras.Model]], Callable[..., keras.Model]]:
    """Decorator adding a builder ``f(scale, **settings) -> keras.Model`` under ``name``.

    ``display`` is the name tables print (default: ``name`` in capitals). A name registered twice is refused:

    >>> register("gp", "LR", ("sr",), "again")(lambda scale=4: None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: model name 'gp' is registered twice
    """

    def decorate(builder: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
        if name in _BUILDERS:
            raise ValueError(f"model name {name!r} is registered twice")
        info = ModelInfo(
            name, works_on, outputs, description, gan, dict(recipe or {}), display or name.upper(), crop_lr_multiple
        )
        _BUILDERS[name] = (info, builder)
        return builder

    return decorate


def list_models() -> list[ModelInfo]:
    """Every registered model, in registration order.

    >>> "gp" in [info.name for info in list_models()]
    True
    """
    return [info for info, _ in _BUILDERS.values()]


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of ``name`` (LeukoInputError if unknown)."""
    return _lookup(name)[0]


def registered_display_name(raw: str) -> str:
    """The display name of the registered model ``raw`` (any case); ``Bicubic``; else ``raw`` unchanged.

    >>> registered_display_name("gp-lite"), registered_display_name("bicubic"), registered_display_name("mynet")
    ('GP-lite', 'Bicubic', 'mynet')
    """
    key = raw.lower()
    if key == "bicubic":  # the baseline is no registered model, but every table has its row
        return "Bicubic"
    return _BUILDERS[key][0].display if key in _BUILDERS else raw


def default_settings(name: str) -> dict[str, Any]:
    """The builder's settings and their defaults (the paper's values).

    >>> default_settings("np")["decoder_blocks"]
    3
    """
    builder = _lookup(name)[1]
    return {
        key: p.default
        for key, p in inspect.signature(builder).parameters.items()
        if key != "scale" and p.default is not inspect.Parameter.empty
    }


def build_model(name: str, scale: int = 4, **settings: Any) -> keras.Model:
    """Build the registered model ``name`` for ``scale`` (2, 3, 4 or 8).

    >>> build_model("np", scale=2).name
    'np_x2'
    """
    _, builder = _lookup(name)
    if scale not in SUPPORTED_SCALES:
        raise LeukoInputError(f"scale {scale} is not supported; use one of {', '.join(map(str, SUPPORTED_SCALES))}")
    return builder(scale=int(scale), **check_settings(name, settings))


def check_settings(name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` checked against the builder of ``name``: known names, the type of each, a sane range.

    The type comes from the builder's signature (its annotation, else its default): a whole number
    where it takes an int (channel widths at least 1, counts at least 0), a finite number of 0 or
    more where it takes a float, true/false where a bool; ``none`` where it takes None. Refused in
    one line before anything is built or written.

    >>> check_settings("np", {"filters": 32, "slope": 0.1})
    {'filters': 32, 'slope': 0.1}
    >>> check_settings("np", {"filters": 0})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: --setting filters=0: must be a whole number from 1 to 4096 ...
    """
    known = _parameters(name)
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise LeukoInputError(
            f"model {name!r} has no setting {', '.join(unknown)}; "
            f"its settings are: {', '.join(sorted(known)) or 'none'}"
        )
    return {key: _checked(name, key, value, known[key]) for key, value in settings.items()}


def _parameters(name: str) -> dict[str, inspect.Parameter]:
    builder = _lookup(name)[1]
    try:  # the builders' modules use postponed annotations: resolve them to real types
        signature = inspect.signature(builder, eval_str=True)
    except (NameError, TypeError):  # an annotation that does not resolve: judge by the defaults alone
        signature = inspect.signature(builder)
    return {
        key: p for key, p in signature.parameters.items() if key != "scale" and p.default is not inspect.Parameter.empty
    }


def _kinds(parameter: inspect.Parameter) -> set[type]:
    annotation = parameter.annotation
    if annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return {type(parameter.default)}
    return set(typing.get_args(annotation)) or {annotation}


def _checked(name: str, key: str, value: Any, parameter: inspect.Parameter) -> Any:
    kinds, default = _kinds(parameter), parameter.default
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if type(None) in kinds and (value is None or (isinstance(value, str) and value.lower() in ("none", "null"))):
        return None
    if (str in kinds and isinstance(value, str)) or (bool in kinds and isinstance(value, bool)):
        return value
    if int in kinds and number and isinstance(value, int) and (1 if _is_width(key) else 0) <= value <= _INT_LIMIT:
        return value
    if float in kinds and number and math.isfinite(value) and value >= 0:
        return value
    raise LeukoInputError(
        f"--setting {key}={value}: must be {_expected(key, kinds)} ({name}'s default is {default}); "
        "fix the value or drop the setting"
    )


def _is_width(key: str) -> bool:
    # Channel counts: a layer of width 0 cannot be built (filters, upsample_filters, unet_base, prior_base).
    return key == "filters" or key.endswith(("_filters", "_base"))


def _expected(key: str, kinds: set[type]) -> str:
    choices = []
    if bool in kinds:
        choices.append("true or false")
    elif int in kinds:
        choices.append(f"a whole number from {1 if _is_width(key) else 0} to {_INT_LIMIT}")
    elif float in kinds:
        choices.append("a finite number of 0 or more")
    if str in kinds:
        choices.append("a text value")
    if type(None) in kinds:
        choices.append("none")
    return " or ".join(choices) or "a valid value"


def model_name(name: str, scale: int) -> str:
    """Keras model name used by builders, e.g. ``gp_x4`` (the scale is read back from it)."""
    return f"{name}_x{scale}"


def _lookup(name: str) -> tuple[ModelInfo, Callable[..., keras.Model]]:
    if name not in _BUILDERS:
        raise LeukoInputError(f"model {name!r} is not known; choose one of: {', '.join(_BUILDERS)}")
    return _BUILDERS[name]


def model_scale(model: keras.Model) -> int | None:
    """The scale a built model works at, read from its name (``gp_x4``) or its bicubic layer.

    >>> model_scale(build_model("srcnn", scale=3))
    3
    """
    match = re.search(r"_x(\d+)$", model.name)
    if match:
        return int(match.group(1))
    for layer in model.layers:
        if hasattr(layer, "scale") and isinstance(layer.scale, int):
            return layer.scale
    return None
