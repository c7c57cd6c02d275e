"""Paired data: real low-resolution images and their high-resolution truth, not re-degraded.

Layout: ``DIR/lr/`` and ``DIR/hr/`` hold images with matching names (stems; the formats may differ,
e.g. ``lr/001.jpg`` from a phone and ``hr/001.png`` from the 100x objective); ``DIR/masks/`` may hold
parsing maps of the HR images (``NAME.png`` or ``NAME_mask.png``, read like any other map). The scale
is read from the sizes: every HR image must be exactly ``s`` times its LR image on both sides, with the
same ``s`` for every pair and ``s`` in 2, 3, 4, 8. A pair that breaks this (misaligned or cropped
differently: not an exact multiple), an LR image without an HR image or the reverse, is refused with
one line naming the file.

The examples are the package's :class:`~leuko_keras.data.dataset.Example`: ``lr_y`` is the luminance of the
real LR image as read, ``hr_y`` that of the HR image, so everything downstream (training crops,
``evaluate``'s scores against bicubic upscaling of the same LR) works unchanged.

>>> is_pairs_folder("/nonexistent")
False
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from leuko_keras.data.dataset import Example, Sample, load_labels
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import MIN_LR_SIDE, SUPPORTED_SCALES
from leuko_keras.runtime.imageio import IMAGE_SUFFIXES, luminance, read_image

LR_DIR, HR_DIR, MASK_DIR = "lr", "hr", "masks"


@dataclass(frozen=True)
class Pair:
    """One real LR image, its HR image and (optionally) the HR parsing map."""

    name: str
    lr_path: Path
    hr_path: Path
    mask_path: Path | None = None


def is_pairs_folder(source: object) -> bool:
    """True for a folder with ``lr/`` and ``hr/`` sub-folders (what ``--pairs`` takes)."""
    if source is None or isinstance(source, list | tuple):
        return False
    path = Path(source)  # type: ignore[arg-type]
    return (path / LR_DIR).is_dir() and (path / HR_DIR).is_dir()


def _by_stem(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."):
            if path.stem in found:
                raise LeukoInputError(f"{path}: two images named {path.stem} in {folder}; keep one")
            found[path.stem] = path
    return found


def discover_pairs(folder: str | os.PathLike) -> list[Pair]:
    """The pairs in ``folder`` (sorted by name); refuses unmatched names, naming the file.

    >>> discover_pairs("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    leuko_keras.errors.LeukoInputError: /nonexistent: paired data need lr/ and hr/ sub-folders ...
    """
    folder = Path(folder)
    if not is_pairs_folder(folder):
        raise LeukoInputError(
            f"{folder}: paired data need lr/ and hr/ sub-folders with matching image names; create them "
            "or use --data for HR images only"
        )
    lr, hr = _by_stem(folder / LR_DIR), _by_stem(folder / HR_DIR)
    for stem, path in lr.items():
        if stem not in hr:
            raise LeukoInputError(f"{path}: no matching {folder / HR_DIR / stem}.*; add its HR image or remove it")
    for stem, path in hr.items():
        if stem not in lr:
            raise LeukoInputError(f"{path}: no matching {folder / LR_DIR / stem}.*; add its LR image or remove it")
    if not lr:
        raise LeukoInputError(f"{folder / LR_DIR}: no images found; put the LR images there")
    masks: dict[str, Path] = {}
    if (folder / MASK_DIR).is_dir():
        for stem, path in _by_stem(folder / MASK_DIR).items():
            masks[stem.removesuffix("_mask") if stem.removesuffix("_mask") in lr else stem] = path
    return [Pair(stem, lr[stem], hr[stem], masks.get(stem)) for stem in sorted(lr)]


def _size(path: Path) -> tuple[int, int]:
    # Headers only: checking a whole folder's scale must not decode every image twice.
    try:
        with Image.open(path) as image:
            return image.size[1], image.size[0]
    except Exception:  # read_image names the file and the fix
        return read_image(path).pixels.shape[:2]


def pair_scale(pair: Pair, lr_shape: Sequence[int] | None = None, hr_shape: Sequence[int] | None = None) -> int:
    """The scale of one pair from its sizes; refuses sizes that are not an exact multiple on both sides.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, side in (("lr", 10), ("hr", 40)):
    ...     (root / sub).mkdir(); Image.new("L", (side, side)).save(root / sub / "a.png")
    >>> pair_scale(discover_pairs(root)[0])
    4
    """
    lh, lw = (lr_shape or _size(pair.lr_path))[:2]
    hh, hw = (hr_shape or _size(pair.hr_path))[:2]
    fix = "crop or resample the pair so the HR image is exactly 2, 3, 4 or 8 times the LR on both sides"
    if hh % lh or hw % lw or hh // lh != hw // lw:
        raise LeukoInputError(
            f"{pair.lr_path}: {lw}x{lh} does not divide its HR {pair.hr_path.name} ({hw}x{hh}) by one whole "
            f"factor on both sides (misaligned pair); {fix}"
        )
    scale = hh // lh
    if scale not in SUPPORTED_SCALES:
        raise LeukoInputError(f"{pair.lr_path}: HR {hw}x{hh} is x{scale} of LR {lw}x{lh}; {fix}")
    if min(lh, lw) < MIN_LR_SIDE:
        raise LeukoInputError(f"{pair.lr_path}: {lw}x{lh} is too small (LR sides of at least {MIN_LR_SIDE} px)")
    return scale


def read_scale(folder: str | os.PathLike) -> int:
    """The one scale of every pair in ``folder``; a pair at another scale is refused, naming its file."""
    pairs = discover_pairs(folder)
    scales = [pair_scale(pair) for pair in pairs]
    # The odd one out is the pair whose scale most pairs do not share.
    common = max(sorted(set(scales)), key=scales.count)
    for pair, scale in zip(pairs, scales, strict=True):
        if scale != common:
            raise LeukoInputError(
                f"{pair.lr_path}: x{scale}, but the other pairs are x{common}; keep one scale per folder"
            )
    return common


def pair_names(folder: str | os.PathLike) -> list[str]:
    """The names of the pairs in ``folder``, sorted (what a split is drawn from)."""
    return [pair.name for pair in discover_pairs(folder)]


def load_pair(pair: Pair, scale: int | None = None, need_mask: bool = False) -> Example:
    """Read one pair as an :class:`Example` (Y of each image in float32; RGB kept where both are colour)."""
    lr, hr = read_image(pair.lr_path), read_image(pair.hr_path)
    found = pair_scale(pair, lr.pixels.shape, hr.pixels.shape)
    if scale is not None and found != scale:
        raise LeukoInputError(f"{pair.lr_path}: this pair is x{found}, not x{scale}; pass --scale {found}")
    sample = Sample(pair.name, pair.hr_path, pair.mask_path, "image" if pair.mask_path else None)
    if need_mask and pair.mask_path is None:
        raise LeukoInputError(
            f"{pair.hr_path}: no parsing map; add {pair.hr_path.parent.parent / MASK_DIR / pair.name}.png "
            "(grey 0/128/255) or train a model without a map (e.g. np-lite)"
        )
    labels = load_labels(sample, hr.pixels.shape)
    colour = lr.pixels.ndim == 3 and hr.pixels.ndim == 3
    return Example(
        name=pair.name,
        hr_y=luminance(hr.pixels).astype(np.float32),
        lr_y=luminance(lr.pixels).astype(np.float32),
        labels=labels,
        hr_rgb=hr.pixels.astype(np.float32) if colour else None,
        lr_rgb=lr.pixels.astype(np.float32) if colour else None,
        bit_depth=hr.bit_depth,
    )


def iter_pair_examples(
    folder: str | os.PathLike, scale: int | None = None, names: Sequence[str] | None = None, need_mask: bool = False
) -> Iterator[Example]:
    """The pairs of ``folder`` (only ``names``, in that order, if given) as examples, one at a time.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for sub, side in (("lr", 16), ("hr", 32)):
    ...     (root / sub).mkdir(); Image.new("RGB", (side, side)).save(root / sub / "a.png")
    >>> [(e.name, e.lr_y.shape, e.hr_y.shape) for e in iter_pair_examples(root, 2)]
    [('a', (16, 16), (32, 32))]
    """
    pairs = {pair.name: pair for pair in discover_pairs(folder)}
    for name in pairs if names is None else names:
        yield load_pair(pairs[name], scale, need_mask)
