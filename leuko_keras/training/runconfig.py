"""config.json of a run (``run_config``): everything needed to tell later how a model was trained.

``read_run`` (leuko_keras.runs.runrecord) is its reader; model cards and ``leuko-keras models`` quote it.
"""

from __future__ import annotations

import datetime as dt
import platform
from typing import Any

from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.devices import DevicePlan
from leuko_keras.training.runfolder import RunFolder


def _versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow as tf

    import leuko_keras

    return {
        "leuko_keras": leuko_keras.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def _fingerprint(config: FitConfig) -> str:
    try:
        from leuko_keras.data.source import source_fingerprint
    except ImportError:  # pragma: no cover - data layer absent
        return str(config.source)
    return source_fingerprint(config.data_source())


def run_config(
    config: FitConfig,
    plan: DevicePlan,
    precision: str,
    run: RunFolder,
    model: Any,
    train_steps: int | None = None,
    init_fresh_layers: list[str] | None = None,
) -> dict:
    """What config.json says of a run: its settings, machine, data, protocol and versions.

    ``init_fresh_layers``: what ``fit --init`` left untrained (a resumed run keeps the value it stored).

    >>> run_config(config, plan, "bf16", run, model, 100)["train_steps_per_epoch"]  # doctest: +SKIP
    100
    """
    from leuko_keras.training.summary import protocol

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    previous = run.read_json(run.config) if config.resume else None
    return {
        "model": config.model,
        "scale": config.scale,
        "settings": config.to_dict(),
        "seed": config.seed,
        "precision": precision,
        "strategy": {"kind": plan.kind, "replicas": plan.num_replicas, "devices": list(plan.devices)},
        "parameters": count_params(model),
        "protocol": protocol(),
        "data": {"source": config.source, "fingerprint": _fingerprint(config), "validation_split": "val"},
        # Steps per epoch as trained (settings keep None for "one pass"): a run's step count reads this.
        "train_steps_per_epoch": train_steps,
        "degradation": config.degradation or {"kind": "bicubic"},  # how the LR images were made
        # A warm start across a width change (fit --init with another --setting) trains these from scratch.
        "init_fresh_layers": (previous or {}).get("init_fresh_layers") if config.resume else init_fresh_layers,
        # The input rule (leuko_keras.data.normalize): predict, evaluate and export read it from here.
        "normalize": _normalize_record(config.normalize),
        "versions": _versions(),
        "created": (previous or {}).get("created", now),
        "resumed": [*((previous or {}).get("resumed", [])), *([now] if config.resume else [])],
    }


def _normalize_record(spec: str | None) -> dict[str, Any]:
    from leuko_keras.data.normalize import parse_normalize

    return parse_normalize(spec).to_dict()


def count_params(model: Any) -> int:
    """Trainable and frozen weights of ``model`` (0 for an unbuilt subclassed model)."""
    try:
        return int(model.count_params())
    except ValueError:  # an unbuilt subclassed model
        return 0
