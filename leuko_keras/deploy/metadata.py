"""``metadata.json``: what an exported model expects and returns, where it came from, file checksums.

The same description (without checksums, which would have to cover the
file holding them) is embedded in each ``.tflite`` as metadata
``leuko_keras`` (see :func:`leuko_keras.deploy.tflite.embed_metadata`).

>>> meta = describe(model_name="gp", scale=4, settings={}, lr_size=56, has_map=True, hr_multiple=16)
>>> meta["input"]["shape"], meta["outputs"]["sr"]["shape"]
([1, 56, 56, 1], [1, 224, 224, 1])
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
from pathlib import Path
from typing import Any

from leuko_keras.protocol.metrics import CLASS_NAMES

FORMAT = "leuko-keras-export/1"
Y_CONVENTION = (
    "luminance Y of YCbCr, ITU-R BT.601 studio range as MATLAB rgb2ycbcr, float in [0, 1] = Y/255 "
    "(so Y lies in [16/255, 235/255] for RGB input; a grey image is its own Y, grey level/255 or /65535)"
)


def class_table() -> list[dict[str, Any]]:
    """Class index, name and paper colour of the parsing map (background black, cytoplasm red, nucleus blue)."""
    import numpy as np

    from leuko_keras.data.masks import colorize

    colours = colorize(np.arange(len(CLASS_NAMES), dtype=np.uint8)[None, :])[0]
    return [
        {"index": index, "name": name, "colour": [int(c) for c in colours[index]]}
        for index, name in enumerate(CLASS_NAMES)
    ]


def versions() -> dict[str, str]:
    """Versions of everything that shaped the artifacts."""
    import keras
    import numpy as np
    import tensorflow as tf

    import leuko_keras

    try:
        from importlib.metadata import version

        litert = version("ai-edge-litert")
    except Exception:  # a missing runtime must not stop an export
        litert = "unknown"
    return {
        "leuko_keras": leuko_keras.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "ai_edge_litert": litert,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def describe(
    model_name: str, scale: int, settings: dict[str, Any], lr_size: int, has_map: bool, hr_multiple: int
) -> dict[str, Any]:
    """The model-facing description shared by ``metadata.json`` and the embedded TFLite metadata."""
    from leuko_keras.models.registry import registered_display_name

    hr = lr_size * scale
    outputs: dict[str, Any] = {
        "sr": {
            "shape": [1, hr, hr, 1],
            "dtype": "float32",
            "meaning": "super-resolved Y, same convention as the input; not clipped (clip to [0, 1])",
        }
    }
    if has_map:
        outputs["parsing_map"] = {
            "shape": [1, hr, hr, len(CLASS_NAMES)],
            "dtype": "float32",
            "meaning": "softmax probabilities per class; argmax over the last axis gives the parsing map",
            "classes": class_table(),
        }
    return {
        "format": FORMAT,
        # The display name rides along so a reader names the model in tables without the Keras registry.
        "model": {"name": model_name, "display": registered_display_name(model_name), "settings": settings},
        "scale": scale,
        "input": {
            "name": "lr_y",
            "shape": [1, lr_size, lr_size, 1],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "convention": Y_CONVENTION,
            "meaning": "raw low-resolution luminance; the bicubic upsampling is inside the model",
        },
        "outputs": outputs,
        "signature": "serving_default",
        # Tiles must start on multiples of this many LR pixels to keep the U-Net's pooling grid.
        "tile_alignment_lr": hr_multiple // _gcd(hr_multiple, scale),
        "hr_multiple": hr_multiple,
    }


def _gcd(a: int, b: int) -> int:
    import math

    return math.gcd(a, b)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: str | os.PathLike, skip: tuple[str, ...] = ("metadata.json",)) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative POSIX paths, sorted), except ``skip``."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() not in skip
    }


def full_metadata(
    description: dict[str, Any],
    artifacts: dict[str, dict[str, Any]],
    source: str,
    folder: str | os.PathLike,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``metadata.json``: description + artifacts + provenance + versions + checksums of ``folder``."""
    return {
        **description,
        "source": source,
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "savedmodel": {
            "path": "saved_model",
            "signature": "serving_default",
            "input_shape": [None, None, None, 1],
            "note": "dynamic shape; HR sides must be multiples of hr_multiple",
        },
        "artifacts": artifacts,
        **(extra or {}),
        "versions": versions(),
        "sha256": checksums(folder),
    }
