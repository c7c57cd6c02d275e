"""Degradations in the data pipeline and the commands: examples made with them, recorded in config.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.degradations import degradation_record, degrade_example
from leuko_keras.data.examples import load_examples
from leuko_keras.data.pipeline import make_dataset
from leuko_keras.data.source import DataSource

RUNNER = CliRunner()
SYNTH = DataSource(synthetic_count=10, synthetic_size=64)


def _invoke(*args):
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result, result.stdout + (result.stderr or "")


def test_examples_are_made_with_the_degradation():
    record = degradation_record("microscope", na=[0.3, 0.6])
    plain = load_examples(SYNTH, 4, split="all")
    degraded = load_examples(SYNTH.replace(degradation=record), 4, split="all")
    assert [e.name for e in degraded] == [e.name for e in plain]
    for a, b in zip(plain, degraded, strict=True):
        assert np.array_equal(a.hr_y, b.hr_y) and np.array_equal(a.labels, b.labels)
        assert b.lr_y.shape == a.lr_y.shape and not np.array_equal(a.lr_y, b.lr_y)
        assert np.array_equal(b.lr_y, degrade_example(a, 4, record, seed=0).lr_y)
    # The same run (seed) twice gives the same LR; another seed another draw.
    again = load_examples(SYNTH.replace(degradation=record), 4, split="all")
    assert all(np.array_equal(a.lr_y, b.lr_y) for a, b in zip(degraded, again, strict=True))
    other = load_examples(SYNTH.replace(degradation=record, seed=1), 4, split="all")
    assert not np.array_equal(other[0].lr_y, degraded[0].lr_y)
    # Bicubic (or no record) is the paper's protocol, untouched.
    bicubic = load_examples(SYNTH.replace(degradation=degradation_record("bicubic")), 4, split="all")
    assert all(np.array_equal(a.lr_y, b.lr_y) for a, b in zip(plain, bicubic, strict=True))


def test_dataset_batches_from_degraded_examples():
    record = degradation_record("phone")
    lr, targets = next(iter(make_dataset(SYNTH.replace(degradation=record), 4, "train", batch_size=2, size=32)))
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
    from leuko_keras.runs.runrecord import RunRecord

    model = build_model("np-lite", scale=2, filters=8, blocks=1)
    record = degradation_record("microscope")
    stored = RunRecord.from_config({"scale": 2, "model": "np-lite", "settings": {"degradation": record}})
    assert _facts(model, stored, None).source.degradation == record
    plain = RunRecord.from_config({"scale": 2, "model": "np-lite", "settings": {}})
    assert _facts(model, plain, None).source.degradation is None


def _stream(epoch, seed=0, record=None, per_crop=True):
    # Cells exactly the crop size, no flips, no shuffle: only the degradation can change the LR.
    record = record or degradation_record("microscope", na=[0.25, 0.65])
    ds = make_dataset(
        SYNTH.replace(seed=seed, degradation=record), 4, "train", batch_size=2, size=64, augment=False,
        shuffle=False, random_crop=True, need_mask=False, first_epoch=epoch, steps_per_epoch=2,
        per_crop_degradation=per_crop,
    )  # fmt: skip
    lr, targets = next(iter(ds))
    return lr.numpy(), targets["sr"].numpy()


def test_training_draws_the_degradation_per_crop_keyed_on_seed_and_epoch():
    from leuko_keras.data.degradations import draw
    from leuko_keras.data.epochs import crop_rng

    lr0, hr0 = _stream(0)
    lr1, hr1 = _stream(1)
    assert np.array_equal(hr0, hr1)  # the same images in the same place...
    assert not np.array_equal(lr0, lr1)  # ...degraded by other draws in the next epoch
    again, _ = _stream(0)
    assert np.array_equal(lr0, again)  # the same (seed, epoch): the same stream
    assert not np.array_equal(lr0, _stream(0, seed=1)[0])
    # The parameters themselves: the same slot draws another NA in another epoch.
    record = degradation_record("microscope", na=[0.25, 0.65])
    assert draw(record, crop_rng(0, 0, 0))["na"] != draw(record, crop_rng(0, 1, 0))["na"]
    # Once per image (the old behaviour, still available): every epoch sees the same LR.
    assert np.array_equal(_stream(0, per_crop=False)[0], _stream(1, per_crop=False)[0])


def test_validation_keeps_one_draw_per_image_at_the_run_seed():
    record = degradation_record("microscope", na=[0.25, 0.65])
    options = {"batch_size": 1, "size": 64, "need_mask": False, "augment": False, "shuffle": False}
    source = SYNTH.replace(degradation=record)
    first = [lr.numpy() for lr, _ in make_dataset(source, 4, "val", **options)]
    second = [lr.numpy() for lr, _ in make_dataset(source, 4, "val", **options)]
    assert first and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    expected = load_examples(source, 4, split="val")
    assert np.allclose(first[0][0, ..., 0], expected[0].lr_y, atol=1e-6)


def test_a_window_degraded_alone_equals_the_whole_image_there():
    from leuko_keras.data.degradations.core import apply_degradation, degrade_window

    hr = np.random.default_rng(0).random((96, 96, 3))
    # Noise off: the window's LR then depends on the optics and the camera grid only.
    record = degradation_record("microscope", photons_per_level=None, read_noise_e=0.0, bits=16)
    whole, _ = apply_degradation(hr, 4, record, np.random.default_rng(0))
    for top, left in ((0, 0), (32, 48), (64, 64)):
        window, _ = degrade_window(hr, top, left, 32, 4, record, np.random.default_rng(0))
        np.testing.assert_allclose(window, whole[top // 4 : top // 4 + 8, left // 4 : left // 4 + 8], atol=1e-4)
