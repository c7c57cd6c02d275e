"""Pretrained models that ship in the package (presets): names, folders and cards; loading is elsewhere.

The registry never imports the loader (:func:`leuko_keras.runs.model_io.pretrained` loads a preset),
so naming a shipped model costs no Keras import.

Each lives in ``leuko_keras/weights/NAME/`` as a self-describing folder laid
out like a training run (so every command that takes a run folder takes it):
``best.keras`` (weights, no optimiser state), ``config.json`` (the run's
config: model, scale, settings, data, recipe) and the model card,
``card.json`` (how it was trained and its held-out metrics) with ``card.md``
(the same for people). Nothing is downloaded: the files are in the wheel.

>>> "gp-lite-x4" in PRETRAINED
True
>>> resolve_model_path("gp-lite-x4").name
'gp-lite-x4'
>>> resolve_model_path("runs/my_run").as_posix()
'runs/my_run'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from leuko_keras.errors import LeukoInputError

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"  # package data: leuko_keras/weights/NAME/
# The model `predict` (and screen, the runner's example) runs when none is named: trained for real optics.
DEFAULT_MODEL = "gp-lite-real-x4"
# Registered names (shipped or not yet trained); what a folder holds is read from its files. The bicubic
# models stay the models of the paper-protocol tables (evaluate without pairs, reproduce_paper).
PRETRAINED = ("gp-lite-real-x4", "gp-lite-real-x8", "gp-lite-x4", "np-lite-x4", "gp-lite-x8", "np-lite-x8")
# What `screen` runs when no --model is named. Measured on the BCCD smear fields (docs/screen.md): the real-optics
# default turns the SR crops of whole smear fields 9-17 dB worse than bicubic (it over-sharpens the red cells of a
# crowded field, a scene it never trained on), while the clean-LR model gains +1.07 dB there and finds the cells.
SCREEN_DEFAULT = "gp-lite-x4"
_PURPOSE = {
    "real": "real optics (blurred, noisy, JPEG) and clean LR: the default for your images",
    "bicubic": "clean MATLAB-bicubic LR: the paper's protocol and its tables",
}


def pretrained_dir(name: str) -> Path:
    """The folder of the pretrained model ``name`` (LeukoInputError if unknown or not shipped).

    >>> pretrained_dir("gp-lite-x4").joinpath("best.keras").is_file()
    True
    """
    if name not in PRETRAINED:
        raise LeukoInputError(f"{name!r} is not a pretrained model; choose one of: {', '.join(PRETRAINED)}")
    folder = WEIGHTS_DIR / name
    if not (folder / "best.keras").is_file():
        raise LeukoInputError(f"{name}: its weights are missing from this install ({folder}); reinstall leuko-keras")
    return folder


def resolve_model_path(spec: str | os.PathLike) -> Path:
    """A model argument as a path: a pretrained name becomes its folder; anything else is a path.

    An existing file or folder of that name wins over a pretrained name, so a user's own
    ``gp-lite-x4/`` run folder is never shadowed.
    """
    text = os.fspath(spec)
    if text in PRETRAINED and not Path(text).exists():
        return pretrained_dir(text)
    return Path(text)


def model_card(name: str) -> dict[str, Any]:
    """The card of ``name``: data, split, steps, minutes, machine and held-out metrics (``card.json``).

    >>> model_card("gp-lite-x4")["scale"]
    4
    """
    path = pretrained_dir(name) / "card.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise LeukoInputError(f"{path}: model card unreadable ({error}); reinstall leuko-keras") from error


def training_chain(training: dict[str, Any]) -> list[tuple[int, float]]:
    """(steps, minutes) of every training behind a card's ``training`` record, the first run first.

    A model fine-tuned with ``fit --init`` carries the record of what it started from as ``base``,
    which may itself have a ``base``.

    >>> first = {"steps": 1, "minutes": 0.5}
    >>> training_chain({"steps": 10, "minutes": 2.0, "base": {"steps": 5, "minutes": 1.5, "base": first}})
    [(1, 0.5), (5, 1.5), (10, 2.0)]
    """
    chain = []
    record: dict[str, Any] | None = training
    while record and "minutes" in record:
        chain.append((int(record.get("steps") or 0), float(record["minutes"])))
        record = record.get("base")
    return chain[::-1]


def all_training(training: dict[str, Any]) -> tuple[int, float]:
    """Steps and minutes behind a card's ``training`` record, every run it was fine-tuned from included.

    >>> all_training({"steps": 10, "minutes": 2.0, "base": {"steps": 5, "minutes": 1.5}})
    (15, 3.5)
    """
    chain = training_chain(training)
    return sum(steps for steps, _ in chain), round(sum(minutes for _, minutes in chain), 1)


def purpose(name: str) -> str:
    """What the shipped model ``name`` is for, from the degradation its card says it was trained on.

    >>> purpose("gp-lite-x4")
    "clean MATLAB-bicubic LR: the paper's protocol and its tables"
    """
    kind = ((model_card(name).get("training") or {}).get("degradation") or {}).get("kind", "bicubic")
    return _PURPOSE.get(kind, f"{kind} LR")


def list_pretrained() -> list[str]:
    """Names of the pretrained models shipped in this install, in registry order."""
    return [name for name in PRETRAINED if (WEIGHTS_DIR / name / "best.keras").is_file()]
