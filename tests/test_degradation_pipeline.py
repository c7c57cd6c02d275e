"""Degradations in the data pipeline and the commands: examples made with them, recorded in config.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.degradations import degradation_record, degrade_example
from leuko_keras.data.pipeline import load_examples, make_dataset

RUNNER = CliRunner()
SYNTH = {"synthetic_count": 10, "synthetic_size": 64}


def _invoke(*args):
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result, result.stdout + (result.stderr or "")


def test_examples_are_made_with_the_degradation():
    record = degradation_record("microscope", na=[0.3, 0.6])
    plain = load_examples(None, 4, split="all", **SYNTH)
    degraded = load_examples(None, 4, split="all", degradation=record, **SYNTH)
    assert [e.name for e in degraded] == [e.name for e in plain]
    for a, b in zip(plain, degraded, strict=True):
        assert np.array_equal(a.hr_y, b.hr_y) and np.array_equal(a.labels, b.labels)
        assert b.lr_y.shape == a.lr_y.shape and not np.array_equal(a.lr_y, b.lr_y)
        assert np.array_equal(b.lr_y, degrade_example(a, 4, record, seed=0).lr_y)
    # The same run (seed) twice gives the same LR; another seed another draw.
    again = load_examples(None, 4, split="all", degradation=record, **SYNTH)
    assert all(np.array_equal(a.lr_y, b.lr_y) for a, b in zip(degraded, again, strict=True))
    other = load_examples(None, 4, split="all", degradation=record, seed=1, **SYNTH)
    assert not np.array_equal(other[0].lr_y, degraded[0].lr_y)
    # Bicubic (or no record) is the paper's protocol, untouched.
    bicubic = load_examples(None, 4, split="all", degradation=degradation_record("bicubic"), **SYNTH)
    assert all(np.array_equal(a.lr_y, b.lr_y) for a, b in zip(plain, bicubic, strict=True))


def test_dataset_batches_from_degraded_examples():
    record = degradation_record("phone")
    lr, targets = next(iter(make_dataset(None, 4, "train", batch_size=2, size=32, degradation=record, **SYNTH)))
    assert lr.shape == (2, 8, 8, 1) and targets["mask"].shape == (2, 32, 32, 3)


def test_fit_records_the_degradation_and_resume_keeps_it(tmp_path):
    run = tmp_path / "run"
    tiny = ["--model", "np-lite", "--setting", "filters=8", "--setting", "blocks=1", "--epochs", "1"]
    tiny += ["--steps-per-epoch", "2", "--size", "32", "--batch-size", "2", "--synthetic-count", "10"]
    tiny += ["--no-tensorboard", "--quiet", "--out", run]
    result, out = _invoke(
        "fit", *tiny, "--degradation", "phone", "--degradation-setting", "jpeg_quality=80",
        "--degradation-setting", "na=0.3:0.5", "--degradation-range",
    )  # fmt: skip
    assert result.exit_code == 0, out
    config = json.loads((run / "config.json").read_text())
    record = config["degradation"]
    assert record["kind"] == "phone" and record["jpeg_quality"] == 80 and record["na"] == [0.3, 0.5]
    assert record["photons_per_level"] == [2.0, 20.0]  # --degradation-range filled the unset ones
    assert config["settings"]["degradation"] == record
    from leuko_keras.training import resume_config

    assert resume_config(run).degradation == record


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--degradation", "fog"], "unknown"),
        (["--degradation", "microscope", "--degradation-setting", "nq=0.3"], "nq"),
        (["--degradation", "microscope", "--degradation-setting", "na"], "KEY=VALUE"),
        (["--degradation", "phone", "--degradation-setting", "jpeg_quality=99"], "1-95"),
    ],
)
def test_bad_degradation_settings_stop_with_one_line(tmp_path, args, message):
    result, out = _invoke("fit", "--out", tmp_path / "run", "--model", "np-lite", *args)
    assert result.exit_code == 2 and message in out and "Traceback" not in out
    assert not (tmp_path / "run").exists()


def test_evaluate_with_a_degradation(tmp_path):
    common = ["-m", "bicubic", "--synthetic-count", "10", "-s", "4"]
    assert _invoke("evaluate", *common, "--json", tmp_path / "a.json")[0].exit_code == 0
    result, out = _invoke("evaluate", *common, "--degradation", "microscope", "--json", tmp_path / "b.json")
    assert result.exit_code == 0, out
    assert "LR here, instead of the bicubic LR above: microscope" in out
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert b["protocol"]["degradation"].startswith("microscope")
    # Optical blur and noise make the same HR images harder for bicubic upscaling.
    assert b["results"][0]["psnr"] < a["results"][0]["psnr"] - 0.5


def test_export_uses_the_training_degradation_for_calibration_and_parity():
    from leuko_keras.deploy.export import _facts
    from leuko_keras.models import build_model

    model = build_model("np-lite", scale=2, filters=8, blocks=1)
    record = degradation_record("microscope")
    facts = _facts(model, {"scale": 2, "model": "np-lite", "settings": {"degradation": record}}, None)
    assert facts.load_options["degradation"] == record
    assert "degradation" not in _facts(model, {"scale": 2, "model": "np-lite", "settings": {}}, None).load_options
