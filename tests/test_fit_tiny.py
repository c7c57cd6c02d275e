"""`fit` end to end on a tiny model and tiny in-memory data (machinery: run folder, resume, NaN, seeds, budget).

The hooks below are also imported by the subprocess drivers of test_fit_kill.py and
test_distributed.py; they stand in for the registry model and the data pipeline, so
these tests exercise the training machinery in seconds.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import (  # noqa: F401
    SCALE,
    SIZE,
    _pairs,
    graph_compile,
    hooks,
    tiny_compile,
    tiny_config,
    tiny_dataset,
    tiny_model,
    weights_of,
)

from leuko_keras.training import fit, resume_config


# ---------------------------------------------------------------------------------------------
def test_run_folder_is_self_describing(tmp_path):
    lines: list[str] = []
    config = tiny_config(tmp_path / "run", epochs=3, tensorboard=True, lr_decay=True, lr_decay_every=2)
    result = fit(config, hooks(), printer=lines.append)
    run = tmp_path / "run"
    assert result.status == "completed" and result.epochs_completed == 3
    for name in ("config.json", "best.keras", "last.keras", "history.csv", "curves.png", "summary.json"):
        assert (run / name).is_file(), name
    assert any((run / "logs").rglob("*tfevents*")), "TensorBoard wrote no event file"

    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["learning_rate"] == 1e-3 and config["scale"] == SCALE
    assert {"protocol", "data", "versions"} <= set(config)
    assert config["protocol"]["peak"] == 255 and "fingerprint" in config["data"]
    assert {"tensorflow", "keras", "leuko_keras"} <= set(config["versions"])

    import csv

    rows = list(csv.DictReader((run / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert "val_sr_psnr_y" in rows[0] and "loss" in rows[0]
    assert [float(r["learning_rate"]) for r in rows] == pytest.approx([1e-3, 1e-3, 5e-4])  # --lr-decay halving
    # best.keras is the epoch with the highest validation PSNR in the history.
    psnrs = [float(r["val_sr_psnr_y"]) for r in rows]
    assert result.best_epoch == int(np.argmax(psnrs)) + 1
    assert math.isclose(result.best_value, max(psnrs), rel_tol=1e-5)

    summary = json.loads((run / "summary.json").read_text())
    assert summary["images"] == 2 and summary["bicubic"]["psnr"] > 10
    assert summary["model"]["psnr"] is not None and "dice" in summary["model"]
    table = "\n".join(lines)
    assert "bicubic" in table and "Protocol:" in table and "ETA" in table


def test_same_seed_same_weights(tmp_path):
    import keras

    graph = hooks(compile_model=graph_compile)  # the compiled path real runs take
    fit(tiny_config(tmp_path / "a", seed=7), graph)
    fit(tiny_config(tmp_path / "b", seed=7), graph)
    a, b = (weights_of(tmp_path / name / "last.keras") for name in "ab")
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    keras.utils.set_random_seed(7)
    initial = tiny_model(tiny_config(tmp_path / "c")).get_weights()
    assert not all(np.array_equal(x, y) for x, y in zip(a, initial, strict=True)), "training changed nothing"


def test_nan_loss_stops_and_keeps_last_good_model(tmp_path):
    # Batches 0-1 are fine (epoch 1), batch 2 (first of epoch 2) holds NaN inputs.
    nan_data = hooks(make_dataset=_nan_dataset)
    result = fit(tiny_config(tmp_path / "run", epochs=3), nan_data)
    assert result.status == "diverged"
    assert "nan" in result.message.lower() and "epoch 2" in result.message and "last.keras" in result.message
    assert result.epochs_completed == 1
    assert all(np.isfinite(w).all() for w in weights_of(tmp_path / "run" / "last.keras"))
    meta = json.loads((tmp_path / "run" / "backup" / "training_metadata.json").read_text())
    assert meta["epoch"] == 1  # the bad epoch never counted as completed


def _nan_dataset(config, split, need_mask):
    if split != "train":
        return tiny_dataset(config, split, need_mask)
    return tiny_dataset(config, split, need_mask, nan_from=8, count=12)


def test_time_budget_stops_cleanly_and_resume_continues(tmp_path):
    result = fit(tiny_config(tmp_path / "run", epochs=50, time_budget_minutes=1e-6), hooks())
    assert result.status == "time_budget" and result.epochs_completed == 1
    assert (tmp_path / "run" / "best.keras").is_file() and "--resume" in result.message
    again = fit(resume_config(tmp_path / "run", epochs=3, time_budget_minutes=60), hooks())
    assert again.status == "completed" and again.epochs_completed == 3
    import csv

    rows = list(csv.DictReader((tmp_path / "run" / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert len(stored["resumed"]) == 1


def test_existing_run_needs_resume_or_overwrite(tmp_path):
    from leuko_keras.errors import LeukoInputError

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    with pytest.raises(LeukoInputError, match="--resume"):
        fit(tiny_config(tmp_path / "run", epochs=1), hooks())
    with pytest.raises(LeukoInputError, match="no run to resume"):
        fit(tiny_config(tmp_path / "run", epochs=1, resume=True), hooks())


def test_disk_full_is_refused_before_training(tmp_path, monkeypatch):
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.training import runfolder

    monkeypatch.setattr(runfolder.shutil, "disk_usage", lambda path: SimpleNamespace(free=1024, total=1, used=1))
    with pytest.raises(LeukoInputError, match="disk full"):
        fit(tiny_config(tmp_path / "run"), hooks())
    assert not (tmp_path / "run" / "last.keras").exists()


def test_xla_setting_compiles_with_xla_and_trains_to_the_same_weights(tmp_path):
    from leuko_keras.training.fit import _compile, _seed

    lr, hr, onehot = _pairs(4, SIZE, SCALE, seed=3)
    weights = {}
    for xla in (False, True):
        config = tiny_config(tmp_path / f"xla_{xla}", xla=xla)
        _seed(config)  # as fit does: op determinism on by default, which Keras's XLA path refuses
        model = _compile(tiny_model(config), config)
        initial = model.get_weights()
        assert model.jit_compile is xla  # Keras's "auto" leaves XLA off on a CPU
        for _ in range(3):
            model.train_on_batch(lr, {"sr": hr, "mask": onehot})
        weights[xla] = model.get_weights()
    for plain, compiled in zip(weights[False], weights[True], strict=True):
        np.testing.assert_allclose(plain, compiled, atol=1e-5)
    assert any(not np.allclose(w, v) for w, v in zip(weights[True], initial, strict=True)), "no training happened"
