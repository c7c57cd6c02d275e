"""`leuko-keras` commands: fit (a thin wrapper over :func:`leuko_keras.training.fit`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["fit", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors

EXIT_DIVERGED = 1


@user_errors
def fit(
    run_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Run folder, as --out (reads well with --resume: fit --resume RUN_DIR).", show_default=False
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run folder (created; see --resume / --overwrite).")] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data", help="Data folder (repeat to train on several, each split on its own); default: synthetic."
        ),
    ] = None,
    h5: Annotated[
        Path | None, typer.Option("--h5", help="Packed .h5 file (leuko-keras pack) instead of --data.")
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            "--pairs", help="Folder of real pairs, lr/ + hr/ with matching names (scale read from the sizes)."
        ),
    ] = None,
    degradation: Annotated[
        str | None,
        typer.Option(
            "--degradation", help="How LR images are made from HR: bicubic (default, the paper's), microscope, phone."
        ),
    ] = None,
    degradation_setting: Annotated[
        list[str] | None,
        typer.Option(
            "--degradation-setting", help="KEY=VALUE or KEY=LOW:HIGH (drawn per training crop), e.g. na=0.25:0.6."
        ),
    ] = None,
    degradation_range: Annotated[
        bool,
        typer.Option(
            "--degradation-range",
            help="Draw every unset degradation parameter per training crop (validation: per image) from its default "
            "range.",
        ),
    ] = False,
    normalize: Annotated[
        str | None,
        typer.Option(
            "--normalize", help="Input rule bits=N (N-bit data in 16-bit files) or percentile=LOW,HIGH; recorded."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Registered model name (leuko-keras models) (default gp); lite models bring their recipe."
        ),
    ] = None,
    scale: Annotated[int | None, typer.Option("--scale", help="Upscaling factor 2, 3, 4 or 8 (default 4).")] = None,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            help="Start from these weights (run folder, .keras file or pretrained name such as gp-lite-x4) to "
            "fine-tune; --model, --scale and settings default to its own, and --setting changes them (a layer "
            "whose width changes starts untrained).",
        ),
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Epochs (default 100).")] = None,
    steps_per_epoch: Annotated[
        int | None, typer.Option("--steps-per-epoch", help="Batches per epoch (default one pass).")
    ] = None,
    size: Annotated[int | None, typer.Option("--size", help="Training HR size in pixels (default 224).")] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Global batch, split over replicas (default 8).")
    ] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Adam learning rate (beta1 0.9) (default 1e-4).")] = None,
    lambda_map: Annotated[
        float | None, typer.Option("--lambda", help="Weight of the parsing-map loss (default 1).")
    ] = None,
    prior_steps: Annotated[
        int | None,
        typer.Option(
            "--prior-steps",
            help="First train the parsing-map prior alone for this many steps (cheap; counted in --time-budget).",
        ),
    ] = None,
    lr_decay: Annotated[bool, typer.Option("--lr-decay", help="Halve the learning rate every 10 epochs.")] = False,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule", help="Learning rate: constant (paper), step (= --lr-decay) or cosine (lite recipe)."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (same seed on CPU, same weights) (default 0).")
    ] = None,
    synthetic_count: Annotated[
        int | None, typer.Option("--synthetic-count", help="Synthetic cells if no --data (default 48).")
    ] = None,
    time_budget: Annotated[
        float | None, typer.Option("--time-budget", help="Stop cleanly after this many minutes.")
    ] = None,
    devices: Annotated[
        str | None, typer.Option("--devices", help="auto, cpu, cpu:N, gpu, gpu:0,1 or a GPU count.")
    ] = None,
    precision: Annotated[
        str | None, typer.Option("--precision", help="fp32, bf16, fp16 or auto (default fp32).")
    ] = None,
    setting: Annotated[
        list[str] | None, typer.Option("--setting", help="Model setting KEY=VALUE (repeatable).")
    ] = None,
    xla: Annotated[
        bool,
        typer.Option(
            "--xla", help="XLA-compile the train step (GP about 1.3x faster on a 2-core CPU; slow first step)."
        ),
    ] = False,
    no_augment: Annotated[bool, typer.Option("--no-augment", help="No flips/rotations of training crops.")] = False,
    no_tensorboard: Annotated[bool, typer.Option("--no-tensorboard", help="Do not write TensorBoard logs.")] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in --out (or RUN_DIR) from its last completed epoch. Only --epochs, --time-budget, "
            "--devices, --quiet and --no-tensorboard may change; any other flag must match the run's config.json "
            "(else refused).",
        ),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (ETA lines and the table stay).")] = False,
) -> None:
    """Train a model (paper defaults) into a self-describing run folder; best model on validation PSNR.

    Example: leuko-keras fit --data cells/ --model gp --scale 4 --out runs/gp_x4
    Example: leuko-keras fit --resume runs/gp_x4   (or: --out runs/gp_x4 --resume)
    """
    flags = dict(locals())  # every option as given: the library merges them with the recipe or the stored run
    from leuko_keras.training import fit as run_fit
    from leuko_keras.training.flags import config_from_flags

    result = run_fit(config_from_flags(**flags))
    if result.status == "diverged":
        print(f"error: {result.message}", file=sys.stderr)
        raise typer.Exit(EXIT_DIVERGED)


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("fit")(fit)
