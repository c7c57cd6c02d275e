"""`leuko-keras` commands: fit (a thin wrapper over :func:`leuko_keras.training.fit`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["fit", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from leuko_keras.cli.common import user_errors
from leuko_keras.errors import LeukoInputError

EXIT_DIVERGED = 1


def _settings(pairs: list[str] | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise LeukoInputError(f"--setting {pair!r}: write KEY=VALUE, e.g. --setting decoder_blocks=3")
        try:
            settings[key.strip()] = int(value)
        except ValueError:
            try:
                settings[key.strip()] = float(value)
            except ValueError:
                settings[key.strip()] = {"true": True, "false": False}.get(value.lower(), value)
    return settings


def _normalize_spec(text: str | None) -> str | None:
    # The canonical spec (or None for the container default), so a resume compares like with like.
    from leuko_keras.normalize import parse_normalize

    rule = parse_normalize(text)
    return None if text is None or rule.kind == "container" else rule.spec


@user_errors
def fit(
    out: Path = typer.Option(..., "--out", help="Run folder (created; see --resume / --overwrite)."),  # noqa: B008 - typer idiom
    data: list[Path] | None = typer.Option(  # noqa: B008 - typer idiom
        None, "--data", help="Data folder (repeat to train on several, each split on its own); default: synthetic."
    ),
    h5: Path | None = typer.Option(None, "--h5", help="Packed .h5 file (leuko-keras pack) instead of --data."),  # noqa: B008 - typer idiom
    pairs: Path | None = typer.Option(  # noqa: B008 - typer idiom
        None, "--pairs", help="Folder of real pairs, lr/ + hr/ with matching names (scale read from the sizes)."
    ),
    degradation: str | None = typer.Option(
        None, "--degradation", help="How LR images are made from HR: bicubic (default, the paper's), microscope, phone."
    ),
    degradation_setting: list[str] | None = typer.Option(  # noqa: B008 - typer idiom
        None, "--degradation-setting", help="KEY=VALUE or KEY=LOW:HIGH (drawn per training crop), e.g. na=0.25:0.6."
    ),
    degradation_range: bool = typer.Option(
        False,
        "--degradation-range",
        help="Draw every unset degradation parameter per training crop (validation: per image) from its default range.",
    ),
    normalize: str | None = typer.Option(
        None, "--normalize", help="Input rule bits=N (N-bit data in 16-bit files) or percentile=LOW,HIGH; recorded."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Registered model name (leuko-keras models) (default gp); lite models bring their recipe."
    ),
    scale: int | None = typer.Option(None, "--scale", help="Upscaling factor 2, 3, 4 or 8 (default 4)."),
    init: str | None = typer.Option(
        None,
        "--init",
        help="Start from these weights (run folder, .keras file or pretrained name such as gp-lite-x4) to "
        "fine-tune; --model, --scale and --setting default to its own.",
    ),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs (default 100)."),
    steps_per_epoch: int | None = typer.Option(None, "--steps-per-epoch", help="Batches per epoch (default one pass)."),
    size: int | None = typer.Option(None, "--size", help="Training HR size in pixels (default 224)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Global batch, split over replicas (default 8)."),
    lr: float | None = typer.Option(None, "--lr", help="Adam learning rate (beta1 0.9) (default 1e-4)."),
    lambda_map: float | None = typer.Option(None, "--lambda", help="Weight of the parsing-map loss (default 1)."),
    lr_decay: bool = typer.Option(False, "--lr-decay", help="Halve the learning rate every 10 epochs."),
    schedule: str | None = typer.Option(
        None, "--schedule", help="Learning rate: constant (paper), step (= --lr-decay) or cosine (lite recipe)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed on CPU, same weights) (default 0)."),
    synthetic_count: int | None = typer.Option(
        None, "--synthetic-count", help="Synthetic cells if no --data (default 48)."
    ),
    time_budget: float | None = typer.Option(None, "--time-budget", help="Stop cleanly after this many minutes."),
    devices: str | None = typer.Option(None, "--devices", help="auto, cpu, cpu:N, gpu, gpu:0,1 or a GPU count."),
    precision: str | None = typer.Option(None, "--precision", help="fp32, bf16, fp16 or auto (default fp32)."),
    setting: list[str] | None = typer.Option(None, "--setting", help="Model setting KEY=VALUE (repeatable)."),  # noqa: B008 - typer idiom
    xla: bool = typer.Option(
        False, "--xla", help="XLA-compile the train step (GP about 1.3x faster on a 2-core CPU; slow first step)."
    ),
    no_augment: bool = typer.Option(False, "--no-augment", help="No flips/rotations of training crops."),
    no_tensorboard: bool = typer.Option(False, "--no-tensorboard", help="Do not write TensorBoard logs."),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue the run in --out from its last completed epoch. Only --epochs, --time-budget, --devices, "
        "--quiet and --no-tensorboard may change; any other flag must match the run's config.json (else refused).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run already in --out."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar (ETA lines and the table stay)."),
) -> None:
    """Train a model (paper defaults) into a self-describing run folder; best model on validation PSNR."""
    from leuko_keras.training import FitConfig, resume_config
    from leuko_keras.training import fit as run_fit

    verbose = 0 if quiet else None
    folders = [str(path) for path in data or []]
    if pairs and scale is None and not resume:
        from leuko_keras.pairs import read_scale

        scale = read_scale(pairs)  # the pairs say their scale; --scale only to check it
    record = None
    if degradation or degradation_setting or degradation_range:
        from leuko_keras.degradations import record_from_settings

        record = record_from_settings(degradation or "bicubic", degradation_setting, degradation_range)
    given = {
        "data": folders[0] if len(folders) == 1 else (folders or None),
        "h5": str(h5) if h5 else None,
        "pairs": str(pairs) if pairs else None,
        "degradation": record,
        "normalize": _normalize_spec(normalize),
        "model": model,
        "scale": scale,
        "epochs": epochs,
        "steps_per_epoch": steps_per_epoch,
        "size": size,
        "batch_size": batch_size,
        "learning_rate": lr,
        "lambda_map": lambda_map,
        "seed": seed,
        "synthetic_count": synthetic_count,
        "time_budget_minutes": time_budget,
        "devices": devices,
        "precision": precision,
        "schedule": schedule,
        "verbose": verbose,
    }
    if resume:
        # Every flag given is passed on: those that may not change must match the stored run.
        if overwrite:
            raise LeukoInputError("--resume and --overwrite both given; pass one of them")
        switches = {"lr_decay": lr_decay, "xla": xla, "augment": not no_augment}
        given.update({k: v for k, v in switches.items() if v != (k == "augment")})
        given["model_settings"] = _settings(setting) if setting else None
        given["init"] = init
        config = resume_config(out, **given)
        if no_tensorboard:
            config = config.replace(tensorboard=False)
    else:
        inherited = {}
        if init:
            from leuko_keras.training.warmstart import init_defaults

            inherited = init_defaults(init)
            model = model or inherited.get("model")
            given["scale"] = given["scale"] or inherited.get("scale")
        config = FitConfig.for_model(
            model or "gp",
            out=str(out),
            lr_decay=lr_decay,
            xla=xla,
            augment=not no_augment,
            tensorboard=not no_tensorboard,
            overwrite=overwrite,
            model_settings=_settings(setting) if setting else inherited.get("model_settings", {}),
            init=init,
            **{k: v for k, v in given.items() if k != "model"},
        )
    result = run_fit(config)
    if result.status == "diverged":
        print(f"error: {result.message}", file=sys.stderr)
        raise typer.Exit(EXIT_DIVERGED)


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("fit")(fit)
