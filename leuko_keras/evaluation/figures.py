"""The paper's figures from an evaluation (matplotlib, Agg, PNG).

* ``fig3_maps.png``   -- Fig. 3 style: LR input, ground-truth map, predicted maps at each scale;
* ``fig4_xS.png``     -- Fig. 4/5 style: one cell across bicubic, each model and the target;
* ``fig6_xS.png``     -- Fig. 6 style: the detail where two models disagree most (found
  automatically), zoomed, with its box drawn on the full image.

The cell shown in Fig. 4/5 is the one with the median gain of the best model
over bicubic (a typical cell, not a hand-picked one). Images are shown in
colour: the SR luminance with the bicubic chroma of the LR image.

>>> paths = write_figures(evaluation, "figures/")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.core.atomic import atomic_path
from leuko_keras.data.masks import colorize
from leuko_keras.protocol.metrics import psnr
from leuko_keras.runtime.color import rgb_to_ycbcr
from leuko_keras.runtime.rgb import merge_chroma
from leuko_keras.runtime.tiling import super_resolve_tiled

ZOOM_FRACTION = 0.2  # side of the Fig. 6 window relative to the image's shorter side


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    plt = _pyplot()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def to_colour(sr_y: np.ndarray, ex: Any, scale: int) -> np.ndarray:
    """RGB for display: SR luminance + bicubic chroma of the LR image (grey stays grey)."""
    y = np.clip(np.asarray(sr_y, dtype=np.float64), 0, 1)
    if getattr(ex, "lr_rgb", None) is None:
        return np.repeat(y[..., None], 3, axis=-1)
    return np.clip(merge_chroma(y, rgb_to_ycbcr(np.asarray(ex.lr_rgb, dtype=np.float64)), scale), 0, 1)


def _target(ex: Any) -> np.ndarray:
    rgb = getattr(ex, "hr_rgb", None)
    return np.asarray(rgb if rgb is not None else np.repeat(np.asarray(ex.hr_y)[..., None], 3, -1), dtype=np.float64)


def _lr_display(ex: Any) -> np.ndarray:
    rgb = getattr(ex, "lr_rgb", None)
    return np.asarray(rgb if rgb is not None else np.repeat(np.asarray(ex.lr_y)[..., None], 3, -1), dtype=np.float64)


def _typical_index(ev: Any, scale: int) -> int:
    results = [r for r in ev.results if r.scale == scale]
    base = next((r for r in results if r.model == "Bicubic"), None)
    others = sorted((r for r in results if r is not base), key=lambda r: r.psnr, reverse=True)
    if base is None or not others:
        return 0
    gain = np.array([a["psnr"] - b["psnr"] for a, b in zip(others[0].per_image, base.per_image, strict=True)])
    finite = np.where(np.isfinite(gain), gain, 0.0)
    return int(np.argsort(finite)[len(finite) // 2])


def fig_models(ev: Any, scale: int, out: Path, index: int | None = None) -> Path:
    """Fig. 4/5 style: one cell by bicubic, every model and the target, PSNR in each title."""
    plt = _pyplot()
    examples, backends = ev.examples[scale], ev.backends[scale]
    ex = examples[_typical_index(ev, scale) if index is None else index]
    panels = []
    for backend in backends:
        sr, _ = super_resolve_tiled(backend, ex.lr_y, tile=None)
        panels.append((f"{backend.name}\n{psnr(sr, ex.hr_y, crop=scale):.2f} dB", to_colour(sr, ex, scale)))
    panels.append(("Target (HR)", _target(ex)))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (title, image) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"x{scale}, cell {ex.name}", fontsize=10)
    return _save(fig, out)


def fig_maps(ev: Any, out: Path) -> Path | None:
    """Fig. 3 style: LR input, ground-truth map and each map model's predicted map at every scale; None without maps."""
    plt = _pyplot()
    scales = sorted(ev.backends)
    map_models = {s: [b for b in ev.backends[s] if b.has_map] for s in scales}
    if not any(map_models.values()) or ev.examples[scales[0]][0].labels is None:
        return None
    name = ev.examples[scales[0]][0].name
    first = ev.examples[scales[0]][0]
    panels = [(f"LR input (x{scales[0]})", _lr_display(first)), ("Ground-truth map", colorize(first.labels))]
    for s in scales:
        ex = next((e for e in ev.examples[s] if e.name == name), None)
        for backend in map_models[s]:
            if ex is None:
                continue
            _, probs = super_resolve_tiled(backend, ex.lr_y, tile=None)
            panels.append((f"{backend.name} map, x{s}", colorize(np.argmax(probs, axis=-1))))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0))
    for ax, (title, image) in zip(np.atleast_1d(axes), panels, strict=True):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"Parsing maps (blue nucleus, red cytoplasm), cell {name}", fontsize=10)
    return _save(fig, out)


