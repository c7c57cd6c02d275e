"""Embedded default data: procedurally drawn stained blood-smear crops with exact parsing maps.

>>> from leuko_keras.synth import generate
>>> cells = generate(5, size=64, seed=0)
>>> sorted({c.cell_type for c in cells}) == sorted(CELL_TYPES)
True
"""

from __future__ import annotations

from leuko_keras.synth.cells import CELL_TYPES
from leuko_keras.synth.dataset import CLASS_CODES, SynthCell, generate, iter_cells, write_dataset

__all__ = ["CELL_TYPES", "CLASS_CODES", "SynthCell", "generate", "iter_cells", "write_dataset"]
