"""One typed record of a trained model, read in one place: a run folder, a pretrained name or a ``.keras`` file.

``export``, ``predict``, ``evaluate``, ``fit --resume`` and ``fit --init``
all need the same facts about a model they are given: which registered
model it is, its scale and settings, how it was trained (the
:class:`~leuko_keras.runs.fitconfig.FitConfig`), the degradation and input
normalisation it learnt, where its files are, and the name tables print.
:func:`read_run` reads them once, checks their types (a hand-edited
``config.json`` fails here in one line naming the file) and returns a frozen
:class:`RunRecord`; nobody else parses ``config.json`` keys. Reading a
record loads no weights (the display name comes from the model registry).

>>> record = read_run("gp-lite-x4")
>>> record.model, record.scale, record.pretrained, record.display_name
('gp-lite', 4, True, 'GP-lite (pretrained)')
>>> record.best.name, record.card.name, record.fit.schedule
('best.keras', 'card.json', 'cosine')
>>> RunRecord.from_config({"model": "gp", "scale": 2, "settings": {"seed": 3}}).seed
3
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leuko_keras.errors import LeukoInputError

if TYPE_CHECKING:  # the config module is light, but the training package around it is not
    from leuko_keras.runs.fitconfig import FitConfig

BEST = "best.keras"
LAST = "last.keras"
CONFIG = "config.json"
# A preset that routes each image to one of two networks names the second here (predict.routing).
ROUTER = "router.json"
CARD = "card.json"
SUMMARY = "summary.json"
FIX = "restore it from the run (or delete it to use best.keras alone)"


@dataclass(frozen=True)
class RunRecord:
    """What a trained model is and where its files are (any missing file is None)."""

    source: str  # what the user gave: a path or a pretrained name
    root: Path | None  # the run folder (None for a bare .keras file)
    model_file: Path | None  # the .keras file a command loads (best.keras of a run)
    model: str | None  # registered model name (None when no config says it)
    scale: int | None
    settings: dict[str, Any] = field(default_factory=dict)  # the builder's settings (FitConfig.model_settings)
    training: dict[str, Any] = field(default_factory=dict)  # config.json "settings": every FitConfig value
    fit: FitConfig | None = None
    degradation: dict[str, Any] | None = None  # how training LR was made; None = bicubic
    normalize: dict[str, Any] | None = None  # the input rule recorded at training (leuko_keras.data.normalize)
    seed: int = 0
    config: dict[str, Any] | None = None  # config.json as read (for metadata that copies it whole)
    pretrained: bool = False
    display_name: str = ""

    def path(self, name: str) -> Path | None:
        """A file of the run folder if it exists (``last.keras``, ``summary.json``, ``card.json`` ...).

        >>> read_run("gp-lite-x4").path("summary.json") is None
        True
        """
        if self.root is None or not (self.root / name).is_file():
            return None
        return self.root / name

    @property
    def best(self) -> Path | None:
        """``best.keras`` of the run (or the bare ``.keras`` file)."""
        return self.model_file

    @property
    def last(self) -> Path | None:
        """``last.keras``, the last completed epoch (None for a shipped model or a bare file)."""
        return self.path(LAST)

    @property
    def config_file(self) -> Path | None:
        """``config.json`` (None for a bare ``.keras`` file)."""
        return self.path(CONFIG)

    @property
    def card(self) -> Path | None:
        """``card.json``, the model card of a shipped pretrained model."""
        return self.path(CARD)

    @property
    def data_source(self) -> str | list[str] | None:
        """The run's training data as the pipeline takes it (pairs, an .h5 pack, folders); None = synthetic."""
        return self.fit.source if self.fit is not None else None

    @classmethod
    def from_config(
        cls, config: Any, source: str = "", config_file: str | os.PathLike | None = None, **paths: Any
    ) -> RunRecord:
        """A record from a ``config.json`` payload (None: nothing known), its types checked.

        >>> RunRecord.from_config({"model": 3}, config_file="r/config.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        leuko_keras.errors.LeukoInputError: r/config.json: 'model' is 3, not a str; ...
        """
        where = str(config_file or source or "config.json")
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise LeukoInputError(f"{where}: not a run configuration (a JSON object is expected); {FIX}")
        for key, kind in (("settings", dict), ("model", str), ("normalize", dict)):
            if config.get(key) is not None and not isinstance(config[key], kind):
                raise LeukoInputError(f"{where}: {key!r} is {config[key]!r}, not a {kind.__name__}; {FIX}")
        scale = config.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int)):
            raise LeukoInputError(f"{where}: scale {scale!r} is not a whole factor such as 4; {FIX}")
        training = dict(config.get("settings") or {})
        settings = training.get("model_settings") or {}
        if not isinstance(settings, dict):
            raise LeukoInputError(f"{where}: 'model_settings' is {settings!r}, not a dict; {FIX}")
        versions = config.get("versions")
        version = versions.get("leuko_keras") if isinstance(versions, dict) else None
        settings = settings_as_built(training.get("model", config.get("model")), settings, version)
        if training:
            training["model_settings"] = settings
        seed = config.get("seed", training.get("seed", 0))
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise LeukoInputError(f"{where}: seed {seed!r} is not a whole number; {FIX}")
        root = paths.get("root")
        fit = None
        if training:
            from leuko_keras.runs.fitconfig import FitConfig

            fit = FitConfig.from_dict({**training, "out": str(root or training.get("out") or "")})
        model = config.get("model")
        pretrained = bool(paths.get("pretrained"))
        model_file = paths.get("model_file")
        # No config naming the model: the folder's or the file's name (runs/gp_x4, my_model.keras).
        raw = model or (Path(root).name if root else Path(model_file).stem if model_file else "")
        return cls(
            source=source,
            root=root,
            model_file=model_file,
            model=model,
            scale=scale,
            settings=dict(settings),
            training=training,
            fit=fit,
            degradation=training.get("degradation") or None,
            normalize=config.get("normalize"),
            seed=seed,
            config=config or None,
            pretrained=pretrained,
            display_name=display_name(raw) + (" (pretrained)" if pretrained else "") if raw else "",
        )


