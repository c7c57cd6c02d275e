"""Export a trained model: SavedModel, parity-gated TFLite artifacts, metadata. All or nothing.

Everything is built in a temporary folder beside ``out_dir`` and renamed
into place at the end (:func:`leuko_keras.core.atomic.atomic_dir`): a bad input
or a crash leaves ``out_dir`` as it was. User errors (no model, not a
leuko-keras model, a bad ``input_size``, too few calibration images, Flex
ops) raise :class:`LeukoInputError` before anything is written. An artifact
that fails its parity gate is left out (kept with ``force=True``) and named
in ``ExportResult.failed``; the CLI then exits non-zero.

>>> result = export_model("runs/gp_x4", "exports/gp_x4", quantizations=["fp32", "int8"])  # doctest: +SKIP
>>> result.failed  # doctest: +SKIP
{}
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.core.atomic import atomic_dir, disk_full_error, write_json_atomic
from leuko_keras.core.outputs import check_output_folder, foreign_file
from leuko_keras.data.source import DataSource
from leuko_keras.deploy import metadata as meta
from leuko_keras.deploy import parity
from leuko_keras.deploy.representative import DEFAULT_COUNT, representative_crops
from leuko_keras.deploy.savedmodel import check_ours, float32_model, write_savedmodel
from leuko_keras.deploy.tflite import (
    DESCRIPTIONS,
    QUANTIZATIONS,
    check_builtin_only,
    convert_savedmodel,
    embed_metadata,
)
from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.runrecord import RunRecord

DEFAULT_INPUT_SIZE = 224


@dataclasses.dataclass
class ExportResult:
    """What an export wrote: the folder, artifact files, failed gates (quantization -> reason), parity rows."""

    out_dir: Path
    files: list[str]
    failed: dict[str, str]
    parity: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class _ModelFacts:
    name: str
    scale: int
    settings: dict[str, Any]
    training: dict[str, Any]
    source: DataSource  # held-out and calibration images: the run's split, seed and LR model
    hr_multiple: int


def artifact_name(quantization: str) -> str:
    """File name of one TFLite artifact.

    >>> artifact_name("int8")
    'model_int8.tflite'
    """
    return f"model_{quantization}.tflite"


def check_input_size(input_size: int, scale: int, hr_multiple: int) -> None:
    """Refuse an HR input size the scale or the U-Net cannot use.

    >>> check_input_size(100, 4, 16)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: --input-size 100: must be divisible by the scale 4 and by 16 ...; try 96 or 112
    """
    step = hr_multiple * scale // np.gcd(hr_multiple, scale)
    if input_size <= 0 or input_size % scale or input_size % hr_multiple:
        lower, upper = max(step, input_size // step * step), (input_size // step + 1) * step
        tries = f"{lower} or {upper}" if lower != upper else f"{upper}"
        raise LeukoInputError(
            f"--input-size {input_size}: must be divisible by the scale {scale} and by {hr_multiple} "
            f"(the U-Net's pooling); try {tries}"
        )


def export_owned(folder: Path) -> str | None:
    """None when ``folder`` holds only what an earlier export wrote (its metadata.json lists every file).

    Otherwise the first file no export wrote, so the refusal can name it.
    """
    try:
        listed = json.loads((folder / "metadata.json").read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError):
        listed = None
    if not isinstance(listed, dict):
        return foreign_file(folder, ()) or "no metadata.json"
    return foreign_file(folder, [*listed, "metadata.json"])


def _facts(model: Any, record: RunRecord, data: Any) -> _ModelFacts:
    from leuko_keras.models.inference import hr_multiple
    from leuko_keras.models.registry import model_scale

    training = dict(record.training)
    scale = int(record.scale or model_scale(model) or 0)
    if not scale:
        raise LeukoInputError(f"model {model.name!r}: cannot tell its scale; export a leuko-keras run folder")
    name = str(record.model or model.name.rsplit("_x", 1)[0])
    if data is None:
        # The run's own data (an .h5 pack wins over its source folder, as in training); None = synthetic.
        data = record.data_source
        folders = data if isinstance(data, list) else [data] if data else []
        if any(not Path(folder).exists() for folder in folders):
            # A shipped or copied run whose training data is not on this machine: the gate still
            # needs held-out images, and the synthetic set is always there (pass --data for real ones).
            data = None
    # Same split seed and synthetic set as training, so "held-out" really is held out.
    options: dict[str, Any] = {"seed": record.seed}
    if training.get("synthetic_count"):
        options["synthetic_count"] = int(training["synthetic_count"])
    from leuko_keras.data.pairs import is_pairs_folder

    if record.degradation and not is_pairs_folder(data):
        # Calibration and parity images degraded as the training images were (microscope, phone).
        options["degradation"] = record.degradation
    normalize = record.normalize or training.get("normalize")
    if normalize and data is not None:
        # Calibration and parity images in the units the network was trained on (fit --normalize);
        # the synthetic stand-in is 8-bit and already in them.
        options["normalize"] = normalize
    source = DataSource.of(data, **options)
    return _ModelFacts(name, scale, dict(record.settings), training, source, hr_multiple(model))


def _json_location(source: DataSource) -> Any:
    # Several folders are a list in metadata.json, as config.json records them.
    return list(source.location) if source.several else source.location


def export_model(
    source: str | os.PathLike,
    out_dir: str | os.PathLike,
    quantizations: Sequence[str] = QUANTIZATIONS,
    tflite: bool = True,
    input_size: int = DEFAULT_INPUT_SIZE,
    representative: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    force: bool = False,
    parity_images: int = 8,
    calibration_count: int = DEFAULT_COUNT,
    log: Callable[[str], None] = lambda message: None,
    normalize: Any = None,
) -> ExportResult:
    """Export ``source`` (run folder or ``.keras``) into ``out_dir``; see the module docstring.

    ``data`` (folder, ``.h5``) supplies held-out images and, without
    ``representative``, int8 calibration crops; by default the run's own
    training data (``config.json``), else the built-in synthetic set.
    """
    from leuko_keras.runs.model_io import load_run

    # Refused before the model is even loaded: the user's folder (or the run itself) stays untouched.
    out_dir = check_output_folder(
        out_dir, "--out", owned=export_owned, inputs=(source, representative, data), what="an earlier export"
    )
    model, record = load_run(source, compile=False)
    check_ours(model, source)
    model = float32_model(model)
    facts = _facts(model, record, os.fspath(data) if data is not None else None)
    held_out = facts.source.location
    inputs = held_out if facts.source.several else (held_out,)
    check_output_folder(out_dir, "--out", owned=export_owned, inputs=inputs, what="an earlier export")
    check_input_size(input_size, facts.scale, facts.hr_multiple)
    lr_size = input_size // facts.scale
    has_map = "mask" in model.output
    description = meta.describe(facts.name, facts.scale, facts.settings, lr_size, has_map, facts.hr_multiple)
    # How the training LR was made travels inside every .tflite too, so predict and the runner can say it.
    description["degradation"] = record.degradation or {"kind": "bicubic"}
    quantizations = list(quantizations) if tflite else []

    # Everything that can fail on user input happens before the first write.
    crops = None
    if "int8" in quantizations:
        crops = representative_crops(representative, facts.source, facts.scale, lr_size, calibration_count)
        log(f"drew {len(crops)} calibration crops of {lr_size}x{lr_size}")
    pairs, split = ([], "none")
    if quantizations:
        pairs, split = parity.heldout_pairs(facts.source, facts.scale, lr_size, parity_images)
        if not pairs:
            raise LeukoInputError(f"{facts.source.label}: no held-out images for the parity gate; pass --data")

    artifacts: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    rows: dict[str, Any] = {}
    with disk_full_error(out_dir, "exporting"), atomic_dir(out_dir) as tmp:
        log("writing SavedModel")
        write_savedmodel(model, tmp / "saved_model")
        if quantizations:
            artifacts, failed, rows = _convert_all(
                model, tmp, quantizations, crops, pairs, lr_size, description, force, log
            )
            write_json_atomic(tmp / "parity.json", _parity_report(rows, pairs, split, facts, input_size, force))
        from leuko_keras.data.normalize import from_config

        # The intensity rule the model expects (issue 11): given here, else the run's recorded one.
        rule = normalize if normalize is not None else from_config(record.config)
        extra = {"input_size": input_size, "training": facts.training, "normalize": rule.to_dict()}
        # How the training LR images were made (leuko_keras.data.degradations); bicubic unless the run said otherwise.
        extra["degradation"] = record.degradation or {"kind": "bicubic"}
        full = meta.full_metadata(description, artifacts, os.fspath(source), tmp, extra)
        write_json_atomic(tmp / "metadata.json", full)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    return ExportResult(out_dir, files, failed, rows)


def _convert_all(
    model: Any, tmp: Path, quantizations: list[str], crops: Any, pairs: list, lr_size: int, description: dict,
    force: bool, log: Callable[[str], None],
) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, Any]]:  # fmt: skip
    """Convert, check and gate each TFLite variant in ``tmp``; returns (artifacts, failed gates, parity rows)."""
    artifacts: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    rows: dict[str, Any] = {}
    lrs = np.stack([pair.lr for pair in pairs])
    keras_out = parity.run_keras(model, lrs)
    scale = int(description["scale"])
    # Inside the export's own temporary folder, never a shared temp dir: a kill leaves it where the
    # next export in this place cleans it up.
    fixed = tmp / ".fixed_size_savedmodel"
    try:
        write_savedmodel(model, fixed, (1, lr_size, lr_size, 1))
        for quantization in quantizations:
            log(f"converting {quantization}")
            data_bytes = convert_savedmodel(fixed, quantization, crops)
            ops = check_builtin_only(data_bytes, artifact_name(quantization))
            data_bytes = embed_metadata(data_bytes, {**description, "quantization": quantization})
            path = tmp / artifact_name(quantization)
            path.write_bytes(data_bytes)
            row = parity.compare(pairs, keras_out, parity.run_tflite(path, lrs), scale)
            passed, reason = parity.gate(quantization, row)
            rows[quantization] = {**row, "gate": reason, "passed": passed}
            log(f"{quantization}: {reason} ({'pass' if passed else 'FAIL'})")
            if not passed:
                failed[quantization] = reason
                if not force:
                    path.unlink()
                    continue
            artifacts[quantization] = {
                "file": path.name,
                "quantization": DESCRIPTIONS[quantization],
                "ops": sorted(set(ops)),
                "bytes": path.stat().st_size,
                "parity_passed": passed,
            }
    finally:
        shutil.rmtree(fixed, ignore_errors=True)
    return artifacts, failed, rows


def _parity_report(
    rows: dict[str, Any], pairs: list[parity.Pair], split: str, facts: _ModelFacts, input_size: int, force: bool
) -> dict[str, Any]:
    from leuko_keras.protocol.metrics import PROTOCOL_TEXT

    return {
        "protocol": PROTOCOL_TEXT,
        "method": "one centre crop per held-out image at the fixed input size; Keras = float32 model; "
        "artifacts run with ai_edge_litert (XNNPACK); PSNR to Keras on clipped SR over the valid region",
        "gates": {
            q: (f"worst-image PSNR to Keras >= {v:g} dB" if k == "to_keras" else f"PSNR to HR loss <= {v:g} dB")
            for q, (k, v) in parity.GATES.items()
        },
        "heldout": {
            "source": _json_location(facts.source) or "built-in synthetic set",
            "split": split,
            "images": [pair.name for pair in pairs],
        },
        "input_size": input_size,
        "scale": facts.scale,
        "force": force,
        "artifacts": rows,
    }
