"""`fit --prior-steps`: the parsing-map prior trains alone first, the trunk waits, the time counts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import hooks, tiny_config

import leuko_keras
from leuko_keras.errors import LeukoInputError
from leuko_keras.training import fit
from leuko_keras.training.prior_warmup import prior_layers, warm_up_prior

TINY = {"filters": 8, "blocks": 2, "prior_base": 4}


def _maps_dataset(scale: int, count: int = 8, lr_side: int = 8):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    lr = rng.random((count, lr_side, lr_side, 1)).astype("float32")
    # A map the LR image determines (bright = nucleus), so the map loss can fall within a few steps.
    hr = np.repeat(np.repeat(lr, scale, axis=1), scale, axis=2)[..., 0]
    labels = (hr > 0.4).astype("int64") + (hr > 0.7)
    targets = {"sr": hr[..., None], "mask": np.eye(3, dtype="float32")[labels]}
    return tf.data.Dataset.from_tensor_slices((lr, targets)).batch(4).repeat()


def test_warm_up_trains_the_prior_and_leaves_the_trunk_alone():
    model = leuko_keras.build_model("gp-lite", scale=2, **TINY)
    trained = set(prior_layers(model))
    assert "liteprior_map_conv" in trained and not any(name.startswith("block") for name in trained)
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers if layer.weights}
    done = warm_up_prior(model, _maps_dataset(2), steps=30, learning_rate=3e-3, printer=lambda _line: None)
    assert done["steps"] == 30 and done["seconds"] > 0 and 0.0 <= done["map_dice"] <= 1.0
    for name, weights in before.items():
        now = model.get_layer(name).get_weights()
        changed = any(not np.array_equal(a, b) for a, b in zip(weights, now, strict=True))
        assert changed == (name in trained), name


def test_warm_up_needs_a_prior():
    # The library call refuses too (fit's own check is FitConfig.validate, before any file is written).
    with pytest.raises(LeukoInputError, match=r"--prior-steps 5: np-lite_x4 has no parsing-map prior"):
        warm_up_prior(leuko_keras.build_model("np-lite", scale=4), None, steps=5, learning_rate=1e-3)


def test_fit_records_the_warm_up_counts_it_in_the_budget_and_does_not_repeat_it_on_resume(tmp_path):
    lines: list[str] = []
    config = tiny_config(tmp_path / "run", prior_steps=3, time_budget_minutes=30.0)
    result = fit(config, hooks(), printer=lines.append)
    assert result.status == "completed"
    record = json.loads((tmp_path / "run" / "prior_warmup.json").read_text())
    assert record["steps"] == 3 and record["seconds"] > 0
    assert sum("prior warm-up: 3 steps" in line for line in lines) == 1
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["settings"]
    assert stored["prior_steps"] == 3 and stored["time_budget_minutes"] == 30.0  # as the user gave it
    lines.clear()
    fit(
        tiny_config(tmp_path / "run", prior_steps=3, time_budget_minutes=30.0, epochs=3, resume=True),
        hooks(),
        printer=lines.append,
    )
    assert not any("prior warm-up" in line for line in lines)


def test_the_warm_up_time_comes_off_the_budget(tmp_path, monkeypatch):
    import importlib
    from types import SimpleNamespace

    from leuko_keras.training import prior_warmup
    from leuko_keras.training.runfolder import RunFolder

    fit_module = importlib.import_module("leuko_keras.training.fit")  # the package exports the function as `fit`
    monkeypatch.setattr(prior_warmup, "warm_up_prior", lambda *args: {"steps": 5, "seconds": 120.0})
    plan = SimpleNamespace(custom_loop=False, strategy=SimpleNamespace(scope=lambda: _nothing()))
    run = RunFolder(tmp_path / "run")
    run.root.mkdir()
    config = tiny_config(run.root, prior_steps=5, time_budget_minutes=30.0)
    assert fit_module._warm_up_prior(config, None, None, run, plan, print).time_budget_minutes == 28.0
    # Done once: the record in the folder means a resumed run goes straight to the whole model.
    assert fit_module._warm_up_prior(config, None, None, run, plan, print).time_budget_minutes == 30.0


def test_the_multi_worker_loop_is_refused_before_the_run_folder_is_touched(tmp_path, monkeypatch):
    cluster = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    with pytest.raises(LeukoInputError, match="multi-worker"):
        fit(tiny_config(tmp_path / "other", prior_steps=5), hooks())
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "np-lite", "--prior-steps", "5"], ["--prior-steps 5", "np-lite has no parsing-map prior"]),
        (["--model", "gp-lite", "--prior-steps", "-1"], ["--prior-steps -1", "0 or more"]),
    ],
)
def test_impossible_prior_steps_are_one_line_exit_2_and_write_nothing(tmp_path, args, words):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["fit", *args, "--out", str(out), "--epochs", "1"])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert not out.exists()


def _nothing():
    import contextlib

    return contextlib.nullcontext()
