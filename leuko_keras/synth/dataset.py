"""Public entry points: generate synthetic leukocytes in memory, or write them as a dataset folder.

>>> cells = generate(5, size=64, seed=1)
>>> [c.cell_type for c in cells]
['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from leuko_keras.core.atomic import atomic_dir
from leuko_keras.errors import LeukoInputError
from leuko_keras.synth.cells import CELL_TYPES
from leuko_keras.synth.render import render_cell

MIN_SIZE = 32
# Class codes of the shared real data's labels.csv (1 neutrophil ... 5 basophil).
CLASS_CODES = {"neutrophil": 1, "lymphocyte": 2, "monocyte": 3, "eosinophil": 4, "basophil": 5}
MASK_GREY = np.array([0, 128, 255], np.uint8)  # label -> grey value, as in the shared data


@dataclass(frozen=True)
class SynthCell:
    """One synthetic crop: ``rgb`` uint8 (S, S, 3), ``labels`` uint8 (S, S) in {0, 1, 2}, ``cell_type``."""

    rgb: np.ndarray
    labels: np.ndarray
    cell_type: str


def iter_cells(count: int, size: int = 256, seed: int = 0) -> Iterator[SynthCell]:
    """Yield ``count`` cells; types cycle through :data:`CELL_TYPES` so every type appears.

    Cell ``i`` depends only on ``(seed, i, size)``: ``generate(10)[:5] == generate(5)``.
    """
    _check(count, size)  # here, not inside the generator, so bad arguments fail at the call
    return _cells(int(count), int(size), int(seed))


def _cells(count: int, size: int, seed: int) -> Iterator[SynthCell]:
    for i in range(count):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i, 0x1E0C0]))
        cell_type = CELL_TYPES[i % len(CELL_TYPES)]
        rgb, labels = render_cell(cell_type, size, rng)
        yield SynthCell(rgb, labels, cell_type)


def generate(count: int, size: int = 256, seed: int = 0) -> list[SynthCell]:
    """Generate ``count`` synthetic leukocyte crops of ``size`` x ``size``, deterministic by ``seed``.

    >>> cell = generate(1, size=64)[0]
    >>> cell.rgb.shape, cell.labels.shape
    ((64, 64, 3), (64, 64))
    """
    return list(iter_cells(count, size, seed))


def write_dataset(out_dir: str | os.PathLike, count: int, size: int = 256, seed: int = 0) -> Path:
    """Write ``cell_NNNN.png`` + ``cell_NNNN_mask.png`` (grey 0/128/255) + ``labels.csv``; return the folder.

    The folder appears complete or not at all (built beside it, then renamed).
    An existing non-empty ``out_dir`` is refused rather than mixed with old files.

    >>> import tempfile
    >>> folder = write_dataset(Path(tempfile.mkdtemp()) / "cells", count=2, size=64)
    >>> sorted(p.name for p in folder.iterdir())
    ['cell_0000.png', 'cell_0000_mask.png', 'cell_0001.png', 'cell_0001_mask.png', 'labels.csv']
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "is a file" if not out.is_dir() else "is not empty"
        raise LeukoInputError(f"{out}: output folder {what}; choose a new or empty folder")
    _check(count, size, seed)
    width = max(4, len(str(count - 1)))
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["name", "class", "class_id"])
    with atomic_dir(out) as tmp:
        for i, cell in enumerate(iter_cells(count, size, seed)):
            name = f"cell_{i:0{width}d}"
            Image.fromarray(cell.rgb, "RGB").save(tmp / f"{name}.png")
            Image.fromarray(MASK_GREY[cell.labels], "L").save(tmp / f"{name}_mask.png")
            writer.writerow([name, cell.cell_type, CLASS_CODES[cell.cell_type]])
        (tmp / "labels.csv").write_text(rows.getvalue(), encoding="utf-8")
    return out


def _check(count: int, size: int, seed: int = 0) -> None:
    from leuko_keras.core.seeds import check_seed

    check_seed(seed)
    if int(count) != count or count < 1:
        raise LeukoInputError(f"synthetic set: count must be a whole number >= 1 (got {count}); pass --count 1 or more")
    if int(size) != size or size < MIN_SIZE:
        raise LeukoInputError(f"synthetic set: size must be >= {MIN_SIZE} pixels (got {size}); pass a larger --size")
    from leuko_keras.core.memory import check_memory

    # Rendering one cell holds about 16 float64 planes of size x size at once.
    check_memory(16 * 8.0 * size * size, f"synthetic set: --size {size}", "pass a smaller --size")
