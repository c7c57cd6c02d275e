"""Parsing-map pictures: the paper's class colours and the overlay, one definition for every writer.

``leuko-keras predict``, the figures, the bioimage.io cover and the on-device
runner all colour maps here, so the same map looks the same everywhere.

>>> import numpy as np
>>> colorize(np.array([[0, 1, 2]])).tolist()
[[[0, 0, 0], [255, 0, 0], [0, 0, 255]]]
>>> overlay(np.ones((1, 2, 3)), np.array([[0, 2]]))[0, :, 2].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 3  # 0 background, 1 cytoplasm, 2 nucleus
# Background black, cytoplasm red, nucleus blue (the paper's figures).
PAPER_COLOURS = np.array([[0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.uint8)
# Share of the class colour over cell pixels: enough to see the nucleus, little enough to see the cell through it.
OVERLAY_ALPHA = 0.35


def colorize(labels: np.ndarray) -> np.ndarray:
    """Paper colours for a label map (H, W): background black, cytoplasm red, nucleus blue (uint8 RGB)."""
    labels = np.asarray(labels)
    return PAPER_COLOURS[np.clip(labels, 0, NUM_CLASSES - 1).astype(np.intp)]


def overlay(base: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Blend the class colours at :data:`OVERLAY_ALPHA` over ``base`` (grey (H, W) or RGB, floats in [0, 1]).

    Background pixels keep the image; the result is float RGB in [0, 1].
    """
    base = np.asarray(base, dtype=np.float64)
    rgb = np.clip(base if base.ndim == 3 else np.repeat(base[..., None], 3, axis=-1), 0.0, 1.0)
    colours = colorize(labels).astype(np.float32) / 255.0
    tint = np.where((np.asarray(labels) > 0)[..., None], OVERLAY_ALPHA, 0.0)
    return rgb * (1.0 - tint) + colours * tint
