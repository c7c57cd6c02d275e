"""An :class:`~leuko_keras.data.dataset.Example` brought to the training size, in NumPy.

Each example is cropped to the fixed training size, or mirror padded (NumPy
``symmetric``, i.e. MATLAB's border rule) where it is smaller. Crop and pad
offsets are multiples of ``scale``, so the LR window is exactly the LR of the
HR window. For random crops (training) the whole image is kept, padded only
where it is smaller than the size, and :mod:`leuko_keras.data.tf_transforms`
draws the window each time the image is visited; otherwise (validation) the
window is the fixed centre one. The bicubic input (``input_kind="bicubic"``)
is the MATLAB-exact bicubic upscale of the LR.

>>> _window(100, 64, 4), _window(40, 64, 4)  # (start, pad before, pad after, kept) in HR pixels
((16, 0, 0, 64), (0, 12, 12, 40))
"""

from __future__ import annotations

import numpy as np

from leuko_keras.data.dataset import Example
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import bicubic_upscale

__all__ = ["prepare_arrays", "source_crop_size", "whole_hr"]


def prepare_arrays(
    example: Example,
    scale: int,
    size: int | None,
    input_kind: str = "lr",
    need_mask: bool = True,
    whole: bool = False,
) -> tuple[np.ndarray, ...]:
    """(input (h, w, 1), hr (H, W, 1), labels (H, W) uint8) of one example at the training size.

    ``whole=True`` keeps the whole image, mirror-padded only where it is
    smaller than ``size`` (for random crops later).

    >>> from leuko_keras.data.dataset import make_example
    >>> ex = make_example("a", np.random.default_rng(0).random((40, 48)), np.zeros((40, 48), np.uint8), 4)
    >>> [a.shape for a in prepare_arrays(ex, 4, 64)]
    [(16, 16, 1), (64, 64, 1), (64, 64)]
    """
    if need_mask and example.labels is None:
        raise LeukoInputError(f"{example.name}: no parsing map; add masks or train without the map loss")
    if size is not None:
        from leuko_keras.core.memory import check_memory

        # Mirror padding to a huge --size would otherwise die in a MemoryError (or the OOM killer) mid-way.
        side_h, side_w = max(size, example.hr_y.shape[0]), max(size, example.hr_y.shape[1])
        check_memory(side_h * side_w * 3 * (8 + 4 + 1.0), f"{example.name} at --size {size}", "pass a smaller --size")
    lr = example.lr_y.astype(np.float64)
    inputs = bicubic_upscale(lr, scale) if input_kind == "bicubic" else lr
    factor = 1 if input_kind == "bicubic" else scale
    hr_h, hr_w = example.hr_y.shape
    if size is None:
        windows = [(0, 0, 0, hr_h), (0, 0, 0, hr_w)]
    else:
        windows = [_window(hr_h, size, scale, whole), _window(hr_w, size, scale, whole)]
    out = [
        _fit(inputs, windows, factor).astype(np.float32)[..., None],
        _fit(example.hr_y, windows, 1).astype(np.float32)[..., None],
    ]
    if need_mask:
        out.append(_fit(example.labels, windows, 1).astype(np.uint8))
    return tuple(out)


def whole_hr(example: Example, scale: int, size: int) -> np.ndarray:
    """The whole HR image (RGB where there is colour), padded as :func:`prepare_arrays` pads it, float32.

    Per-crop degradations make each crop's input from this, so they see colour the Y arrays lack.
    """
    hr = example.hr_rgb if example.hr_rgb is not None else example.hr_y
    h, w = example.hr_y.shape
    return _fit(hr, [_window(h, size, scale, True), _window(w, size, scale, True)], 1).astype(np.float32)


def _window(length: int, size: int, scale: int, whole: bool = False) -> tuple[int, int, int, int]:
    """(start, pad_before, pad_after, kept) in HR pixels; all multiples of ``scale``."""
    if length >= size and whole:
        return 0, 0, 0, length
    if length >= size:
        start = (length - size) // 2 // scale * scale
        return start, 0, 0, size
    before = (size - length) // 2 // scale * scale
    return 0, before, size - length - before, length


def _fit(array: np.ndarray, windows: list[tuple[int, int, int, int]], factor: int) -> np.ndarray:
    slices, pads = [], []
    for start, before, after, kept in windows:
        slices.append(slice(start // factor, (start + kept) // factor))
        pads.append((before // factor, after // factor))
    cropped = array[tuple(slices)]
    if any(p != (0, 0) for p in pads):
        # Symmetric = mirror about the edge, MATLAB's border rule: the LR of a
        # padded HR equals the padded LR, so the pair stays consistent.
        # Channels (a colour HR for per-crop degradations) are never padded.
        cropped = np.pad(cropped, pads + [(0, 0)] * (cropped.ndim - len(pads)), mode="symmetric")
    return cropped


def source_crop_size(hr_sides: list[int], size: int | None, step: int) -> int | None:
    """The training size for one source: ``size``, or less when its smallest image is smaller.

    Small images (Tecom's ~100 px cells) would otherwise be mostly mirror padding in a 192 px
    crop; the size stays a multiple of ``step`` (the scale and the model's size multiple). It is
    rounded up rather than down when that mirror-pads the smallest image by at most an eighth of
    the crop: at x8 with gp-lite's 32 px step, Tecom's 88-120 px cells are cropped at 96, not 64
    (measured at x8, 750 steps: 88 px crops against 64 gave np-lite +0.23 dB on the Tecom test split).

    >>> source_crop_size([300, 300], 192, 16), source_crop_size([88, 120], 192, 32), source_crop_size([], None, 4)
    (192, 96, None)
    >>> source_crop_size([70, 120], 192, 32)  # 96 would pad 26 of 96 px: the smaller 64 it is
    64
    """
    if size is None or not hr_sides:
        return size
    smallest = min(hr_sides)
    fitting = smallest // step * step
    if fitting >= size:
        return size
    rounded_up = fitting + step
    if rounded_up <= size and rounded_up - smallest <= rounded_up // 8:
        return rounded_up
    return max(fitting, step)
