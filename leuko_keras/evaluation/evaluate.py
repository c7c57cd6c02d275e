"""Score models x scales on a dataset split: per-image PSNR/SSIM on Y, map Dice where maps exist.

Models are ``bicubic`` (always available), ``MODEL.keras``, a run folder or
``MODEL.tflite``; ``LABEL=PATH`` names a model in the table. Every number
comes from :mod:`leuko_keras.protocol.metrics` under its stated protocol (Y studio
range, float, border crop = scale), computed per image and then averaged.

>>> ev = evaluate(["bicubic"], scales=[4], data=None, split="test")  # doctest: +SKIP
>>> ev.results[0].model, ev.results[0].scale  # doctest: +SKIP
('Bicubic', 4)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leuko_keras.data.source import DataSource, Location
from leuko_keras.errors import LeukoInputError
from leuko_keras.evaluation.compare import compare
from leuko_keras.evaluation.results import Comparison, ModelResult
from leuko_keras.predict.backends import Backend, BicubicBackend, load_backend, split_label
from leuko_keras.protocol.degrade import SUPPORTED_SCALES
from leuko_keras.protocol.metrics import PROTOCOL
from leuko_keras.protocol.morphometry import mean_morphology, morphology_row
from leuko_keras.protocol.scoring import mean_scores, score_image
from leuko_keras.runtime.tiling import super_resolve_tiled

SYNTHETIC_TEST_COUNT = 48


@dataclass
class Evaluation:
    """Everything a table, a JSON file or the figures need."""

    results: list[ModelResult]
    comparisons: list[Comparison]
    protocol: dict[str, Any]
    backends: dict[int, list[Backend]] = field(repr=False, default_factory=dict)
    examples: dict[int, list[Any]] = field(repr=False, default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """``{"protocol", "results", "comparisons"}`` for JSON."""
        return {
            "protocol": self.protocol,
            "results": [r.as_dict() for r in self.results],
            "comparisons": [c.as_dict() for c in self.comparisons],
        }


def load_eval_examples(source: DataSource | Location, scale: int, split: str = "test") -> list[Any]:
    """The split's examples at ``scale`` (maps loaded where they exist); a location of None is the synthetic default.

    ``source`` (a :class:`~leuko_keras.data.source.DataSource`, or a bare location) may be a folder of real
    pairs (``lr/`` + ``hr/``), scored as they are; its ``degradation`` (a :mod:`leuko_keras.data.degradations`
    record) makes the LR images by that model instead of bicubic; its ``normalize`` rule puts HR and LR in
    network units first. The synthetic default is :data:`SYNTHETIC_TEST_COUNT` cells.

    >>> examples = load_eval_examples(DataSource(synthetic_count=10, synthetic_size=64), 4)  # doctest: +SKIP
    """
    from leuko_keras.data.examples import load_examples

    source = DataSource.of(source)
    examples = load_examples(source, scale, split=split, need_mask=False)
    if not examples:
        where = source.label if not source.synthetic else "synthetic data"
        raise LeukoInputError(f"{where}: the {split!r} split is empty; use more images or --split")
    return examples


def score(backend: Backend, examples: Sequence[Any], scale: int, tile: int | None = None) -> ModelResult:
    """Run ``backend`` on every example and average per-image PSNR/SSIM (and Dice if maps exist).

    >>> import numpy as np
    >>> from leuko_keras.data.dataset import make_example
    >>> ex = make_example("flat", np.full((64, 64), 0.5), None, 4)
    >>> result = score(BicubicBackend(4), [ex], 4)
    >>> result.n_images, result.psnr > 50
    (1, True)
    """
    rows: list[dict[str, Any]] = []
    morphology: list[dict[str, Any]] = []
    start = time.perf_counter()
    for ex in examples:
        chosen = backend.for_image(ex.lr_y) if hasattr(backend, "for_image") else backend
        sr, probs = super_resolve_tiled(chosen, ex.lr_y, tile=tile)
        row = score_image(sr, ex.hr_y, scale, probs, ex.labels)
        rows.append(
            {
                "name": ex.name,
                "psnr": row["psnr"],
                "ssim": row["ssim"],
                **({"dice": row["dice"]} if row["dice"] else {}),
            }
        )
        if probs is not None and ex.labels is not None:
            # The measures a screen reports, from the LR-predicted map against the expert's.
            morphology.append(morphology_row(np.argmax(probs, axis=-1), ex.labels))
            rows[-1]["morphology"] = morphology[-1]
    seconds = time.perf_counter() - start
    means = mean_scores(rows)
    return ModelResult(
        model=backend.name,
        scale=scale,
        psnr=means["psnr"],
        ssim=means["ssim"],
        n_images=len(rows),
        per_image=rows,
        dice=means["dice"],
        source=backend.source,
        seconds=seconds,
        morphology=mean_morphology(morphology),
    )


def open_backends(models: Sequence[str], scales: Sequence[int] | None) -> dict[int, list[Backend]]:
    """Load each model once and group by scale; ``bicubic`` is added at every scale.

    Without ``scales`` the models' own scales are used (4 if only bicubic is asked for).
    """
    loaded: list[Backend] = []
    bicubic_labels: list[str | None] = []
    for spec in models:
        label, path = split_label(str(spec))
        if path.lower() == "bicubic":
            bicubic_labels.append(label)
        else:
            loaded.append(load_backend(spec))
    wanted = sorted(set(scales)) if scales else sorted({b.scale for b in loaded}) or [4]
    for s in wanted:
        if s not in SUPPORTED_SCALES:
            raise LeukoInputError(f"--scale {s}: unsupported; use one of {', '.join(map(str, SUPPORTED_SCALES))}")
    for backend in loaded:
        if backend.scale not in wanted:
            raise LeukoInputError(
                f"{backend.source}: model is x{backend.scale} but only x{', x'.join(map(str, wanted))} "
                f"was asked for; add --scale {backend.scale}"
            )
    grouped: dict[int, list[Backend]] = {}
    for s in wanted:
        names = bicubic_labels or [None]
        grouped[s] = [BicubicBackend(s, name=n or "Bicubic") for n in names]
        grouped[s] += [b for b in loaded if b.scale == s]
        _unique_names(grouped[s])
    return grouped


def check_report_outputs(
    json_out: str | os.PathLike | None,
    markdown: str | os.PathLike | None,
    figures: str | os.PathLike | None,
    data: str | os.PathLike | None,
    models: Sequence[str],
) -> None:
    """Refuse, before the (long) evaluation, a ``--json``/``--markdown``/``--figures`` path that cannot be written
    or that is (inside) the data or a model: a result there would replace an input, or be scored as a cell.

    >>> check_report_outputs("/tmp/leuko_results.json", None, None, None, ["bicubic"])
    """
    from leuko_keras.core.outputs import check_output_dir, check_output_file, resolved
    from leuko_keras.runs.presets import resolve_model_path

    paths = [split_label(str(spec))[1] for spec in models]
    inputs = [data, *(resolve_model_path(path) for path in paths if path.lower() != "bicubic")]
    files = [(flag, path) for flag, path in (("--json", json_out), ("--markdown", markdown)) if path is not None]
    for flag, path in files:
        check_output_file(path, flag, inputs)
    if len(files) == 2 and resolved(files[0][1]) == resolved(files[1][1]):
        raise LeukoInputError(f"--json and --markdown are both {json_out}; one would replace the other; give two files")
    if figures is not None:
        check_output_dir(figures, "--figures", inputs)


def _lr_source(data: Any, degradation: dict[str, Any] | None) -> str | None:
    """What the LR images are when they are not the paper's bicubic (stated under the table)."""
    from leuko_keras.data.degradations import describe
    from leuko_keras.data.pairs import is_pairs_folder

    if is_pairs_folder(data):
        return f"real LR images ({data}/lr) scored against their HR ({data}/hr), not re-degraded"
    if degradation and degradation.get("kind", "bicubic") != "bicubic":
        return describe(degradation)
    return None


