"""`leuko-keras predict`: super-resolve your images (a thin wrapper over :mod:`leuko_keras.predict`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["predict", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors
from leuko_keras.runs.presets import DEFAULT_MODEL

EXIT_SOME_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("predict")(predict)


@user_errors
def predict(
    inputs: Annotated[list[Path], typer.Argument(help="Image files and/or folders (grey or RGB, 8 or 16 bit).")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output folder for NAME_sr, NAME_labels (0/1/2), NAME_map, NAME_overlay."),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="Pretrained name (leuko-keras models), run folder, MODEL.keras, MODEL.tflite, or bicubic (--scale). "
            "The default is trained for real optics (blurred, noisy, JPEG) and clean LR alike.",
        ),
    ] = DEFAULT_MODEL,
    tile: Annotated[
        int | None, typer.Option("--tile", help="LR tile side with halo (default: 512 HR px); lower saves memory.")
    ] = None,
    overlap: Annotated[
        int, typer.Option("--overlap", help="LR pixels by which tile cores overlap and are blended.")
    ] = 8,
    halo: Annotated[int, typer.Option("--halo", help="LR context pixels run around each tile and then dropped.")] = 16,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")] = True,
    scale: Annotated[
        int | None, typer.Option("--scale", "-s", help="Scale for bicubic; checked against a model's own.")
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option("--format", help="png, tif or ome-tif (pixel size / scale); default: the input's family."),
    ] = None,
    normalize: Annotated[
        str | None,
        typer.Option(
            "--normalize",
            help="bits=N (e.g. 12-bit data in 16-bit files), percentile=LOW,HIGH, or container; the output is mapped "
            "back. Default: the run's recorded rule, else container (the file type's full range).",
        ),
    ] = None,
) -> None:
    """Super-resolve your images (any size, tiled; TIFF stacks page by page); exit 1 if a file failed, 2 on bad input.

    Example: leuko-keras predict cells/ --model runs/gp_x4 --out sr/ --format ome-tif --normalize bits=12
    """
    from leuko_keras.core.atomic import clean_stale_temps
    from leuko_keras.core.outputs import check_output_dir
    from leuko_keras.data.normalize import from_config, parse_normalize
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.predict import load_backend, predict_paths
    from leuko_keras.predict.advice import trained_for

    check_output_dir(out, "--out")  # once, before the first file (not one failure per file)
    clean_stale_temps(out)  # half-written PNGs of a predict killed in this folder
    if (tile is not None and (tile < 8 or tile <= 2 * halo + overlap)) or overlap < 0 or halo < 0:
        raise LeukoInputError(
            f"--tile {tile} --halo {halo} --overlap {overlap}: need halo, overlap >= 0 and tile > 2 x halo + overlap"
        )
    rule = parse_normalize(normalize)
    backend = load_backend(model, scale=scale)
    if normalize is None:
        rule = from_config(getattr(backend, "config", None))
    options = {"tile": tile, "halo": halo, "overlap": overlap, "fmt": output_format, "normalize": rule}
    report = predict_paths(inputs, backend, out, progress=progress, **options)
    for hint in report.hints:
        print(f"hint: {hint}", file=sys.stderr)
    for _, message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    # The model and what it assumes, so a user sees which images it was made for.
    print(
        f"{backend.name} x{backend.scale} (trained for {trained_for(backend)}): "
        f"{report.ok} done, {len(report.failed)} failed -> {out}"
    )
    if report.failed:
        raise typer.Exit(EXIT_SOME_FAILED)
