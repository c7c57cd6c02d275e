"""`fit --init`: fine-tuning starts from a shipped model's (or a run's) weights, with its architecture."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from leuko_keras.errors import LeukoInputError


def test_warm_start_copies_every_weight_and_refuses_another_architecture():
    from leuko_keras import build_model, pretrained
    from leuko_keras.training.warmstart import init_defaults, warm_start

    model = build_model("np-lite", scale=4, **init_defaults("np-lite-x4")["model_settings"])
    source = pretrained("np-lite-x4")
    assert not np.allclose(model.weights[0].numpy(), source.weights[0].numpy())
    warm_start(model, "np-lite-x4")
    for mine, theirs in zip(model.weights, source.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    with pytest.raises(LeukoInputError, match="--init np-lite-x4: its architecture"):
        warm_start(build_model("np-lite", scale=4, blocks=2), "np-lite-x4")
    assert warm_start(build_model("np-lite", scale=4, upsample_filters=16), "np-lite-x4")  # only a width differs


def test_a_width_change_keeps_every_other_layer_and_names_the_fresh_ones():
    from leuko_keras import build_model, pretrained
    from leuko_keras.training.warmstart import warm_start

    wide = pretrained("np-lite-x8")
    narrow = build_model("np-lite", scale=8, upsample_filters=8)
    fresh = warm_start(narrow, "np-lite-x8")
    assert fresh == ["up0_conv", "up1_conv", "up2_conv", "sr_residual"]
    for layer in narrow.layers:
        if layer.weights and layer.name not in fresh:
            for mine, theirs in zip(layer.weights, wide.get_layer(layer.name).weights, strict=True):
                np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    # The fresh head starts at zero, so the untrained upsampler adds nothing to bicubic.
    assert not np.any(narrow.get_layer("sr_residual").weights[0].numpy())
    with pytest.raises(LeukoInputError, match="its architecture"):
        warm_start(build_model("gp-lite", scale=8), "np-lite-x8")


def test_init_defaults_come_from_the_source_run_and_a_missing_source_is_one_line():
    from leuko_keras import build_model, pretrained
    from leuko_keras.training.warmstart import init_defaults

    # The shipped model's own settings, so `fit --init gp-lite-x8` rebuilds exactly its network.
    settings = init_defaults("gp-lite-x8")["model_settings"]
    assert init_defaults("gp-lite-x8") == {"model": "gp-lite", "scale": 8, "model_settings": settings}
    assert build_model("gp-lite", scale=8, **settings).count_params() == pretrained("gp-lite-x8").count_params()
    with pytest.raises(LeukoInputError, match="--init nowhere/run: no such file"):
        init_defaults("nowhere/run")


def test_fit_init_fine_tunes_the_pretrained_model_with_no_other_model_flag(tmp_path):
    from leuko_keras import pretrained
    from leuko_keras.cli import app
    from leuko_keras.runs.model_io import load_model_any

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


def test_fit_init_with_a_width_setting_keeps_the_sources_settings_and_trains_only_the_changed_layers(tmp_path):
    from leuko_keras.cli import app

    def fit(out, *extra):
        args = ["fit", "--out", str(out), "--epochs", "1", "--steps-per-epoch", "1", "--synthetic-count", "4"]
        args += ["--size", "32", "--batch-size", "2", "--no-tensorboard", "--quiet", *extra]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        return result.output, json.loads((out / "config.json").read_text())

    fit(tmp_path / "small", "--model", "np-lite", "--setting", "blocks=1", "--setting", "filters=8")
    output, config = fit(tmp_path / "narrow", "--init", str(tmp_path / "small"), "--setting", "upsample_filters=4")
    # The source's own settings stay; the given one changes on top of them.
    assert config["settings"]["model_settings"] == {"blocks": 1, "filters": 8, "upsample_filters": 4}
    assert config["init_fresh_layers"] == ["up0_conv", "up1_conv", "sr_residual"]
    assert "up0_conv, up1_conv, sr_residual differ in width and start untrained" in output
