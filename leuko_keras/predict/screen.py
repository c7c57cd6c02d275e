"""``leuko-keras screen`` in the library: load the model (and detector), check the flags, screen the fields.

The pipeline itself is the runtime's (:mod:`leuko_keras.runtime.screen`), shared with the device runner.

>>> report = screen(["fields/"], "screen/", model="gp-lite-x4", pixel_size=0.1)  # doctest: +SKIP
>>> report.cells, report.failed  # doctest: +SKIP
(12, [])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from leuko_keras.core.atomic import clean_stale_temps
from leuko_keras.core.outputs import check_output_dir
from leuko_keras.errors import LeukoInputError
from leuko_keras.predict.backends import Backend, load_backend
from leuko_keras.protocol.metrics import PROTOCOL_TEXT
from leuko_keras.runs.presets import SCREEN_DEFAULT
from leuko_keras.runtime.screen import ScreenReport, screen_options
from leuko_keras.runtime.screen_files import screen_paths


def screen(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    model: str = SCREEN_DEFAULT,
    scale: int | None = None,
    pixel_size: float | None = None,
    min_area: float | None = None,
    margin: int | None = None,
    detector: str | None = None,
    stream: TextIO | None = None,
) -> ScreenReport:
    """Screen fields with ``model`` into ``out``; ``detector`` (a model of a scale multiple of ``model``'s) finds
    the cells on the field shrunk by the ratio of scales. Bad flags raise :class:`LeukoInputError`."""
    check_output_dir(out, "--out")
    backend = _map_backend(model, scale, "--model")
    found_by = None if detector is None else _map_backend(detector, None, "--detector")
    options = screen_options(backend.scale, pixel_size, min_area, margin, found_by)
    info = {
        "model": backend.name,
        "model_source": backend.source,
        "scale": backend.scale,
        "detector": (found_by or backend).name,
        "detector_shrink": options.shrink,
        "rules": options.rules.__dict__,
        "protocol": PROTOCOL_TEXT,
    }
    clean_stale_temps(out)
    return screen_paths(backend, inputs, out, options, info, stream)


def _map_backend(spec: str, scale: int | None, flag: str) -> Backend:
    backend = None if spec.lower() == "bicubic" else load_backend(spec, scale=scale)
    if backend is None or not backend.has_map:
        raise LeukoInputError(
            f"{flag} {spec}: this model has no parsing-map head and cannot find cells; "
            f"use a gp model ({SCREEN_DEFAULT})"
        )
    return backend
