"""`leuko-keras evaluate`: score models against bicubic (a thin wrapper over :mod:`leuko_keras.evaluation`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["evaluate", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("evaluate")(evaluate)


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
    from leuko_keras.evaluation.evaluate import check_report_outputs

    # Before the (long) evaluation: a bad output path must not cost the user the run, nor land in the inputs.
    check_report_outputs(json_out, markdown, figures, pairs or data, model)
    record = None
    if pairs is not None:
        from leuko_keras.data.pairs import read_scale
        from leuko_keras.errors import LeukoInputError

        if data is not None or degradation or degradation_setting:
            raise LeukoInputError("--pairs holds its own LR images; drop --data and --degradation")
        data, scale = pairs, scale or [read_scale(pairs)]
    elif degradation or degradation_setting:
        from leuko_keras.data.degradations import record_from_settings

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
