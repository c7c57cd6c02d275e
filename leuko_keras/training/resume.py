"""What ``fit --resume`` may trust and change: the stored config, checked, and the flags that must match.

A resume continues the stored run, so every setting comes from the run's
``config.json``. Only the settings in ``RESUMABLE`` (see ``training.fit``)
may change; any other flag given must equal the stored value, else the
resume is refused in one line naming both values (silently training the old
setting, or a mix of both, would give a run that is neither).

>>> from leuko_keras.runs.fitconfig import FitConfig
>>> check_no_conflicts(FitConfig(out="r", scale=4), {"scale": 2}, "r/config.json", ())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: --scale 2 conflicts with the run's scale 4 (r/config.json); ...
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.fitconfig import FitConfig

# Config keys whose command-line flag is not simply --key-with-dashes.
FLAGS = {
    "learning_rate": "--lr",
    "lambda_map": "--lambda",
    "time_budget_minutes": "--time-budget",
    "model_settings": "--setting",
    "augment": "--no-augment",
}


def flag_name(key: str) -> str:
    """The ``fit`` flag of a config key.

    >>> flag_name("learning_rate"), flag_name("batch_size")
    ('--lr', '--batch-size')
    """
    return FLAGS.get(key, "--" + key.replace("_", "-"))


def _same(stored: Any, given: Any) -> bool:
    if stored == given:
        return True
    if isinstance(stored, bool) or isinstance(given, bool):
        return False
    if isinstance(stored, int | float) and isinstance(given, int | float):
        return abs(float(stored) - float(given)) <= 1e-12 * max(abs(float(stored)), abs(float(given)))
    if isinstance(stored, str) and isinstance(given, str | os.PathLike):
        # The same data folder spelled relative or absolute is the same data.
        return Path(stored).expanduser().resolve() == Path(given).expanduser().resolve()
    if isinstance(stored, list | tuple) and isinstance(given, list | tuple) and len(stored) == len(given):
        return all(_same(a, b) for a, b in zip(stored, given, strict=True))
    return False


def check_no_conflicts(
    stored: FitConfig, given: dict[str, Any], config_file: str | os.PathLike, resumable: Iterable[str]
) -> None:
    """Refuse any given (not None) setting outside ``resumable`` that differs from ``stored``."""
    allowed = set(resumable)
    may_change = ", ".join(flag_name(k) for k in sorted(allowed) if k not in ("verbose", "tensorboard"))
    for key, value in given.items():
        if value is None or key in allowed or not hasattr(stored, key):
            continue
        old = getattr(stored, key)
        if not _same(old, value):
            shown = "(given)" if isinstance(value, bool) else value
            raise LeukoInputError(
                f"{flag_name(key)} {shown} conflicts with the run's {key} {old} ({config_file}); "
                f"a resume trains the stored settings: drop {flag_name(key)} (only {may_change} may change), "
                "or start a new run with --overwrite or another --out"
            )


def _kind(default: Any) -> tuple[type, ...] | None:
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, int):
        return (int,)
    if isinstance(default, float):
        return (int, float)
    if isinstance(default, str | dict):
        return (type(default),)
    return None  # None defaults (data, steps, budget): checked by validate()


def load_stored_config(run: Any) -> FitConfig:
    """The run's ``config.json`` settings as a checked :class:`FitConfig` (a damaged file is one clear line)."""
    path = Path(run.config)
    if not path.is_file():
        raise LeukoInputError(f"{run.root}: no run to resume (config.json missing); drop --resume to start one")
    fix = "restore it, or start a new run with --overwrite"
    from leuko_keras.runs.runrecord import read_run

    try:
        record = read_run(run.root, need_model=False)  # best.keras may not exist yet: killed in epoch 1
    except LeukoInputError as error:
        reason = str(error).removeprefix(f"{path}: ").split("; ")[0]
        raise LeukoInputError(f"{path}: unreadable run configuration ({reason}); {fix}") from None
    payload, settings = record.config or {}, record.training
    if not settings:
        raise LeukoInputError(f"{path}: not a leuko-keras run configuration (no settings object); {fix}")
    for field in dataclasses.fields(FitConfig):
        if field.name not in settings or field.default is dataclasses.MISSING:
            continue
        value, kinds = settings[field.name], _kind(field.default)
        wrong_type = kinds is not None and (
            not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool))
        )
        # A dict only where the setting is one (a degradation record), never for a path or a number.
        if wrong_type or (kinds is None and isinstance(value, dict) and "dict" not in str(field.type)):
            raise LeukoInputError(f"{path}: setting {field.name!r} is {value!r}, which is not valid; {fix}")
    if payload.get("scale") not in (None, settings.get("scale", 4)):
        raise LeukoInputError(
            f"{path}: scale {payload.get('scale')!r} disagrees with settings.scale {settings.get('scale')!r}; {fix}"
        )
    try:
        return FitConfig.from_dict({**settings, "out": str(run.root)}).validate()
    except (LeukoInputError, TypeError, ValueError) as error:
        raise LeukoInputError(f"{path}: stored settings are invalid ({error}); {fix}") from None


def resumed_epoch(backup_dir: str | os.PathLike) -> int:
    """Epochs completed according to the run's backup (0 for a new run); what training restarts from.

    >>> resumed_epoch("/nonexistent/backup")
    0
    """
    try:
        epoch = json.loads((Path(backup_dir) / "training_metadata.json").read_text(encoding="utf-8"))["epoch"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return int(epoch) if isinstance(epoch, int) and epoch > 0 else 0
