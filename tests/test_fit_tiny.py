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

from leuko_keras.training import FitConfig, FitHooks, fit, resume_config

SCALE = 2
SIZE = 16


def tiny_model(config):
    import keras

    lr = keras.Input((None, None, 1), name="lr")
    up = keras.layers.UpSampling2D(config.scale, interpolation="bilinear", name="up")(lr)
    h = keras.layers.Conv2D(4, 3, padding="same", activation="tanh", name="body")(up)
    sr = keras.layers.Add(name="sr", dtype="float32")([up, keras.layers.Conv2D(1, 3, padding="same", name="res")(h)])
    mask = keras.layers.Conv2D(3, 1, activation="softmax", name="mask", dtype="float32")(h)
    return keras.Model(lr, {"sr": sr, "mask": mask}, name=f"tiny_x{config.scale}")


def tiny_compile(model, config, eager=True):
    import keras

    from leuko_keras.models.keras_metrics import PSNRY

    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1),
        loss={"sr": "mae", "mask": "categorical_crossentropy"},
        loss_weights={"sr": 1.0, "mask": config.lambda_map},
        metrics={"sr": [PSNRY(crop=config.scale)]},
        run_eagerly=eager,  # tracing, not arithmetic, would dominate these tiny runs
    )
    return model


def _pairs(count: int, size: int, scale: int, seed: int, nan_from: int | None = None):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    hr = np.stack(
        [0.5 + 0.3 * np.sin(6 * xx * rng.uniform(0.5, 2) + rng.uniform(0, 6)) * np.cos(5 * yy) for _ in range(count)]
    ).astype("float32")[..., None]
    lr = hr.reshape(count, size // scale, scale, size // scale, scale, 1).mean(axis=(2, 4))
    labels = (hr[..., 0] > 0.5).astype("int64") + (hr[..., 0] > 0.7)
    if nan_from is not None:
        lr[nan_from:] = np.nan
    return lr, hr, np.eye(3, dtype="float32")[labels]


def tiny_dataset(config, split, need_mask, nan_from=None, count=None):
    import tensorflow as tf

    count = count or (8 if split == "train" else 4)
    lr, hr, onehot = _pairs(count, config.size, config.scale, seed=0 if split == "train" else 1, nan_from=nan_from)
    ds = tf.data.Dataset.from_tensor_slices((lr, {"sr": hr, "mask": onehot})).batch(config.batch_size)
    return ds.repeat() if split == "train" and config.steps_per_epoch else ds


def tiny_examples(config, split):
    lr, hr, onehot = _pairs(2, 32, config.scale, seed=5)
    return [
        SimpleNamespace(hr_y=h[..., 0], lr_y=x[..., 0], labels=o.argmax(-1))
        for x, h, o in zip(lr, hr, onehot, strict=True)
    ]


def graph_compile(model, config):
    return tiny_compile(model, config, eager=False)


def hooks(**changes) -> FitHooks:
    import keras

    base = {
        "build_model": tiny_model,
        "compile_model": tiny_compile,
        "make_dataset": tiny_dataset,
        "load_examples": tiny_examples,
        "load_model": lambda path: keras.models.load_model(path),
    }
    base.update(changes)
    return FitHooks(**base)


def tiny_config(out, **changes) -> FitConfig:
    settings = {
        "out": str(out),
        "model": "tiny",
        "scale": SCALE,
        "size": SIZE,
        "batch_size": 4,
        "epochs": 2,
        "steps_per_epoch": 2,
        "learning_rate": 1e-3,
        "verbose": 0,
        "tensorboard": False,
    }
    settings.update(changes)
    return FitConfig(**settings)


def weights_of(path):
    import keras

    return [np.asarray(w) for w in keras.models.load_model(path, compile=False).get_weights()]


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
