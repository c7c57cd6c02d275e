"""Find image/parsing-map pairs in a folder and load them as degraded training examples.

Layouts found automatically (``layout="auto"``), in this order:

* ``images/`` + ``masks/`` sub-folders with matching stems (a mask may also be
  ``NAME_mask.png`` inside ``masks/``);
* ``NAME.ext`` + ``NAME_mask.png`` side by side (the synthetic set);
* ``NAME.png`` mask beside ``NAME.bmp|tif|jpg`` image (the shared ``wbc`` data);
* ``NAME.json`` LabelMe annotation beside ``NAME.ext``;
* images with no map at all (fine for SR metrics and prediction; refused
  where a map is needed, see :func:`require_masks`).

A folder with no images but sub-folders that have some (e.g. ``wbc/`` with
``tecom/`` and ``cellavision/``) is read one level down, names prefixed by
the sub-folder (``tecom/001``). Explicit options override detection:
``layout`` (``"images_masks"``, ``"suffix"``, ``"stem"``, ``"labelme"``,
``"none"``), ``mask_suffix``, ``mask_mapping``, ``tolerance``, ``labelme_labels``.

>>> samples = discover("../shared/data/wbc/tecom")  # doctest: +SKIP
>>> samples[0].name, samples[0].mask_kind  # doctest: +SKIP
('001', 'image')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.data.masks import DEFAULT_TOLERANCE, read_labelme, read_mask
from leuko_keras.data.split import read_split_file, split_samples, write_split_file
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import check_size, make_lr, modcrop
from leuko_keras.runtime.imageio import IMAGE_SUFFIXES, luminance, read_image

__all__ = [
    "Example",
    "Sample",
    "discover",
    "load_example",
    "make_example",
    "read_split_file",
    "require_masks",
    "split_samples",
    "write_split_file",
]

LAYOUTS = ("auto", "images_masks", "suffix", "stem", "labelme", "none")


@dataclass(frozen=True)
class Sample:
    """One image and (optionally) its parsing map; ``mask_kind`` is ``"image"``, ``"labelme"`` or None."""

    name: str
    image_path: Path
    mask_path: Path | None
    mask_kind: str | None
    mask_mapping: Any = "auto"
    tolerance: float = DEFAULT_TOLERANCE
    labelme_labels: dict[str, int] | None = field(default=None, hash=False, compare=False)


@dataclass
class Example:
    """A prepared example: modcropped HR, its LR (degraded in RGB, then Y), float32 in [0, 1]."""

    name: str
    hr_y: np.ndarray
    lr_y: np.ndarray
    labels: np.ndarray | None
    hr_rgb: np.ndarray | None
    lr_rgb: np.ndarray | None
    bit_depth: int


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def discover(
    folder: str | os.PathLike,
    layout: str = "auto",
    mask_suffix: str = "_mask",
    mask_mapping: Any = "auto",
    tolerance: float = DEFAULT_TOLERANCE,
    labelme_labels: dict[str, int] | None = None,
) -> list[Sample]:
    """List the samples in ``folder`` (sorted by name); raise :class:`LeukoInputError` if there are none."""
    folder = Path(folder)
    if not folder.exists():
        raise LeukoInputError(f"{folder}: no such folder; check the path")
    if not folder.is_dir():
        raise LeukoInputError(f"{folder}: not a folder; pass the folder that holds the images")
    if layout not in LAYOUTS:
        raise LeukoInputError(f"layout {layout!r} is unknown; use one of {', '.join(LAYOUTS)}")
    extra = {"mask_mapping": mask_mapping, "tolerance": tolerance, "labelme_labels": labelme_labels}
    samples = _discover_one(folder, layout, mask_suffix, extra, prefix="")
    if not samples and layout in ("auto", "none"):
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            samples += _discover_one(sub, layout, mask_suffix, extra, prefix=f"{sub.name}/")
    if not samples:
        raise LeukoInputError(
            f"{folder}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}); "
            "point to the folder that holds the images"
        )
    return samples


def _discover_one(folder: Path, layout: str, suffix: str, extra: dict, prefix: str) -> list[Sample]:
    if layout == "images_masks" or (layout == "auto" and (folder / "images").is_dir()):
        return _images_masks(folder, suffix, extra, prefix)
    files = _images_in(folder)
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem, []).append(path)
    masks: dict[str, tuple[Path, str]] = {}
    images: list[Path] = []
    for stem, paths in sorted(by_stem.items()):
        base = stem[: -len(suffix)] if suffix and stem.endswith(suffix) else None
        if base is not None and base in by_stem and layout in ("auto", "suffix"):
            masks[base] = (_prefer_png(paths), "image")
            continue
        pngs = [p for p in paths if p.suffix.lower() == ".png"]
        others = [p for p in paths if p.suffix.lower() != ".png"]
        if pngs and others and layout in ("auto", "stem"):
            # Shared-data layout: NNN.bmp is the image, NNN.png its map.
            masks.setdefault(stem, (pngs[0], "image"))
            images.append(others[0])
        else:
            images.append(_prefer_png(paths) if len(paths) > 1 else paths[0])
    samples = []
    for image in images:
        mask = masks.get(image.stem)
        json_path = image.with_suffix(".json")
        if mask is None and json_path.is_file() and layout in ("auto", "labelme"):
            mask = (json_path, "labelme")
        if layout == "none":
            mask = None
        samples.append(
            Sample(prefix + image.stem, image, mask[0] if mask else None, mask[1] if mask else None, **extra)
        )
    return samples


def _images_masks(folder: Path, suffix: str, extra: dict, prefix: str) -> list[Sample]:
    image_dir, mask_dir = folder / "images", folder / "masks"
    if not image_dir.is_dir():
        raise LeukoInputError(
            f"{folder}: layout images_masks needs an images/ sub-folder; create it or pick another layout"
        )
    masks: dict[str, Path] = {}
    if mask_dir.is_dir():
        for path in _images_in(mask_dir):
            stem = path.stem[: -len(suffix)] if suffix and path.stem.endswith(suffix) else path.stem
            if stem not in masks or path.suffix.lower() == ".png":
                masks[stem] = path
    samples = []
    for image in _images_in(image_dir):
        mask = masks.get(image.stem)
        json_path = image.with_suffix(".json")
        kind = "image" if mask else None
        if mask is None and json_path.is_file():
            mask, kind = json_path, "labelme"
        samples.append(Sample(prefix + image.stem, image, mask, kind, **extra))
    return samples


def _prefer_png(paths: list[Path]) -> Path:
    pngs = [p for p in paths if p.suffix.lower() == ".png"]
    return pngs[0] if pngs else paths[0]


def require_masks(samples: list[Sample], source: str | os.PathLike = "data") -> None:
    """Refuse a sample list where some image has no parsing map, naming the first such image."""
    missing = [s for s in samples if s.mask_path is None]
    if missing:
        first = missing[0].image_path
        raise LeukoInputError(
            f"{first}: no parsing map found ({len(missing)} of {len(samples)} images in {source} have none); "
            f"add {first.stem}_mask.png (grey 0/128/255) or {first.stem}.json (LabelMe), or use a command "
            "that does not need maps"
        )


def load_labels(sample: Sample, image_shape: tuple[int, ...]) -> np.ndarray | None:
    """Read the sample's parsing map (or None); refuse a map whose size differs from the image."""
    if sample.mask_path is None:
        return None
    if sample.mask_kind == "labelme":
        return read_labelme(sample.mask_path, image_shape, sample.labelme_labels)
    labels = read_mask(sample.mask_path, sample.mask_mapping, sample.tolerance)
    if labels.shape != tuple(image_shape[:2]):
        raise LeukoInputError(
            f"{sample.mask_path}: mask is {labels.shape[1]}x{labels.shape[0]} but image {sample.image_path} is "
            f"{image_shape[1]}x{image_shape[0]}; give each image a mask of the same size"
        )
    return labels


