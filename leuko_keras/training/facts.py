"""What a run got: epochs, optimiser steps, minutes, data, recipe, from its own config.json and history.csv.

The one reader of a finished run's training record: model cards, the ablation, robustness and Table 2
benchmarks describe runs through it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def training_facts(run: Path, missing_ok: bool = False) -> dict[str, Any]:
    """Epochs, optimiser steps, training time, data and recipe of a run, from its config.json and history.csv.

    The one reader of a run's own record: model cards (here), lite_ablations, robustness and reproduce_paper
    describe runs through it. ``missing_ok``: a file the run has not written (never trained, stopped before
    its first epoch) reads as empty instead of failing. Minutes include a prior warm-up (``fit --prior-steps``,
    ``prior_warmup.json``), whose prior-only steps are counted apart.

    >>> training_facts(Path("no/such/run"), missing_ok=True)["epochs"]
    0
    """
    from leuko_keras.runs.runrecord import RunRecord
    from leuko_keras.training.runfolder import RunFolder

    folder = RunFolder(run)
    config = _read_config(folder.config, missing_ok)
    rows = _read_history(folder.history, missing_ok)
    settings = config.get("settings") or {}
    warmup = json.loads(folder.prior_warmup.read_text(encoding="utf-8")) if folder.prior_warmup.is_file() else None
    record = RunRecord.from_config(config, config_file=folder.config)
    # A one-pass epoch (steps_per_epoch None) has its length in train_steps_per_epoch (runs before 0.5: unknown).
    per_epoch = settings.get("steps_per_epoch") or config.get("train_steps_per_epoch")
    steps = len(rows) * int(per_epoch) if per_epoch else None
    best_epoch = None
    if rows:
        # Single-output models log val_psnr_y, two-output ones val_sr_psnr_y.
        column = next(k for k in rows[0] if k.startswith("val_") and k.endswith("psnr_y"))
        best_epoch = int(max(rows, key=lambda r: float(r.get(column) or "-inf"))["epoch"])
    seconds = sum((float(r.get("seconds") or 0.0) for r in rows), 0.0) + (float(warmup["seconds"]) if warmup else 0.0)
    return {
        "epochs": len(rows),
        "steps": steps,
        "best_epoch": best_epoch,
        "minutes": round(seconds / 60.0, 1),
        "seconds": round(seconds, 1),
        "prior_warmup": warmup,  # {"steps", "seconds", "map_dice", "map_loss"} or None
        "precision": config.get("precision"),
        "recipe": {
            k: settings.get(k) for k in ("size", "batch_size", "learning_rate", "schedule", "steps_per_epoch", "seed")
        },
        # As built: a run from before a default changed states the value it was built with.
        "model_settings": record.settings,
        "data": settings.get("data"),
        # What the pipeline read (an .h5 pack or real pairs win over the folder, as in training).
        "source": record.data_source,
        "degradation": config.get("degradation"),  # the LR record (None: the paper's bicubic)
        "model": config.get("model"),
        "time_budget_minutes": settings.get("time_budget_minutes"),
        "init": settings.get("init"),  # fine-tuned from these weights (fit --init), if any
        "init_fresh_layers": config.get("init_fresh_layers") or [],  # layers that started untrained (width change)
    }


def _read_config(path: Path, missing_ok: bool) -> dict[str, Any]:
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.runs.runrecord import read_config

    try:
        config = read_config(path)
    except LeukoInputError:
        if not missing_ok:
            raise
        return {}
    if config is None and not missing_ok:
        raise LeukoInputError(f"{path}: no config.json; is this a run folder of leuko-keras fit?")
    return config or {}


def _read_history(path: Path, missing_ok: bool) -> list[dict[str, str]]:
    if missing_ok and not path.is_file():
        return []
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def base_training(init: str | None) -> dict[str, Any] | None:
    """The training of the weights a fine-tuned run started from (a shipped card, or that run's own files)."""
    if not init:
        return None
    from leuko_keras.runs.presets import WEIGHTS_DIR

    card = WEIGHTS_DIR / init / "card.json"
    if card.is_file():
        earlier = json.loads(card.read_text(encoding="utf-8"))
        facts = dict(earlier["training"])
        facts["base"] = earlier["training"].get("base")
        facts["from"] = f"{init} as shipped in leuko-keras {earlier.get('leuko_keras', '?')}"
        return facts
    run = Path(init)
    if (run / "history.csv").is_file():
        return {**training_facts(run), "from": str(run)}
    return {"from": str(init)}
