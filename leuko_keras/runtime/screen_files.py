"""The files of a screen, written into a folder that appears whole (``core.atomic.atomic_dir``).

``DIR/cells.csv``, ``DIR/cells.json`` (rows, the run, the failures and the list of files written: the
manifest that lets a later screen replace this folder), ``DIR/cells/FIELD_CELL_{lr,sr,labels,overlay}.png``,
``DIR/FIELD_detections.png``, ``DIR/gallery.png``, ``DIR/report.html``. A folder holding anything a
screen did not write is refused before any work (``core.outputs.check_output_folder``), as is one that
is, holds or lies inside an input.

>>> report = screen_paths(TFLiteModel("model.tflite"), ["fields/"], "screen/", ScreenOptions())  # doctest: +SKIP
>>> report.cells, report.failed  # doctest: +SKIP
(12, [])
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from leuko_keras.core.atomic import atomic_dir, write_json_atomic, write_text_atomic
from leuko_keras.core.outputs import check_output_folder, foreign_file
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import read_images, write_image
from leuko_keras.runtime.inputs import collect_images
from leuko_keras.runtime.maps import overlay
from leuko_keras.runtime.screen import COLUMNS, ScreenedCell, ScreenOptions, ScreenReport, screen_image
from leuko_keras.runtime.screen_pictures import caption, contact_sheet, detections_picture, report_html, thumbnail
from leuko_keras.runtime.tiling import Tiled

MANIFEST = "cells.json"
CELL_KINDS = ("lr", "sr", "labels", "overlay")


def screen_owned(folder: Path) -> str | None:
    """None when ``folder`` holds only what an earlier screen wrote (its ``cells.json`` lists it), else a
    file it did not write."""
    manifest = folder / MANIFEST
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return foreign_file(folder, ()) if folder.is_dir() else "no cells.json"
    return foreign_file(folder, [MANIFEST, *map(str, files)])


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """``cells.csv``: the header always (an empty screen is a valid table), None as an empty cell.

    >>> csv_text([]).splitlines()[0].split(",")[:3]
    ['field', 'cell', 'x0']
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in COLUMNS})
    return buffer.getvalue()


def write_cell(folder: Path, cell: ScreenedCell, bit_depth: int) -> list[str]:
    """The four pictures of one cell under ``folder/cells/``; returns their paths relative to ``folder``."""
    stem = f"cells/{cell.row['field']}_{cell.row['cell']:03d}"
    pictures = {
        "lr": (cell.lr, bit_depth),
        "sr": (cell.sr, bit_depth),
        # Label values as grey levels 0, 1, 2 (napari Labels, CellProfiler), as predict writes them.
        "labels": (cell.labels.astype(np.float64) / 255.0, 8),
        "overlay": (overlay(cell.sr, cell.labels), 8),
    }
    names = []
    for kind in CELL_KINDS:
        pixels, depth = pictures[kind]
        write_image(folder / f"{stem}_{kind}.png", pixels, bit_depth=depth)
        names.append(f"{stem}_{kind}.png")
    return names


def screen_paths(
    backend: Tiled,
    inputs: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    options: ScreenOptions | None = None,
    run_info: dict[str, Any] | None = None,
    stream: TextIO | None = None,
) -> ScreenReport:
    """Screen every input (files or folders, every TIFF page) into ``out_dir`` (see the module docstring); a
    failing field is reported (one line on ``stream``) and skipped. ``run_info`` (model, scale, protocol) goes
    into ``cells.json``. ``stream`` None: stderr as it is at the call (a test runner swaps it)."""
    out_dir, options, run_info = Path(out_dir), options or ScreenOptions(), run_info or {}
    stream = stream or sys.stderr
    files = collect_images(inputs, exclude=out_dir)
    check_output_folder(out_dir, "--out", owned=screen_owned, inputs=list(inputs), what="an earlier screen")
    report = ScreenReport()
    thumbs: list[tuple[np.ndarray, np.ndarray, str]] = []
    with atomic_dir(out_dir) as tmp:
        for index, path in enumerate(files, 1):
            status = _screen_file(backend, path, tmp, options, report, thumbs)
            print(f"screen {index}/{len(files)} {path.name}: {status}", file=stream, flush=True)
        _write_summary(tmp, report, thumbs, run_info)
    return report


def _screen_file(
    backend: Tiled,
    path: Path,
    folder: Path,
    options: ScreenOptions,
    report: ScreenReport,
    thumbs: list[tuple[np.ndarray, np.ndarray, str]],
) -> str:
    found = 0
    try:
        for name, image in read_images(path):
            cells = screen_image(backend, image, name, options)
            for cell in cells:
                report.files += write_cell(folder, cell, image.bit_depth)
                thumbs.append((*thumbnail(cell.lr, cell.sr), caption(cell.row)))
            rows = [cell.row for cell in cells]
            picture = f"{name}_detections.png"
            write_image(folder / picture, detections_picture(image.pixels, rows) / 255.0)
            report.files.append(picture)
            report.rows += rows
            report.fields[name] = len(rows)
            found += len(rows)
    except LeukoInputError as error:
        report.failed.append((str(path), " ".join(str(error).split())))
        return "failed: " + report.failed[-1][1]
    except Exception as error:  # one bad field (or a runtime error on it) must not cost the user the others
        report.failed.append((str(path), f"{path}: {type(error).__name__}: {error}".splitlines()[0]))
        return "failed: " + report.failed[-1][1]
    return f"{found} cells"


def _write_summary(
    folder: Path, report: ScreenReport, thumbs: list[tuple[np.ndarray, np.ndarray, str]], run_info: dict[str, Any]
) -> None:
    write_image(folder / "gallery.png", contact_sheet(thumbs) / 255.0)
    write_text_atomic(folder / "cells.csv", csv_text(report.rows))
    write_text_atomic(folder / "report.html", report_html(run_info, report.fields, report.failed, report.rows))
    report.files += ["gallery.png", "cells.csv", "report.html"]
    payload = {
        **run_info,
        "columns": list(COLUMNS),
        "fields": report.fields,
        "failed": [{"input": source, "error": message} for source, message in report.failed],
        "cells": report.rows,
        "files": report.files,
    }
    write_json_atomic(folder / "cells.json", payload)
