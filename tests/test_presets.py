"""Shipped pretrained models: found by name everywhere a model is taken, with honest cards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import leuko_keras
from leuko_keras.cli import app
from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.presets import DEFAULT_MODEL, PRETRAINED, list_pretrained, model_card, resolve_model_path

SHIPPED = list_pretrained()


def test_the_default_and_both_scales_of_it_ship():
    assert DEFAULT_MODEL in SHIPPED
    assert set(SHIPPED) <= set(PRETRAINED)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_model_matches_its_card_and_beats_bicubic_on_held_out_cells(name):
    card = model_card(name)
    model = leuko_keras.pretrained(name)
    assert model.name == f"{card['model']}_x{card['scale']}"
    assert name.startswith(card["model"]) and name.endswith(f"-x{card['scale']}")
    assert model.count_params() == card["parameters"]
    assert sorted(model.output) == sorted(card["outputs"])
    config = json.loads((resolve_model_path(name) / "config.json").read_text())
    assert (config["model"], config["scale"]) == (card["model"], card["scale"])
    assert card["training"]["steps"] > 0 and card["training"]["minutes"] > 0 and card["machine"]
    real = (card["training"].get("degradation") or {}).get("kind") == "real"
    # A real-optics model is held to its gain on optically degraded LR (clean LR goes to the clean-LR model
    # under a routed name); a clean-LR model to its gain on the paper's LR.
    tables = [entry["splits"] for entry in card["heldout_degraded"].values()] if real else [card["heldout"]]
    assert tables
    for table in tables:
        for split, row in table.items():
            # The card's own interval, recomputed when the model was packaged: the gain is real, not noise.
            assert row["gain_ci95"][0] > 0, (name, split, row)
            assert row["psnr"] == pytest.approx(row["bicubic_psnr"] + row["gain_db"], abs=0.01)
    lr = np.random.default_rng(0).random((1, 12, 12, 1)).astype(np.float32)
    out = model.predict(lr, verbose=0)
    assert out["sr"].shape == (1, 12 * card["scale"], 12 * card["scale"], 1)


def test_a_users_folder_of_the_same_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / DEFAULT_MODEL).mkdir()
    assert resolve_model_path(DEFAULT_MODEL) == Path(DEFAULT_MODEL)
    assert resolve_model_path("gp-lite-x4x") == Path("gp-lite-x4x")
    with pytest.raises(LeukoInputError, match="not a pretrained model"):
        leuko_keras.pretrained("gp-lite-x5")


def test_predict_uses_the_default_pretrained_model_when_none_is_named(tmp_path):
    rgb = (np.random.default_rng(1).random((20, 24, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "cell.png")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "cell.png"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "(pretrained)" in result.stdout
    scale = model_card(DEFAULT_MODEL)["scale"]
    sr = Image.open(tmp_path / "out" / "cell_sr.png")
    assert sr.size == (24 * scale, 20 * scale) and sr.mode == "RGB"


def test_unknown_model_name_is_one_line_exit_2(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "a.png"), "-m", "gp-lite-x5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "gp-lite-x4" in result.output and "Traceback" not in result.output


def test_evaluate_and_models_take_the_names():
    result = CliRunner().invoke(app, ["evaluate", "-m", DEFAULT_MODEL, "--synthetic-count", "10"])
    assert result.exit_code == 0, result.output
    assert "(pretrained)" in result.stdout and "Bicubic" in result.stdout
    listing = CliRunner().invoke(app, ["models", "--no-flops"])
    assert listing.exit_code == 0, listing.output
    for name in SHIPPED:
        assert name in listing.stdout
        assert f"{model_card(name)['heldout']['cellavision']['gain_db']:+.2f}" in listing.stdout


def test_export_takes_a_pretrained_name_and_writes_builtin_only_tflite(tmp_path):
    out = tmp_path / "export"
    args = ["export", DEFAULT_MODEL, "--out", str(out), "--tflite", "--quantize", "fp32", "--input-size", "64"]
    result = CliRunner().invoke(app, [*args, "--parity-images", "2"])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["model"]["name"] == model_card(DEFAULT_MODEL)["model"]
    card = model_card(DEFAULT_MODEL)
    assert meta["hr_multiple"] == (4 * card["scale"] if "mask" in card["outputs"] else 1)
    assert (out / "model_fp32.tflite").is_file()
