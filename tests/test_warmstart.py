"""`fit --init`: fine-tuning starts from a shipped model's (or a run's) weights, with its architecture."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from leuko_keras.errors import LeukoInputError


def test_warm_start_copies_every_weight_and_refuses_another_architecture():
    from leuko_keras import build_model, pretrained
    from leuko_keras.training.warmstart import warm_start

    model = build_model("np-lite", scale=4)
    source = pretrained("np-lite-x4")
    assert not np.allclose(model.weights[0].numpy(), source.weights[0].numpy())
    warm_start(model, "np-lite-x4")
    for mine, theirs in zip(model.weights, source.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(LeukoInputError, match="--init np-lite-x4: its architecture"):
        warm_start(build_model("np-lite", scale=4, blocks=2), "np-lite-x4")


def test_init_defaults_come_from_the_source_run_and_a_missing_source_is_one_line():
    from leuko_keras.training.warmstart import init_defaults

    assert init_defaults("gp-lite-x8") == {"model": "gp-lite", "scale": 8, "model_settings": {}}
    with pytest.raises(LeukoInputError, match="--init nowhere/run: no such file"):
        init_defaults("nowhere/run")


def test_fit_init_fine_tunes_the_pretrained_model_with_no_other_model_flag(tmp_path):
    from leuko_keras import pretrained
    from leuko_keras.cli import app
    from leuko_keras.model_io import load_model_any

    out = tmp_path / "tuned"
    args = ["fit", "--init", "np-lite-x4", "--out", str(out), "--epochs", "1", "--steps-per-epoch", "1"]
    args += ["--synthetic-count", "4", "--size", "48", "--batch-size", "2", "--lr", "1e-9", "--no-tensorboard"]
    result = CliRunner().invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["model"], config["scale"], config["settings"]["init"]) == ("np-lite", 4, "np-lite-x4")
    tuned, _ = load_model_any(out)
    # One step at lr 1e-9 leaves the shipped weights, not a fresh initialisation.
    for mine, theirs in zip(tuned.weights, pretrained("np-lite-x4").weights, strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), atol=1e-5)