def load_example(sample: Sample, scale: int, need_mask: bool = False) -> Example:
    """Read, check and degrade one sample (MATLAB-exact LR; see :func:`make_example`)."""
    image = read_image(sample.image_path)
    check_size(image.pixels.shape, scale, str(sample.image_path))
    if need_mask and sample.mask_path is None:
        require_masks([sample], sample.image_path.parent)
    labels = load_labels(sample, image.pixels.shape) if need_mask or sample.mask_path is not None else None
    return make_example(sample.name, image.pixels, labels, scale, image.bit_depth)


def make_example(
    name: str, pixels: np.ndarray, labels: np.ndarray | None, scale: int, bit_depth: int = 8, levels: int | None = None
) -> Example:
    """Build an :class:`Example` from HR pixels in [0, 1] (grey or RGB).

    The HR image is modcropped; the LR image is MATLAB ``imresize(hr, 1/scale)``
    applied in RGB and quantised to the source bit depth (8 bits: as MATLAB
    does for uint8 input; ``levels`` overrides it, e.g. 4095 for 12-bit data), then its Y is taken in float.

    >>> ex = make_example("a", np.full((64, 64, 3), 0.5), None, 4)
    >>> ex.hr_y.shape, ex.lr_y.shape, ex.lr_y.dtype
    ((64, 64), (16, 16), dtype('float32'))
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    check_size(pixels.shape, scale, name)
    hr = modcrop(pixels, scale)
    lr = make_lr(hr, scale, levels=levels or (255 if bit_depth == 8 else 65535))
    colour = hr.ndim == 3
    return Example(
        name=name,
        hr_y=luminance(hr).astype(np.float32),
        lr_y=luminance(lr).astype(np.float32),
        labels=None if labels is None else modcrop(np.asarray(labels, dtype=np.uint8), scale),
        hr_rgb=hr.astype(np.float32) if colour else None,
        lr_rgb=lr.astype(np.float32) if colour else None,
        bit_depth=bit_depth,
    )
