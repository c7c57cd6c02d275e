"""Degradation models of the data layer: ``bicubic`` (the paper's), ``microscope`` and ``phone``.

NumPy only, seeded by a ``numpy.random.Generator``; see :mod:`.core` for the models, :mod:`.optics`
for the PSF and blur, :mod:`.sensor` for the camera, :mod:`.examples` for applying one to the
package's ``Example`` objects and for the ``KEY=VALUE`` settings of the command line.

>>> import numpy as np
>>> degrade(np.full((32, 32, 3), 0.5), 4, "microscope", np.random.default_rng(0)).shape
(8, 8, 3)
"""

from leuko_keras.data.degradations.core import (
    DEFAULT_RANGES,
    DEFAULTS,
    KINDS,
    apply_degradation,
    degradation_record,
    degrade,
    describe,
    draw,
    psf_for,
    with_default_ranges,
)
from leuko_keras.data.degradations.examples import (
    degrade_example,
    degrade_examples,
    example_rng,
    parse_settings,
    record_from_settings,
)

__all__ = [
    "DEFAULTS",
    "DEFAULT_RANGES",
    "KINDS",
    "apply_degradation",
    "degradation_record",
    "degrade",
    "degrade_example",
    "degrade_examples",
    "describe",
    "draw",
    "example_rng",
    "parse_settings",
    "psf_for",
    "record_from_settings",
    "with_default_ranges",
]
