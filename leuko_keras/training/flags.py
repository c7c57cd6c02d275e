"""``leuko-keras fit``'s flags to a :class:`~leuko_keras.runs.fitconfig.FitConfig`: the merge of a new run's
recipe, an ``--init`` source and ``--resume``'s stored run, kept out of the CLI (which only declares options).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leuko_keras.core.assignments import parse_assignments
from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.fitconfig import FitConfig


def config_from_flags(
    run_dir: Path | None = None,
    out: Path | None = None,
    data: list[Path] | None = None,
    h5: Path | None = None,
    pairs: Path | None = None,
    degradation: str | None = None,
    degradation_setting: list[str] | None = None,
    degradation_range: bool = False,
    normalize: str | None = None,
    model: str | None = None,
    scale: int | None = None,
    init: str | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    size: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    lambda_map: float | None = None,
    prior_steps: int | None = None,
    lr_decay: bool = False,
    schedule: str | None = None,
    seed: int | None = None,
    synthetic_count: int | None = None,
    time_budget: float | None = None,
    devices: str | None = None,
    precision: str | None = None,
    setting: list[str] | None = None,
    xla: bool = False,
    no_augment: bool = False,
    no_tensorboard: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
) -> FitConfig:
    """The :class:`FitConfig` that ``leuko-keras fit`` runs, from its flags as given (None: not given).

    A new run starts from the model's recipe (and an ``--init`` source's model, scale and settings, which
    ``--setting`` then changes); ``--resume`` takes the stored run's config, and any flag given must match it.

    >>> config_from_flags(out=Path("runs/x"), model="np-lite", scale=8).scale
    8
    """
    out = _run_folder(run_dir, out)
    if pairs and scale is None and not resume:
        from leuko_keras.data.pairs import read_scale

        scale = read_scale(pairs)  # the pairs say their scale; --scale only to check it
    folders = [str(path) for path in data or []]
    given = {
        "data": folders[0] if len(folders) == 1 else (folders or None),
        "h5": str(h5) if h5 else None,
        "pairs": str(pairs) if pairs else None,
        "degradation": _degradation(degradation, degradation_setting, degradation_range),
        "normalize": _normalize_spec(normalize),
        "scale": scale,
        "epochs": epochs,
        "steps_per_epoch": steps_per_epoch,
        "size": size,
        "batch_size": batch_size,
        "learning_rate": lr,
        "lambda_map": lambda_map,
        "prior_steps": prior_steps,
        "seed": seed,
        "synthetic_count": synthetic_count,
        "time_budget_minutes": time_budget,
        "devices": devices,
        "precision": precision,
        "schedule": schedule,
        "verbose": 0 if quiet else None,
    }
    switches = {"lr_decay": lr_decay, "xla": xla, "augment": not no_augment, "tensorboard": not no_tensorboard}
    settings = parse_assignments(setting, "--setting")
    if resume:
        if overwrite:
            raise LeukoInputError("--resume and --overwrite both given; pass one of them")
        return _resumed(out, model, init, settings if setting else None, given, switches)
    return _new(out, model, init, settings, given, switches, overwrite)


def _degradation(kind: str | None, settings: list[str] | None, ranges: bool) -> dict[str, Any] | None:
    if not (kind or settings or ranges):
        return None
    from leuko_keras.data.degradations import record_from_settings

    return record_from_settings(kind or "bicubic", settings, ranges)


def _resumed(
    out: Path, model: str | None, init: str | None, settings: dict[str, Any] | None, given: dict, switches: dict
) -> FitConfig:
    from leuko_keras.training.fit import resume_config

    # Every flag given is passed on: those that may not change must match the stored run.
    changed = {k: v for k, v in switches.items() if k != "tensorboard" and v != (k == "augment")}
    config = resume_config(out, model=model, model_settings=settings, init=init, **given, **changed)
    return config if switches["tensorboard"] else config.replace(tensorboard=False)


def _new(
    out: Path,
    model: str | None,
    init: str | None,
    settings: dict[str, Any],
    given: dict,
    switches: dict,
    overwrite: bool,
) -> FitConfig:
    inherited: dict[str, Any] = {}
    if init:
        from leuko_keras.training.warmstart import init_defaults

        inherited = init_defaults(init)
        model = model or inherited.get("model")
        given = {**given, "scale": given["scale"] or inherited.get("scale")}
    return FitConfig.for_model(
        model or "gp",
        out=str(out),
        overwrite=overwrite,
        # --setting changes the source's architecture where it says, and only there.
        model_settings={**inherited.get("model_settings", {}), **settings},
        init=init,
        **switches,
        **given,
    )


def _run_folder(run_dir: Path | None, out: Path | None) -> Path:
    # The folder may come as --out or as the one argument (`fit --resume runs/gp_x4`, as the README writes it).
    if run_dir is not None and out is not None and run_dir != out:
        raise LeukoInputError(f"run folder given twice ({run_dir} and --out {out}); pass one of them")
    folder = run_dir or out
    if folder is None:
        raise LeukoInputError("fit: no run folder; give --out RUN_DIR (or fit --resume RUN_DIR to continue a run)")
    return folder


def _normalize_spec(text: str | None) -> str | None:
    # The canonical spec (or None for the container default), so a resume compares like with like.
    from leuko_keras.data.normalize import parse_normalize

    rule = parse_normalize(text)
    return None if text is None or rule.kind == "container" else rule.spec
