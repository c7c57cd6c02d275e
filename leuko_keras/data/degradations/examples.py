"""Applying a degradation to the package's ``Example`` objects, and its command-line settings.

Validation and test images are degraded once, when their example is made (as with bicubic), so a
parameter range gives every image its own draw; the training stream instead draws again for every
crop (:func:`leuko_keras.data.epochs.crop_input`). The generator of an image is seeded by the run's
seed and the image's name (CRC-32, stable across processes, unlike ``hash``), so a resumed run and
the validation split see the same LR images, whatever order the images come in.

>>> from leuko_keras.data.dataset import make_example
>>> ex = make_example("cell", np.full((64, 64, 3), 0.5), None, 4)
>>> degrade_example(ex, 4, degradation_record("microscope"), seed=0).lr_y.shape
(16, 16)
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from leuko_keras.core.assignments import parse_assignments
from leuko_keras.data.degradations.core import apply_degradation, degradation_record, with_default_ranges
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import luminance


def example_rng(seed: int, name: str) -> np.random.Generator:
    """The generator that degrades image ``name`` in a run seeded ``seed``.

    >>> float(example_rng(0, "a").random()) == float(example_rng(0, "a").random())
    True
    """
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def degrade_example(example: Any, scale: int, record: Mapping[str, Any] | None, seed: int = 0) -> Any:
    """``example`` with its LR made again from its HR by ``record`` (bicubic or None: unchanged).

    The HR image, the map and the name are kept; ``lr_y`` (and ``lr_rgb`` for colour) are replaced.
    """
    if not record or record.get("kind", "bicubic") == "bicubic":
        return example
    colour = example.hr_rgb is not None
    hr = example.hr_rgb if colour else example.hr_y
    lr, _ = apply_degradation(np.asarray(hr, dtype=np.float64), scale, record, example_rng(seed, example.name))
    return dataclasses.replace(
        example,
        lr_y=luminance(lr).astype(np.float32),
        lr_rgb=lr.astype(np.float32) if colour else None,
    )


def degrade_examples(
    examples: Iterable[Any], scale: int, record: Mapping[str, Any], seed: int = 0, source: Any = None
) -> Iterator[Any]:
    """Each example degraded by ``record`` (see :func:`degrade_example`); real pairs are refused.

    ``source`` is where the examples come from, only to refuse a folder of real LR/HR pairs: its LR
    images are the measurement, and degrading their HR again would silently replace them.
    """
    from leuko_keras.data.pairs import is_pairs_folder

    sources = source if isinstance(source, list | tuple) else [source]
    for folder in sources:
        if is_pairs_folder(folder):
            raise LeukoInputError(
                f"{folder}: holds real LR/HR pairs, which are not degraded again; drop --degradation, "
                "or pass the HR images alone with --data"
            )
    for example in examples:
        yield degrade_example(example, scale, record, seed)


def parse_settings(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``["na=0.3", "jpeg_quality=60:90", "psf=gaussian"]`` -> a parameter dict (LOW:HIGH is a range).

    >>> parse_settings(["na=0.3", "jpeg_quality=60:90", "psf=gaussian", "photons_per_level=none"])
    {'na': 0.3, 'jpeg_quality': [60, 90], 'psf': 'gaussian', 'photons_per_level': None}
    """
    return parse_assignments(pairs, "--degradation-setting", ranges=True)


def record_from_settings(
    kind: str = "bicubic", settings: Sequence[str] | Mapping[str, Any] | None = None, ranges: bool = False
) -> dict[str, Any]:
    """The record for ``--degradation KIND [--degradation-setting K=V ...] [--degradation-range]``.

    >>> record_from_settings("phone", ["na=0.5"], ranges=True)["photons_per_level"]
    [2.0, 20.0]
    """
    params = dict(settings) if isinstance(settings, Mapping) else parse_settings(settings)
    if ranges:
        params = with_default_ranges(kind, params)
    return degradation_record(kind, **params)