def settings_as_built(model: str | None, settings: dict[str, Any], version: str | None) -> dict[str, Any]:
    """The builder settings that rebuild a run's network, with the defaults of the release that made it.

    >>> settings_as_built("np-lite", {}, "0.5.0")
    {'upsample_filters': 64}
    """
    if model not in ("gp-lite", "np-lite") or settings.get("upsampler", "shuffle") != "shuffle":
        return settings
    # 0.6.0 narrowed the lite upsampler's default from `filters` (64) to 32 channels: a run made
    # before it keeps the width its weights have (resume, fit --init).
    if version is not None and _release(version) < (0, 6) and "upsample_filters" not in settings:
        return {"upsample_filters": settings.get("filters", 64), **settings}
    return settings


def _release(version: str) -> tuple[int, int]:
    major, _, rest = str(version).partition(".")
    minor = rest.partition(".")[0]
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else (0, 0)


def read_run(spec: str | os.PathLike, need_model: bool = True) -> RunRecord:
    """The record of a run folder, a pretrained name (``gp-lite-x4``) or a ``.keras`` file.

    ``need_model=False`` accepts a run folder without ``best.keras`` yet (a run to resume).

    >>> read_run("/nonexistent/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: /nonexistent/run: no such file or folder; pass a .keras file or ...
    """
    from leuko_keras.runs.presets import WEIGHTS_DIR, resolve_model_path

    path = resolve_model_path(spec)
    if path.is_dir():
        model_file: Path | None = path / BEST
        if not model_file.is_file():
            if need_model:
                raise LeukoInputError(f"{path}: run folder has no {BEST}; train first or pass a .keras file")
            model_file = None
        config = _read_json(path / CONFIG)
        shipped = path.resolve().parent == WEIGHTS_DIR
        return RunRecord.from_config(
            config, str(spec), path / CONFIG, root=path, model_file=model_file, pretrained=shipped
        )
    if path.is_file() and path.suffix == ".keras":
        return RunRecord.from_config(None, str(spec), root=None, model_file=path)
    if path.exists():
        raise LeukoInputError(f"{path}: not a .keras model file; pass a .keras file or a run folder holding {BEST}")
    raise LeukoInputError(f"{path}: no such file or folder; pass a .keras file or a run folder holding {BEST}")


def display_name(raw: str) -> str:
    """The name tables print for a model: the registry's display name, else ``raw`` as given.

    >>> display_name("gp"), display_name("sftgan"), display_name("mynet")
    ('GP', 'SFTGAN', 'mynet')
    """
    from leuko_keras.models.registry import registered_display_name

    return registered_display_name(raw)


def read_config(path: Path) -> Any:
    """The parsed ``config.json`` at ``path`` (None when there is none); bad JSON is one line.

    The one reader of a run's ``config.json``: :func:`read_run`, the run folder's ``--resume`` check and the
    training facts of model cards all go through it.
    """
    return _read_json(path)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        msg = getattr(error, "msg", None) or type(error).__name__
        raise LeukoInputError(f"{path}: not valid JSON ({msg}); fix or delete it") from error
