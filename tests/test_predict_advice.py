"""`predict` says which images its model was made for, and hints at the real-optics model on blurred input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.degradations import apply_degradation, degradation_record
from leuko_keras.predict.advice import blur_hint, family, trained_for
from leuko_keras.runtime.imageio import write_image
from leuko_keras.synth import generate


def _lr_pair(size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    hr = generate(1, size=size, seed=5)[0].rgb / 255.0
    clean, _ = apply_degradation(hr, 4, degradation_record("bicubic"), None)
    record = degradation_record("microscope", photons_per_level=None, read_noise_e=0.0, na=0.3)
    blurred, _ = apply_degradation(hr, 4, record, np.random.default_rng(0))
    return clean, blurred


def test_family_and_phrase_come_from_the_training_record():
    bicubic_model = SimpleNamespace(source="runs/a", degradation=None, scale=4)
    real_model = SimpleNamespace(source="runs/b", degradation={"kind": "real"}, scale=4)
    assert family(bicubic_model) == "bicubic" and family(real_model) == "real"
    assert "clean LR" in trained_for(bicubic_model) and "real optics" in trained_for(real_model)


def test_hint_only_for_a_clean_lr_model_on_blurred_input():
    clean, blurred = _lr_pair()
    bicubic_model = SimpleNamespace(source="runs/a", degradation=None, scale=4)
    real_model = SimpleNamespace(source="runs/b", degradation={"kind": "real"}, scale=4)
    y_clean, y_blurred = clean.mean(axis=-1), blurred.mean(axis=-1)
    assert blur_hint("x.png", y_clean, bicubic_model) is None
    assert "--model gp-lite-real-x4" in blur_hint("x.png", y_blurred, bicubic_model)
    assert blur_hint("x.png", y_blurred, real_model) is None
    # The other way round: a sharp image for the real-optics model points at the clean-LR model.
    assert "--model gp-lite-x4" in blur_hint("x.png", y_clean, real_model)


def test_predict_prints_the_assumption_and_the_hint(tmp_path):
    clean, blurred = _lr_pair()
    write_image(tmp_path / "sharp.png", clean)
    write_image(tmp_path / "soft.png", blurred)
    args = ["predict", str(tmp_path / "sharp.png"), str(tmp_path / "soft.png"), "-m", "gp-lite-x4"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "trained for clean LR" in result.stdout and "2 done" in result.stdout
    hints = [line for line in result.stderr.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1 and "soft.png" in hints[0] and "gp-lite-real-x4" in hints[0]
