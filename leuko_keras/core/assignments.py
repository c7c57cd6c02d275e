"""``KEY=VALUE`` options (``fit --setting``, ``--degradation-setting``): the one parser of the command line.

Values become numbers (int before float), booleans (``true``/``false``), None (``none``/``off``), a
range ``[LOW, HIGH]`` for ``LOW:HIGH`` of two numbers when ``ranges`` is on, else stay text; whether a
value suits its key is checked by the layer that owns the key.

>>> parse_assignments(["blocks=4", "prior_grad=map", "bias=true"], "--setting")
{'blocks': 4, 'prior_grad': 'map', 'bias': True}
>>> parse_assignments(["na=0.3:0.6", "photons_per_level=none"], "--degradation-setting", ranges=True)
{'na': [0.3, 0.6], 'photons_per_level': None}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leuko_keras.errors import LeukoInputError


def parse_assignments(pairs: Sequence[str] | None, flag: str, ranges: bool = False) -> dict[str, Any]:
    """``["K=V", ...]`` -> ``{K: value}``; a pair without ``=``, a key or a value is one line naming ``flag``."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            form, example = ("KEY=VALUE or KEY=LOW:HIGH", "na=0.3") if ranges else ("KEY=VALUE", "blocks=4")
            raise LeukoInputError(f"{flag} {pair!r}: write {form}, e.g. {flag} {example}")
        out[key] = parse_value(value, ranges)
    return out


def parse_value(text: str, ranges: bool = False) -> Any:
    """One value as :func:`parse_assignments` reads it.

    >>> parse_value("60:90", ranges=True), parse_value("2.5"), parse_value("OFF"), parse_value("gaussian")
    ([60, 90], 2.5, None, 'gaussian')
    """
    low, colon, high = text.partition(":")
    if ranges and colon and _number(low) is not None and _number(high) is not None:
        return [_number(low), _number(high)]
    lowered = text.lower()
    if lowered in ("none", "off"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    number = _number(text)
    return text if number is None else number


def _number(text: str) -> int | float | None:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return None