def disagreement_window(a: np.ndarray, b: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` window with the largest mean |a - b| (integral image).

    >>> a = np.zeros((20, 20)); b = a.copy(); b[12:16, 3:7] = 1
    >>> disagreement_window(a, b, 4)
    (12, 3)
    """
    diff = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    integral = np.pad(diff.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y), int(x)


def fig_detail(ev: Any, scale: int, out: Path) -> Path | None:
    """Fig. 6 style: the two best models' largest disagreement, zoomed and boxed; None with fewer than two."""
    plt = _pyplot()
    from matplotlib.patches import Rectangle

    ranked = sorted((r for r in ev.results if r.scale == scale), key=lambda r: r.psnr, reverse=True)
    # Two learned models (GP vs NP) when there are two; otherwise the one model against bicubic.
    learned = [r for r in ranked if r.model != "Bicubic"]
    pair = learned[:2] if len(learned) >= 2 else ranked[:2]
    if len(pair) < 2:
        return None
    first, second = pair
    gaps = [abs(p["psnr"] - q["psnr"]) for p, q in zip(first.per_image, second.per_image, strict=True)]
    gaps = [g if np.isfinite(g) else -1.0 for g in gaps]
    ex = ev.examples[scale][int(np.argmax(gaps))]
    by_name = {b.name: b for b in ev.backends[scale]}
    sr_a, _ = super_resolve_tiled(by_name[first.model], ex.lr_y, tile=None)
    sr_b, _ = super_resolve_tiled(by_name[second.model], ex.lr_y, tile=None)
    crop = scale  # the protocol's border crop: never zoom on the border it ignores
    inner_a, inner_b = sr_a[crop:-crop, crop:-crop], sr_b[crop:-crop, crop:-crop]
    size = max(8, int(min(inner_a.shape) * ZOOM_FRACTION))
    y, x = disagreement_window(np.clip(inner_a, 0, 1), np.clip(inner_b, 0, 1), size)
    y, x = y + crop, x + crop
    window = (slice(y, y + size), slice(x, x + size))
    target = _target(ex)
    colour_a, colour_b = to_colour(sr_a, ex, scale), to_colour(sr_b, ex, scale)
    diff = np.abs(np.clip(sr_a, 0, 1) - np.clip(sr_b, 0, 1))[window]
    panels = [
        (f"{first.model} (full)", colour_a, True),
        ("Target", target[window], False),
        (first.model, colour_a[window], False),
        (second.model, colour_b[window], False),
        (f"|{first.model} - {second.model}| (max {diff.max() * 255:.0f} grey levels)", diff, False),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.8 * len(panels), 3.2))
    for ax, (title, image, boxed) in zip(axes, panels, strict=True):
        ax.imshow(image, interpolation="nearest", cmap="magma" if image.ndim == 2 else None)
        if boxed:
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), size, size, fill=False, edgecolor="yellow", linewidth=1.5))
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.suptitle(f"x{scale}, cell {ex.name}: largest disagreement between {first.model} and {second.model}", fontsize=9)
    return _save(fig, out)


def write_figures(ev: Any, out_dir: str | os.PathLike, scales: Sequence[int] | None = None) -> list[Path]:
    """Write every figure the evaluation supports; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    maps = fig_maps(ev, out / "fig3_maps.png")
    if maps is not None:
        written.append(maps)
    for s in scales or sorted(ev.backends):
        written.append(fig_models(ev, s, out / f"fig4_x{s}.png"))
        detail = fig_detail(ev, s, out / f"fig6_x{s}.png")
        if detail is not None:
            written.append(detail)
    return written
