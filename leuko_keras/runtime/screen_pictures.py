"""Pictures of a screen: the field with numbered boxes, the gallery (LR beside SR per cell), report.html.

Pillow only (a runtime dependency), so the device runner draws the same pictures.

>>> sheet = contact_sheet([(*thumbnail(np.zeros((8, 8, 3)), np.ones((32, 32, 3))), "a #1")])
>>> sheet.dtype, sheet.shape[2]
(dtype('uint8'), 3)
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

THUMB = 128  # gallery side of each picture (LR upscaled nearest, SR resized)
CAPTION = 30  # caption rows under each pair
COLUMNS = 4  # pairs per gallery row
GALLERY_LIMIT = 400  # cells shown in the gallery (cells.csv holds them all)
BOX_COLOUR = (255, 230, 0)  # yellow shows on pink red cells and on purple nuclei alike
CUT_COLOUR = (255, 120, 0)  # a cell cut by the border
PICTURE_LIMIT = 4096  # longest side of a detections picture


def to_uint8_rgb(pixels: np.ndarray) -> np.ndarray:
    """Floats in [0, 1], grey or RGB, as uint8 RGB.

    >>> to_uint8_rgb(np.ones((1, 1))).tolist()
    [[[255, 255, 255]]]
    """
    pixels = np.clip(np.asarray(pixels, dtype=np.float64), 0, 1)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    return np.rint(pixels * 255).astype(np.uint8)


def detections_picture(pixels: np.ndarray, rows: Sequence[dict]) -> np.ndarray:
    """The field (uint8 RGB) with each cell's box and number (orange when cut by the border).

    A field longer than :data:`PICTURE_LIMIT` pixels is drawn subsampled to fit (the boxes with it): the
    picture is for finding cells by eye, and a full-size copy of a huge field would cost GBs.

    >>> detections_picture(np.zeros((9000, 10, 3)), []).shape
    (3000, 4, 3)
    """
    step = -(-max(pixels.shape[:2]) // PICTURE_LIMIT)
    image = Image.fromarray(to_uint8_rgb(pixels[::step, ::step]))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    width = max(1, round(min(image.size) / 300))
    for row in rows:
        colour = CUT_COLOUR if row["touches_border"] else BOX_COLOUR
        x0, y0, x1, y1 = (row[k] / step for k in ("x0", "y0", "x1", "y1"))
        draw.rectangle((x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)), outline=colour, width=width)
        draw.text((x0 + 2, y0 + 1), str(row["cell"]), fill=colour, font=font)
    return np.asarray(image)


def caption(row: dict) -> str:
    """Two short lines: the cell and its main measures.

    >>> caption({"field": "f", "cell": 2, "nc_ratio": 0.5, "nucleus_lobes": 3, "nucleus_solidity": 0.8,
    ...          "touches_border": False})
    'f #2\\nN:C 0.50  lobes 3  sol 0.80'
    """
    nc = "-" if row["nc_ratio"] is None else f"{row['nc_ratio']:.2f}"
    solidity = "-" if row["nucleus_solidity"] is None else f"{row['nucleus_solidity']:.2f}"
    cut = "  cut" if row["touches_border"] else ""
    return f"{row['field']} #{row['cell']}\nN:C {nc}  lobes {row['nucleus_lobes']}  sol {solidity}{cut}"


def thumbnail(lr: np.ndarray, sr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LR crop (nearest, to show its real pixels) and the SR crop, each fitted in THUMB x THUMB."""
    sr_img = Image.fromarray(to_uint8_rgb(sr))
    ratio = THUMB / max(sr_img.size)
    size = (max(1, round(sr_img.size[0] * ratio)), max(1, round(sr_img.size[1] * ratio)))
    lr_img = Image.fromarray(to_uint8_rgb(lr)).resize(size, Image.NEAREST)
    return np.asarray(lr_img), np.asarray(sr_img.resize(size, Image.LANCZOS))


def contact_sheet(cells: Sequence[tuple[np.ndarray, np.ndarray, str]]) -> np.ndarray:
    """Gallery: for each (LR thumb, SR thumb, caption) from :func:`thumbnail`, LR beside SR, caption below."""
    shown = list(cells)[:GALLERY_LIMIT]
    cell_w, cell_h = 2 * THUMB + 12, THUMB + CAPTION + 8
    n_rows = max(1, -(-len(shown) // COLUMNS))
    sheet = Image.new("RGB", (COLUMNS * cell_w, n_rows * cell_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    if not shown:
        draw.text((8, 8), "no leukocyte found", fill=(0, 0, 0), font=font)
    for i, (lr, sr, text) in enumerate(shown):
        x, y = (i % COLUMNS) * cell_w + 4, (i // COLUMNS) * cell_h + 4
        sheet.paste(Image.fromarray(lr), (x, y))
        sheet.paste(Image.fromarray(sr), (x + THUMB + 4, y))
        draw.multiline_text((x, y + THUMB + 2), text, fill=(0, 0, 0), font=font)
    return np.asarray(sheet)


def report_html(run_info: dict, fields: dict[str, int], failed: Sequence[tuple[str, str]], rows: Sequence[dict]) -> str:
    """One page: the run, each field's detections picture, the gallery, the cells table, the failures.

    >>> "<table>" in report_html({"model": "m"}, {"f": 0}, [], [])
    True
    """
    esc = html.escape
    parts = [
        "<!doctype html><meta charset='utf-8'><title>leuko-keras screen</title>",
        "<style>body{font-family:sans-serif}td,th{padding:2px 6px;text-align:right}img{max-width:100%}</style>",
        "<h1>Leukocyte screen</h1>",
        "<p>" + esc(", ".join(f"{k}: {v}" for k, v in run_info.items() if k != "files")) + "</p>",
        f"<p>{len(fields)} fields, {len(rows)} cells, {len(failed)} failed. "
        "<a href='cells.csv'>cells.csv</a> <a href='cells.json'>cells.json</a></p>",
    ]
    if failed:
        parts.append("<h2>Failed</h2><ul>" + "".join(f"<li>{esc(m)}</li>" for _, m in failed) + "</ul>")
    parts.append("<h2>Gallery</h2><img src='gallery.png' alt='gallery'>")
    for name, count in fields.items():
        parts.append(f"<h2>{esc(name)}: {count} cells</h2><img src='{esc(name)}_detections.png' alt='{esc(name)}'>")
    keys = list(rows[0]) if rows else ["field", "cell"]
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc('' if r[k] is None else str(r[k]))}</td>" for k in keys) + "</tr>" for r in rows
    )
    parts.append(f"<h2>Cells</h2><table><tr>{head}</tr>{body}</table>")
    return "\n".join(parts) + "\n"