def evaluation_rule(normalize: str | None, backends: Sequence[Backend]) -> Any:
    """The one input rule of an evaluation: the user's, else the one the runs recorded, else the container's.

    All models are scored on the same images, so runs that recorded different rules are refused.

    >>> evaluation_rule("bits=12", []).spec, evaluation_rule(None, []).spec
    ('bits=12', 'container')
    """
    from leuko_keras.data.normalize import from_config, parse_normalize

    if normalize is not None:
        return parse_normalize(normalize)
    recorded = {b.source: from_config(getattr(b, "config", None)) for b in backends if getattr(b, "config", None)}
    specs = sorted({rule.spec for rule in recorded.values()})
    if len(specs) > 1:
        raise LeukoInputError(
            f"the models were trained with different --normalize rules ({', '.join(specs)}); "
            "evaluate them separately or pass one --normalize"
        )
    return next(iter(recorded.values())) if recorded else parse_normalize(None)


def _unique_names(backends: list[Backend]) -> None:
    # Two runs of the same architecture at one scale would collide in the table.
    seen: dict[str, int] = {}
    for backend in backends:
        count = seen.get(backend.name, 0)
        seen[backend.name] = count + 1
        if count:
            backend.name = f"{backend.name} ({os.path.basename(backend.source.rstrip('/'))})"


def evaluate(
    models: Sequence[str],
    scales: Sequence[int] | None = None,
    data: str | os.PathLike | None = None,
    split: str = "test",
    synthetic_count: int = SYNTHETIC_TEST_COUNT,
    tile: int | None = None,
    log: Callable[[str], None] | None = None,
    degradation: dict[str, Any] | None = None,
    normalize: str | None = None,
) -> Evaluation:
    """Score every model at every scale on the split, then bootstrap the paired gains.

    ``data`` may be a folder of real pairs; ``degradation`` degrades the HR images another way than bicubic.
    ``normalize`` (``bits=N``, ``percentile=LOW,HIGH``) puts the images in network units before they are
    degraded and scored; ``None`` takes the rule the runs recorded (``fit --normalize``), else the container's.

    >>> evaluate(["bicubic", "runs/np_x4"], [4], data="cells12/")  # doctest: +SKIP
    """
    if not models:
        raise LeukoInputError("no model given; pass --model bicubic and/or a run folder, .keras or .tflite file")
    grouped = open_backends(models, scales)
    rule = evaluation_rule(normalize, [b for group in grouped.values() for b in group])
    results: list[ModelResult] = []
    examples: dict[int, list[Any]] = {}
    source = DataSource.of(data, synthetic_count=synthetic_count, degradation=degradation, normalize=rule)
    for s, backends in grouped.items():
        examples[s] = load_eval_examples(source, s, split)
        for backend in backends:
            if log:
                log(f"x{s} {backend.name}: {len(examples[s])} images")
            results.append(score(backend, examples[s], s, tile=tile))
    protocol = dict(PROTOCOL)
    protocol.update({"data": str(data) if data else "synthetic (embedded default)", "split": split})
    protocol["degradation"] = _lr_source(data, degradation) or protocol["degradation"]
    if rule.kind != "container":
        protocol["normalize"] = f"{rule.spec}: {rule.to_dict()['meaning']}; scores in network units"
    return Evaluation(results, compare(results), protocol, grouped, examples)
