"""LabelMe JSON annotations (the tool the paper used) rasterised into parsing maps.

LabelMe stores shapes as ``{"label": ..., "points": [[x, y], ...],
"shape_type": "polygon" | "rectangle" | "circle"}`` in image pixel
coordinates. We draw them with PIL at the image's size, lowest class first,
so a nucleus polygon always ends up over the cytoplasm polygon around it.

>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
>>> shapes = [{"label": "nucleus", "points": [[1, 1], [2, 1], [2, 2], [1, 2]], "shape_type": "polygon"}]
>>> _ = p.write_text(json.dumps({"shapes": shapes, "imageHeight": 4, "imageWidth": 4}))
>>> rasterise(p, (4, 4)).tolist()
[[0, 0, 0, 0], [0, 2, 2, 0], [0, 2, 2, 0], [0, 0, 0, 0]]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from leuko_keras.errors import LeukoInputError

DEFAULT_LABELS = {"background": 0, "cytoplasm": 1, "cell": 1, "nucleus": 2}


def rasterise(
    path: str | os.PathLike, image_shape: tuple[int, ...], labels: dict[str, int] | None = None
) -> np.ndarray:
    """Return uint8 labels (H, W) drawn from the LabelMe file at ``path``."""
    path = Path(path)
    labels = {k.lower(): int(v) for k, v in (labels or DEFAULT_LABELS).items()}
    height, width = int(image_shape[0]), int(image_shape[1])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        shapes = data["shapes"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise LeukoInputError(
            f"{path}: not a LabelMe JSON file ({type(error).__name__}); re-save it from LabelMe"
        ) from None
    fix = "re-save it from LabelMe"
    if not isinstance(data, dict) or not isinstance(shapes, list):
        raise LeukoInputError(f"{path}: 'shapes' must be a list of LabelMe shapes; {fix}")
    for index, shape in enumerate(shapes):
        if not isinstance(shape, dict):
            raise LeukoInputError(f"{path}: shape {index + 1} is not a LabelMe shape object; {fix}")
    declared = (data.get("imageHeight"), data.get("imageWidth"))
    if None not in declared and tuple(declared) != (height, width):
        raise LeukoInputError(
            f"{path}: annotation is for {declared[1]}x{declared[0]} pixels but the image is {width}x{height}; "
            "annotate the image it sits beside"
        )
    drawable = []
    for shape in shapes:
        name = str(shape.get("label", "")).lower()
        if name not in labels:
            raise LeukoInputError(
                f"{path}: unknown LabelMe label {shape.get('label')!r}; known: {', '.join(sorted(labels))} "
                "(pass the label mapping to use others)"
            )
        drawable.append((labels[name], shape))
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    # Stable sort by class: nucleus (2) last, so it is drawn over cytoplasm (1).
    for cls, shape in sorted(drawable, key=lambda item: item[0]):
        _draw(draw, shape, cls, path)
    return np.asarray(canvas, dtype=np.uint8).copy()


def _points(shape: dict, path: Path) -> list[tuple[float, float]]:
    raw = shape.get("points", [])
    try:
        if not isinstance(raw, list) or any(
            not isinstance(p, list | tuple) or len(p) != 2 or not all(_is_number(v) for v in p) for p in raw
        ):
            raise ValueError
        points = [(float(x), float(y)) for x, y in raw]
    except (TypeError, ValueError):
        raise LeukoInputError(
            f"{path}: shape {shape.get('label')!r} has points that are not [x, y] number pairs; re-save it from LabelMe"
        ) from None
    if not all(np.isfinite(v) for point in points for v in point):
        raise LeukoInputError(
            f"{path}: shape {shape.get('label')!r} has NaN or infinite points; re-save it from LabelMe"
        )
    return points


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _draw(draw: ImageDraw.ImageDraw, shape: dict, cls: int, path: Path) -> None:
    points = _points(shape, path)
    kind = shape.get("shape_type") or "polygon"
    if kind == "polygon" and len(points) >= 3:
        draw.polygon(points, fill=cls, outline=cls)
    elif kind == "rectangle" and len(points) == 2:
        (x0, y0), (x1, y1) = points
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], fill=cls)
    elif kind == "circle" and len(points) == 2:
        (cx, cy), (px, py) = points
        r = float(np.hypot(px - cx, py - cy))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=cls)
    else:
        raise LeukoInputError(
            f"{path}: cannot draw a LabelMe {kind!r} with {len(points)} points; use polygons, rectangles or circles"
        )
