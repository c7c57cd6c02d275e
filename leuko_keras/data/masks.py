"""Parsing maps: mask images with a value-to-class mapping, and colourising labels.

Classes (``leuko_keras.protocol.metrics.CLASS_NAMES``): 0 background, 1 cytoplasm,
2 nucleus. Two presets are built in:

* ``"grey"`` -- 0 / 128 / 255 (the shared ``wbc`` data, the synthetic set);
* ``"paper"`` -- black / red / blue (the colours of the paper's figures).

``"auto"`` picks ``grey`` for single-channel (or R = G = B) masks and
``paper`` otherwise. A custom mapping is a dict ``{value: class}`` with int
keys (grey) or (R, G, B) keys, or the text form of :func:`parse_mapping`.
Pixel values off the mapping snap to the nearest class value when they are
within ``tolerance`` grey levels (largest channel difference for colour);
further away they raise :class:`LeukoInputError` naming the file and value.
The shared maps ``cellavision/034, 035, 047, 050`` hold stray anti-aliased
values up to 45 levels away from 0, so the default tolerance is 50 (values
51-77 between background and cytoplasm remain errors: they are ambiguous).

>>> colorize(np.array([[0, 1, 2]], dtype=np.uint8)).tolist()
[[[0, 0, 0], [255, 0, 0], [0, 0, 255]]]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from leuko_keras.core.atomic import atomic_path
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import read_image

# PAPER_COLOURS and colorize are part of this module's API (users and tests import them from here).
from leuko_keras.runtime.maps import NUM_CLASSES, PAPER_COLOURS, colorize  # noqa: F401

DEFAULT_TOLERANCE = 50
Key = int | tuple[int, int, int]
Mapping = str | dict

PRESETS: dict[str, dict[Key, int]] = {
    "grey": {0: 0, 128: 1, 255: 2},
    "paper": {(0, 0, 0): 0, (255, 0, 0): 1, (0, 0, 255): 2},
}


def parse_mapping(text: str) -> Mapping:
    """Parse a mapping setting: a preset name or ``VALUE=CLASS`` pairs (grey ints or ``#RRGGBB``).

    >>> parse_mapping("0=0,100=1,200=2")
    {0: 0, 100: 1, 200: 2}
    >>> parse_mapping("#000000=0,#00ff00=1,#ff00ff=2")[(0, 255, 0)]
    1
    """
    text = text.strip()
    if text in PRESETS or text == "auto":
        return text
    mapping: dict[Key, int] = {}
    try:
        for pair in text.split(","):
            value, cls = (part.strip() for part in pair.split("="))
            if value.startswith("#") and len(value) == 7:
                key: Key = tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[assignment]
            else:
                key = int(value)
            mapping[key] = int(cls)
    except ValueError:
        raise LeukoInputError(
            f"mask mapping {text!r} not understood; use grey, paper, auto or pairs like 0=0,128=1,255=2 "
            "or #000000=0,#ff0000=1,#0000ff=2"
        ) from None
    _check_mapping(mapping, text)
    return mapping


def _check_mapping(mapping: dict, name: str) -> None:
    if not mapping or any(cls not in range(NUM_CLASSES) for cls in mapping.values()):
        raise LeukoInputError(f"mask mapping {name!r}: classes must be 0 (background), 1 (cytoplasm) or 2 (nucleus)")
    kinds = {isinstance(key, tuple) for key in mapping}
    if len(kinds) != 1:
        raise LeukoInputError(f"mask mapping {name!r}: mixes grey values and colours; use one kind")


def resolve_mapping(mapping: Mapping, values: np.ndarray) -> dict[Key, int]:
    """Turn a preset name / ``"auto"`` / dict into a dict, looking at the mask ``values`` for ``auto``."""
    if isinstance(mapping, str):
        if mapping == "auto":
            return PRESETS["grey" if _is_grey(values) else "paper"]
        if mapping not in PRESETS:
            return resolve_mapping(parse_mapping(mapping), values)
        return PRESETS[mapping]
    _check_mapping(mapping, str(mapping))
    return {(tuple(int(v) for v in k) if isinstance(k, (tuple, list)) else int(k)): int(c) for k, c in mapping.items()}


def _is_grey(values: np.ndarray) -> bool:
    return values.ndim == 2 or bool(
        np.all(values[..., 0] == values[..., 1]) and np.all(values[..., 1] == values[..., 2])
    )


def read_mask(path: str | os.PathLike, mapping: Mapping = "auto", tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Read a mask image into uint8 labels (H, W) in {0, 1, 2}.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.png"
    >>> Image.fromarray(np.array([[0, 130, 250]], dtype=np.uint8)).save(p)
    >>> read_mask(p, "grey").tolist()
    [[0, 1, 2]]
    """
    path = Path(path)
    # 16-bit masks are brought to the 0-255 scale the presets use.
    values = read_image(path).pixels * 255.0
    return labels_from_values(values, resolve_mapping(mapping, values), tolerance, str(path))


def labels_from_values(values: np.ndarray, mapping: dict[Key, int], tolerance: float, name: str) -> np.ndarray:
    """Snap pixel ``values`` (0-255 scale, (H, W) or (H, W, 3)) to classes via ``mapping``."""
    colour = isinstance(next(iter(mapping)), tuple)
    if colour and values.ndim == 2:
        values = np.repeat(values[..., None], 3, axis=-1)
    if not colour and values.ndim == 3:
        if not _is_grey(values):
            raise LeukoInputError(f"{name}: colour mask but a grey mapping; use the mask mapping 'paper' or 'auto'")
        values = values[..., 0]
    # Work on the distinct values only: a mask has a handful of them. One
    # integer code per pixel (16-bit levels: exact for 8- and 16-bit masks)
    # keeps np.unique 1-D, ~50x faster than unique rows.
    levels = np.rint(values.reshape(-1, 3 if colour else 1) * 257.0).astype(np.int64)
    codes = (levels[:, 0] << 32) | (levels[:, 1] << 16) | levels[:, 2] if colour else levels[:, 0]
    unique_codes, inverse = np.unique(codes, return_inverse=True)
    if colour:
        unique_codes = np.stack([unique_codes >> 32, (unique_codes >> 16) & 0xFFFF, unique_codes & 0xFFFF], axis=1)
    unique = unique_codes.reshape(len(unique_codes), -1) / 257.0
    keys = np.array([k if colour else (k,) for k in mapping], dtype=np.float64)
    classes = np.array(list(mapping.values()), dtype=np.uint8)
    distance = np.abs(unique[:, None, :] - keys[None, :, :]).max(axis=-1)
    nearest = distance.argmin(axis=1)
    worst = distance[np.arange(len(unique)), nearest]
    if np.any(worst > tolerance):
        bad = unique[int(np.argmax(worst))]
        shown = tuple(round(float(v)) for v in bad) if colour else round(float(bad[0]))
        count = int(np.sum(inverse.reshape(-1) == int(np.argmax(worst))))
        raise LeukoInputError(
            f"{name}: mask value {shown} ({count} pixels) is more than {tolerance:g} levels from every class value "
            f"{sorted(mapping, key=lambda k: mapping[k])}; fix the mask, choose another mask mapping "
            "or raise the tolerance"
        )
    return classes[nearest][inverse.reshape(-1)].reshape(values.shape[:2])


def read_labelme(
    path: str | os.PathLike, image_shape: tuple[int, ...], labels: dict[str, int] | None = None
) -> np.ndarray:
    """Rasterise a LabelMe JSON file's polygons into uint8 labels of ``image_shape[:2]``.

    ``labels`` maps LabelMe label names (case-insensitive) to classes; by
    default ``cytoplasm``/``cell`` -> 1 and ``nucleus`` -> 2. Shapes are drawn
    in class order so a nucleus always lies over its cytoplasm. Implemented in
    :mod:`leuko_keras.data.labelme`.
    """
    from leuko_keras.data.labelme import rasterise

    return rasterise(path, image_shape, labels)


def write_mask(path: str | os.PathLike, labels: np.ndarray, preset: str = "grey") -> Path:
    """Write labels atomically as a PNG in the ``grey`` (0/128/255) or ``paper`` preset."""
    labels = np.asarray(labels).astype(np.intp)
    if preset == "grey":
        image = Image.fromarray(np.array([0, 128, 255], dtype=np.uint8)[labels])
    elif preset == "paper":
        image = Image.fromarray(colorize(labels))
    else:
        raise ValueError(f"preset must be 'grey' or 'paper', got {preset!r}")
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)
