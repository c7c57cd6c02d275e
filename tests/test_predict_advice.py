"""`predict` says which images its model was made for, and hints at the real-optics model on blurred input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PIL import Image
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
    # Never the other way round: noise can make a blurred image look sharp (see blur_hint).
    assert blur_hint("x.png", y_clean, real_model) is None


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


def test_predict_without_a_model_runs_the_real_optics_default(tmp_path):
    from leuko_keras.runs.presets import DEFAULT_MODEL, purpose

    assert DEFAULT_MODEL == "gp-lite-real-x4" and "real optics" in purpose(DEFAULT_MODEL)
    _, blurred = _lr_pair(128)
    write_image(tmp_path / "cell.png", blurred)
    default = CliRunner().invoke(app, ["predict", str(tmp_path / "cell.png"), "--out", str(tmp_path / "a")])
    named = CliRunner().invoke(
        app, ["predict", str(tmp_path / "cell.png"), "-m", DEFAULT_MODEL, "--out", str(tmp_path / "b")]
    )
    assert default.exit_code == 0 and named.exit_code == 0, default.output + named.output
    assert "trained for real optics" in default.stdout
    for kind in ("sr", "labels"):
        a = np.asarray(Image.open(tmp_path / "a" / f"cell_{kind}.png"))
        b = np.asarray(Image.open(tmp_path / "b" / f"cell_{kind}.png"))
        assert a.shape == (128, 128, 3)[: a.ndim] and np.array_equal(a, b)
    # ... and it is not the clean-LR model: that one gives another image.
    CliRunner().invoke(app, ["predict", str(tmp_path / "cell.png"), "-m", "gp-lite-x4", "--out", str(tmp_path / "c")])
    clean = np.asarray(Image.open(tmp_path / "c" / "cell_sr.png"))
    assert not np.array_equal(clean, np.asarray(Image.open(tmp_path / "a" / "cell_sr.png")))


def test_a_routed_folder_runs_the_clean_lr_model_on_sharp_images(tmp_path):
    import json
    import shutil

    from leuko_keras.predict.backends import load_backend
    from leuko_keras.predict.routing import RoutedBackend
    from leuko_keras.runs.presets import pretrained_dir

    routed_dir = tmp_path / "routed"
    shutil.copytree(pretrained_dir("gp-lite-real-x4"), routed_dir)
    (routed_dir / "router.json").write_text(json.dumps({"sharp": "gp-lite-x4", "limit": -2.4}))
    backend = load_backend(routed_dir)
    assert isinstance(backend, RoutedBackend) and backend.degradation["kind"] == "real"
    assert not isinstance(load_backend("gp-lite-real-x4"), RoutedBackend)  # the shipped default runs one network
    clean, blurred = _lr_pair(128)
    assert backend.for_image(clean.mean(axis=-1)) is backend.sharp
    assert backend.for_image(blurred.mean(axis=-1)) is backend.blurred
    write_image(tmp_path / "sharp.png", clean)
    for out, model in (("a", str(routed_dir)), ("b", "gp-lite-x4")):
        args = ["predict", str(tmp_path / "sharp.png"), "-m", model, "--out", str(tmp_path / out), "--no-progress"]
        assert CliRunner().invoke(app, args).exit_code == 0
    same = [np.asarray(Image.open(tmp_path / o / "sharp_sr.png")) for o in ("a", "b")]
    assert np.array_equal(*same)


def test_a_router_needs_two_models_of_one_scale(tmp_path):
    import json

    import pytest

    from leuko_keras.errors import LeukoInputError
    from leuko_keras.predict.backends import BicubicBackend
    from leuko_keras.predict.routing import RoutedBackend, read_router

    with pytest.raises(LeukoInputError, match="x8"):
        RoutedBackend(BicubicBackend(4), BicubicBackend(8))
    (tmp_path / "router.json").write_text(json.dumps({"limit": -2.4}))
    with pytest.raises(LeukoInputError, match=r"router\.json"):
        read_router(tmp_path)
