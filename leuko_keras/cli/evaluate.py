"""`leuko-keras evaluate`, `predict` and `demo` (thin wrappers over the library)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors

EXIT_SOME_FAILED = 1


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("evaluate")(evaluate)
    app.command("predict")(predict)
    app.command("demo")(demo)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


@user_errors
def evaluate(
    model: Annotated[
        list[str],
        typer.Option(
            "--model",
            "-m",
            help="bicubic, a pretrained name, a run folder, MODEL.keras or MODEL.tflite; LABEL=PATH names it. Repeat.",
        ),
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Image folder or .h5 (parsing maps optional); default: the embedded synthetic set."
        ),
    ] = None,
    scale: Annotated[
        list[int] | None, typer.Option("--scale", "-s", help="Scale(s) to evaluate; default: the models' own.")
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option("--pairs", help="Folder of real pairs (lr/ + hr/): score the real LR, no re-degradation."),
    ] = None,
    degradation: Annotated[
        str | None, typer.Option("--degradation", help="Make the LR by bicubic (default), microscope or phone.")
    ] = None,
    degradation_setting: Annotated[
        list[str] | None,
        typer.Option("--degradation-setting", help="KEY=VALUE or KEY=LOW:HIGH (per image), e.g. na=0.3."),
    ] = None,
    split: Annotated[str, typer.Option("--split", help="train, val, test or all.")] = "test",
    normalize: Annotated[
        str | None, typer.Option("--normalize", help="bits=N or percentile=LOW,HIGH; default: the runs' recorded rule.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write results (with per-image scores) as JSON.")
    ] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write the tables as Markdown.")] = None,
    figures: Annotated[
        Path | None, typer.Option("--figures", help="Write Fig. 3-6 style PNG figures to this folder.")
    ] = None,
    synthetic_count: Annotated[
        int, typer.Option("--synthetic-count", help="Size of the synthetic set when no --data.")
    ] = 48,
) -> None:
    """Score models against bicubic: PSNR/SSIM on Y, map Dice, paired bootstrap CIs (the paper's Tables 1-2).

    Example: leuko-keras evaluate --data ../shared/data/wbc/cellavision -m bicubic -m runs/np_x4 -m runs/gp_x4 -s 4
    Real pairs (DIR/lr + DIR/hr, scale from the sizes): leuko-keras evaluate --pairs DIR -m bicubic -m gp-lite-x4
    """
    from leuko_keras.evaluation import evaluate as run_evaluation
    from leuko_keras.evaluation import render, write_figures, write_json, write_markdown
    from leuko_keras.outputs import check_output_dir, check_output_file

    # Before the (long) evaluation: a bad output path must not cost the user the run.
    for flag, path in (("--json", json_out), ("--markdown", markdown)):
        if path is not None:
            check_output_file(path, flag)
    if figures is not None:
        check_output_dir(figures, "--figures")
    record = None
    if pairs is not None:
        from leuko_keras.errors import LeukoInputError
        from leuko_keras.pairs import read_scale

        if data is not None or degradation or degradation_setting:
            raise LeukoInputError("--pairs holds its own LR images; drop --data and --degradation")
        data, scale = pairs, scale or [read_scale(pairs)]
    elif degradation or degradation_setting:
        from leuko_keras.degradations import record_from_settings

        record = record_from_settings(degradation or "bicubic", degradation_setting)
    ev = run_evaluation(
        model, scale or None, data=data, split=split, synthetic_count=synthetic_count, log=_log, degradation=record,
        normalize=normalize,
    )  # fmt: skip
    text = render(ev.results, ev.comparisons, ev.protocol)
    print(text)
    if markdown:
        print(f"wrote {write_markdown(markdown, text)}")
    if json_out:
        print(f"wrote {write_json(json_out, ev.results, ev.comparisons, ev.protocol)}")
    if figures:
        for path in write_figures(ev, figures):
            print(f"wrote {path}")


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
            help="Pretrained name (leuko-keras models), run folder, MODEL.keras, MODEL.tflite, or bicubic (--scale).",
        ),
    ] = "gp-lite-x4",
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
    from leuko_keras.atomic import clean_stale_temps
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.normalize import from_config, parse_normalize
    from leuko_keras.outputs import check_output_dir
    from leuko_keras.predict import load_backend, predict_paths

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
    for _, message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    print(f"{backend.name} x{backend.scale}: {report.ok} done, {len(report.failed)} failed -> {out}")
    if report.failed:
        raise typer.Exit(EXIT_SOME_FAILED)


@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for data, runs, export, predictions.")] = Path(
        "leuko_demo"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="Tiny sizes and steps (seconds, for tests; numbers meaningless).")
    ] = False,
) -> None:
    """The main job end to end: synthesise cells, train GP and NP, evaluate vs bicubic, export TFLite, predict, figures.

    Example: leuko-keras demo --out leuko_demo
    """
    from leuko_keras.demo import run_demo

    result = run_demo(out, quick=quick, log=_log)
    print(result.summary())
