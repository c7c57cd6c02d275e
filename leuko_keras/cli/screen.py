"""`leuko-keras screen`: find, super-resolve and measure every leukocyte of low-power fields (thin wrapper).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["screen", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors
from leuko_keras.runs.presets import SCREEN_DEFAULT

EXIT_SOME_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("screen")(screen)


@user_errors
def screen(
    inputs: Annotated[
        list[Path], typer.Argument(help="Low-power fields: image files and/or folders (TIFF pages too).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="New folder: cells.csv/json, cells/, detections, gallery, report.html.")
    ],
    model: Annotated[
        str,
        typer.Option("--model", "-m", help="A model with a parsing map: pretrained name, run folder, .keras/.tflite."),
    ] = SCREEN_DEFAULT,
    scale: Annotated[int | None, typer.Option("--scale", "-s", help="Checked against the model's own scale.")] = None,
    pixel_size: Annotated[
        float | None, typer.Option("--pixel-size", help="Micrometres per input pixel (default: the file's OME/ImageJ).")
    ] = None,
    min_area: Annotated[
        float | None, typer.Option("--min-area", help="Smallest nucleus counted, in input pixels (default by scale).")
    ] = None,
    margin: Annotated[
        int | None, typer.Option("--margin", help="Input pixels of context around each cell's crop (default: 1/4 box).")
    ] = None,
    detector: Annotated[
        str | None,
        typer.Option(
            "--detector", help="Model that finds the cells (default: --model), e.g. gp-lite-x8 for x4 fields."
        ),
    ] = None,
) -> None:
    """Screen low-power fields; exit 1 if a field failed, 2 on bad input.

    Example: leuko-keras screen fields/ --out screen/ --model gp-lite-x4 --pixel-size 0.4
    """
    from leuko_keras.predict.screen import screen as run_screen

    report = run_screen(inputs, out, model, scale, pixel_size, min_area, margin, detector)
    for _, message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    print(f"{len(report.fields)} fields, {report.cells} cells, {len(report.failed)} failed -> {out}")
    if report.failed:
        raise typer.Exit(EXIT_SOME_FAILED)
