"""Representative LR crops for full-integer (int8) calibration.

int8 activation ranges are fixed from what the calibration crops produce, so
the crops must look like what the device will feed the model:

* by default, LR luminance from the run's **training** data (the images the
  model learnt from, degraded exactly as in training);
* with ``--representative DIR``, the images in ``DIR`` taken **as the LR
  input** (e.g. frames from the target microscope camera), luminance only.

``DEFAULT_COUNT`` (100) crops of the model's LR input size are drawn at random
(seeded) positions, cycling over the images. Fewer than ``MIN_CROPS`` (16)
distinct positions is refused: ranges from so little data clip real inputs.

>>> import numpy as np
>>> crops = draw_crops([np.random.default_rng(0).random((120, 90))], 16, count=20)
>>> crops.shape
(20, 16, 16, 1)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from leuko_keras.data.source import DataSource, Location
from leuko_keras.errors import LeukoInputError

DEFAULT_COUNT = 100
MIN_CROPS = 16


def distinct_positions(shape: tuple[int, ...], lr_size: int) -> int:
    """Non-overlapping crops of ``lr_size`` an image holds (1 if smaller: it is padded).

    >>> distinct_positions((120, 90), 16)
    35
    """
    return max(1, (shape[0] // lr_size) * (shape[1] // lr_size))


def draw_crops(
    images: list[np.ndarray], lr_size: int, count: int = DEFAULT_COUNT, seed: int = 0, origin: str = "data"
) -> np.ndarray:
    """Draw ``count`` crops (N, lr_size, lr_size, 1) float32 from (h, w) luminance images in [0, 1].

    Images smaller than a crop are padded by symmetric reflection (as
    inference does). Raises :class:`LeukoInputError` naming ``origin`` when
    the images hold fewer than ``MIN_CROPS`` distinct crops.
    """
    available = sum(distinct_positions(image.shape, lr_size) for image in images)
    if available < MIN_CROPS:
        raise LeukoInputError(
            f"{origin}: only {available} distinct {lr_size}x{lr_size} crops for int8 calibration "
            f"(at least {MIN_CROPS} needed, {DEFAULT_COUNT} advised); add images to --representative "
            "or leave int8 out of --quantize"
        )
    rng = np.random.default_rng(seed)
    crops = np.empty((count, lr_size, lr_size, 1), dtype=np.float32)
    order = rng.permutation(len(images))
    for index in range(count):
        image = _pad_to(np.asarray(images[order[index % len(images)]], dtype=np.float32), lr_size)
        top = int(rng.integers(0, image.shape[0] - lr_size + 1))
        left = int(rng.integers(0, image.shape[1] - lr_size + 1))
        crops[index, :, :, 0] = image[top : top + lr_size, left : left + lr_size]
    return crops


def _pad_to(image: np.ndarray, size: int) -> np.ndarray:
    # Repeated symmetric padding (bottom/right, as inference pads): a small image still fills a crop.
    while image.shape[0] < size or image.shape[1] < size:
        ph = min(max(0, size - image.shape[0]), image.shape[0])
        pw = min(max(0, size - image.shape[1]), image.shape[1])
        image = np.pad(image, ((0, ph), (0, pw)), mode="symmetric")
    return image


def folder_luminance(folder: str | os.PathLike) -> list[np.ndarray]:
    """Luminance of every image in ``folder`` (taken as LR input), or LeukoInputError if there are none."""
    from leuko_keras.runtime.imageio import IMAGE_SUFFIXES, luminance, read_image

    folder = Path(folder)
    if not folder.is_dir():
        raise LeukoInputError(f"{folder}: --representative must be a folder of images; check the path")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    # Masks beside images (NAME_mask.png) are not camera frames.
    paths = [p for p in paths if not p.stem.endswith("_mask")]
    if not paths:
        raise LeukoInputError(
            f"{folder}: no images (PNG, BMP, TIFF, JPEG) for int8 calibration; "
            "put LR micrographs there or leave int8 out of --quantize"
        )
    return [luminance(read_image(path).pixels) for path in paths]


def training_luminance(source: DataSource | Location, scale: int) -> list[np.ndarray]:
    """LR luminance of the training split of ``source`` (a DataSource, or a folder, .h5, None = synthetic)."""
    from leuko_keras.data.examples import load_examples

    examples = load_examples(source, scale, split="train", need_mask=False)
    return [np.asarray(example.lr_y, dtype=np.float32) for example in examples]


def representative_crops(
    representative: str | os.PathLike | None,
    source: DataSource | Location,
    scale: int,
    lr_size: int,
    count: int = DEFAULT_COUNT,
) -> np.ndarray:
    """Crops from ``--representative`` if given, else from the training data ``source``.

    >>> crops = representative_crops(None, None, 4, 14)  # doctest: +SKIP
    """
    if representative is not None:
        return draw_crops(folder_luminance(representative), lr_size, count, origin=os.fspath(representative))
    source = DataSource.of(source)
    where = "built-in synthetic set" if source.synthetic else source.label
    return draw_crops(training_luminance(source, scale), lr_size, count, origin=f"{where} (training split)")
