"""The one collector of input images, shared by ``leuko-keras predict`` and the device runner.

Folders become the images in them (sorted); our own outputs (``NAME_sr``, ``_labels``, ``_map``,
``_overlay``) and the synthetic set's ``_mask`` files are not inputs; entries that are not regular
files (a folder named ``x.png``, a dangling or looping link, a FIFO) are skipped with a warning, so a
batch goes on; two inputs whose outputs would share a name are refused before anything is written.

>>> collect_images(["no/such/file.png"])  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
leuko_keras.errors.LeukoInputError: no/such/file.png: no such image or folder; check the path
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import IMAGE_SUFFIXES
from leuko_keras.runtime.tiff import TIFF_SUFFIXES, tiff_stem

# Our own outputs (and the synthetic set's masks) are not inputs.
SKIP_SUFFIXES = ("_sr", "_map", "_overlay", "_mask", "_labels")


def output_stem(path: Path) -> str:
    """Base name of an input's outputs: its stem, without ``.ome`` for OME-TIFF.

    >>> output_stem(Path("a/cells.ome.tif")), output_stem(Path("b.png"))
    ('cells', 'b')
    """
    return tiff_stem(path) if path.suffix.lower() in TIFF_SUFFIXES else path.stem


def collect_images(
    inputs: Sequence[str | os.PathLike],
    exclude: Path | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Input paths with folders replaced by their images; ``exclude``: a folder whose files are never inputs
    (the output folder, when it is also an input folder)."""
    warn = warn or (lambda message: print(message, file=sys.stderr))
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files += _folder_images(path, exclude, warn)
        elif _regular_file(path):
            files.append(path)
        else:
            raise LeukoInputError(f"{path}: no such image or folder; check the path")
    unique = list(dict.fromkeys(files))
    stems = [output_stem(p) for p in unique]
    clash = next((s for s in stems if stems.count(s) > 1), None)
    if clash is not None:
        raise LeukoInputError(
            f"{clash}: several inputs share this name and would overwrite each other's outputs; "
            "run them into separate --out folders"
        )
    return unique


def _folder_images(folder: Path, exclude: Path | None, warn: Callable[[str], None]) -> list[Path]:
    found = []
    candidates = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for entry in candidates:
        if output_stem(entry).endswith(SKIP_SUFFIXES):
            continue
        if exclude is not None and entry.resolve().parent == exclude.resolve():
            continue
        if _regular_file(entry):
            found.append(entry)
        else:
            warn(f"warning: {entry}: not a regular image file (a folder, a broken link or a pipe); skipped")
    if not found:
        raise LeukoInputError(f"{folder}: folder holds no images ({', '.join(IMAGE_SUFFIXES)}); check the path")
    return found


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, RuntimeError):  # dangling link, link loop, no permission
        return False
