"""Tables like the paper's: Table 2 (PSNR/SSIM per model and scale) and Table 1 (paired gains).

Best value of each column in **bold**, second in *italics*; the protocol
paragraph is printed under every table. Columns are padded, so the same
text reads well in a terminal and renders as Markdown.

>>> from leuko_keras.evaluation.results import ModelResult
>>> rows = [ModelResult("Bicubic", 4, 30.0, 0.80, 2, []), ModelResult("NP", 4, 31.0, 0.85, 2, []),
...         ModelResult("GP", 4, 31.5, 0.84, 2, [])]
>>> print(results_table(rows).splitlines()[4])
| GP      | **31.50**    | *0.8400*   |
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leuko_keras.core.atomic import write_json_atomic, write_text_atomic
from leuko_keras.evaluation.results import Comparison, ModelResult
from leuko_keras.protocol.metrics import CLASS_NAMES, PROTOCOL, PROTOCOL_TEXT
from leuko_keras.protocol.morphometry import AGREEMENT_TEXT

KIND_TEXT = {"over_bicubic": "over bicubic", "over_next": "over next-ranked", "pair": "paper's Table 1 pair"}


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _ranks(values: list[float | None]) -> list[int | None]:
    # Rank 0 = best, 1 = second; ties share a rank; missing or non-finite values are not ranked.
    distinct = sorted({v for v in values if v is not None and math.isfinite(v)}, reverse=True)
    return [distinct.index(v) if v is not None and v in distinct else None for v in values]


def _mark(text: str, rank: int | None) -> str:
    return f"**{text}**" if rank == 0 else f"*{text}*" if rank == 1 else text


def results_table(results: Sequence[ModelResult]) -> str:
    """Table 2 analog: one row per model, PSNR and SSIM columns per scale."""
    scales = sorted({r.scale for r in results})
    models = list(dict.fromkeys(r.model for r in results))
    by_key = {(r.model, r.scale): r for r in results}
    header = ["Model"] + [f"x{s} {m}" for s in scales for m in ("PSNR (dB)", "SSIM")]
    cells: list[list[str]] = [[m] for m in models]
    for s in scales:
        for metric, fmt in (("psnr", "{:.2f}"), ("ssim", "{:.4f}")):
            values = [getattr(by_key[(m, s)], metric) if (m, s) in by_key else None for m in models]
            for row, value, rank in zip(cells, values, _ranks(values), strict=True):
                row.append("-" if value is None else _mark(fmt.format(value), rank))
    return _grid(header, cells)


def gains_table(comparisons: Sequence[Comparison]) -> str:
    """Table 1 analog: paired PSNR gains with bootstrap 95 % intervals."""
    header = ["Scale", "Model", "Compared with", "Gain (dB) [95% CI]", "Images", "Why listed"]
    rows = [
        [f"x{c.scale}", c.model, c.reference, c.ci.text(), str(c.ci.n), KIND_TEXT.get(c.kind, c.kind)]
        for c in comparisons
    ]
    return _grid(header, rows)


def dice_table(results: Sequence[ModelResult]) -> str | None:
    """Parsing-map Dice per class for models with a map head, or None if none has maps."""
    with_maps = [r for r in results if r.dice]
    if not with_maps:
        return None
    header = ["Model", "Scale", *(f"Dice {name}" for name in CLASS_NAMES)]
    rows = [[r.model, f"x{r.scale}", *(f"{r.dice[n]:.3f}" for n in CLASS_NAMES)] for r in with_maps]
    return _grid(header, rows)


def morphology_table(results: Sequence[ModelResult]) -> str | None:
    """Agreement of the cell measures (N:C MAE, nucleus area error %, lobe agreement), or None without maps.

    >>> r = ModelResult("GP", 4, 30.0, 0.9, 2, [], morphology={"nc_mae": 0.04, "nucleus_area_err_pct": 6.0,
    ...                 "lobe_agreement": 0.85, "n_images": 2})
    >>> morphology_table([r]).splitlines()[2]
    '| GP    | x4    | 0.040   | 6.0                  | 85%             | 2      |'
    """
    with_morph = [r for r in results if r.morphology]
    if not with_morph:
        return None

    def fmt(value: float | None, text: str) -> str:
        return "-" if value is None else text.format(value)

    header = ["Model", "Scale", "N:C MAE", "Nucleus area err (%)", "Lobes agree (%)", "Images"]
    rows = [
        [
            r.model,
            f"x{r.scale}",
            fmt(r.morphology["nc_mae"], "{:.3f}"),
            fmt(r.morphology["nucleus_area_err_pct"], "{:.1f}"),
            fmt(r.morphology["lobe_agreement"], "{:.0%}"),
            str(r.morphology["n_images"]),
        ]
        for r in with_morph
    ]
    return _grid(header, rows)


def render(
    results: Sequence[ModelResult],
    comparisons: Sequence[Comparison],
    protocol: dict[str, Any] | None = None,
    title: str = "Super-resolution on Y",
) -> str:
    """The full report: results table, gains table, Dice table, then the protocol paragraph."""
    n_images = sorted({r.n_images for r in results})
    parts = [f"### {title}", "", results_table(results), ""]
    if comparisons:
        parts += ["Paired PSNR gains, bootstrap over images (10 000 resamples):", "", gains_table(comparisons), ""]
    dice = dice_table(results)
    if dice:
        parts += ["Parsing-map Dice (argmax of the predicted map vs the expert map, HR size):", "", dice, ""]
    morphology = morphology_table(results)
    if morphology:
        parts += [AGREEMENT_TEXT, "", morphology, ""]
    where = ""
    if protocol and "data" in protocol:
        where = (
            f" Data: {protocol['data']}, split {protocol.get('split', '?')!r}, {'/'.join(map(str, n_images))} images."
        )
    if protocol and protocol.get("degradation", PROTOCOL["degradation"]) != PROTOCOL["degradation"]:
        where += f" LR here, instead of the bicubic LR above: {protocol['degradation']}."
    if protocol and protocol.get("normalize"):
        where += f" Input normalised by {protocol['normalize']}."
    parts.append(PROTOCOL_TEXT + " Best in bold, second in italics." + where)
    return "\n".join(parts) + "\n"


def write_markdown(path: str | os.PathLike, text: str) -> Path:
    """Write a rendered report atomically."""
    return write_text_atomic(path, text)


def write_json(
    path: str | os.PathLike,
    results: Sequence[ModelResult],
    comparisons: Sequence[Comparison],
    protocol: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``{"protocol", "results": [{"model", "scale", "psnr", "ssim", "n_images", "per_image", ...}],
    "comparisons"}`` atomically."""
    payload = {
        "protocol": protocol,
        "results": [r.as_dict() for r in results],
        "comparisons": [c.as_dict() for c in comparisons],
        **(extra or {}),
    }
    return write_json_atomic(path, payload)
