"""Saving and loading (.keras, fresh process, run folders) and super_resolve's pad-and-crop."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import leuko_keras
from leuko_keras.errors import LeukoInputError
from leuko_keras.models.inference import super_resolve
from leuko_keras.runs.model_io import load_model_any
from leuko_keras.runtime.imresize import imresize

TINY = {
    "gp": {"filters": 8, "unet_base": 4},
    "np": {"filters": 8},
    "srcnn": {},
    "vdsr": {"depth": 4, "filters": 8},
    "srresnet": {"blocks": 1, "filters": 8},
    "srgan": {"blocks": 1, "d_filters": 8},
    "sftgan": {"blocks": 1, "d_filters": 8, "unet_base": 4},
}
LR = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)


def _build(name, scale=4, compiled=True):
    model = leuko_keras.build_model(name, scale=scale, **TINY[name])
    if compiled:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            leuko_keras.compile_model(model)
    return model


def _perturb(model):
    # Fresh biases are zero; random weights everywhere make "same outputs" a real check.
    rng = np.random.default_rng(1)
    model.set_weights([w + 0.01 * rng.standard_normal(w.shape).astype(w.dtype) for w in model.get_weights()])


@pytest.mark.parametrize("name", list(TINY))
def test_save_and_load_give_identical_outputs(name, tmp_path):
    model = _build(name)
    _perturb(model)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = keras.models.load_model(path)
    before, after = model.predict(LR, verbose=0), loaded.predict(LR, verbose=0)
    assert set(before) == set(after)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
    assert type(loaded) is type(model) and loaded.name == model.name


def test_fresh_process_loads_with_only_import_leuko_keras(tmp_path):
    for name in ("gp", "srgan"):
        model = _build(name)
        _perturb(model)
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.npy", model.predict(LR, verbose=0)["sr"])
    np.save(tmp_path / "lr.npy", LR)
    script = (
        "import sys, numpy as np, keras, leuko_keras\n"
        "d = sys.argv[1]\n"
        "for name in ('gp', 'srgan'):\n"
        "    m = keras.models.load_model(f'{d}/{name}.keras')\n"
        "    out = m.predict(np.load(f'{d}/lr.npy'), verbose=0)['sr']\n"
        "    assert np.array_equal(out, np.load(f'{d}/{name}.npy')), name\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_load_model_any_reads_files_and_run_folders(tmp_path):
    model = _build("np", compiled=False)
    model.save(tmp_path / "model.keras")
    run = tmp_path / "run"
    run.mkdir()
    model.save(run / "best.keras")
    (run / "config.json").write_text(json.dumps({"model": "np", "scale": 4}))
    loaded, config = load_model_any(tmp_path / "model.keras")
    assert config is None and loaded.name == "np_x4"
    loaded, config = load_model_any(run)
    assert config == {"model": "np", "scale": 4}
    np.testing.assert_array_equal(loaded.predict(LR, verbose=0)["sr"], model.predict(LR, verbose=0)["sr"])


def test_load_model_any_refuses_bad_paths_naming_them(tmp_path):
    (tmp_path / "empty_run").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    for bad in ("missing.keras", "empty_run", "notes.txt", "broken.keras"):
        with pytest.raises(LeukoInputError, match=bad):
            load_model_any(tmp_path / bad)


def test_super_resolve_pads_and_crops_for_the_unet():
    lr = np.random.default_rng(2).random((9, 13)).astype(np.float32)
    gp = _build("gp", compiled=False)
    sr, probs = super_resolve(gp, lr)
    assert sr.shape == (36, 52) and sr.dtype == np.float32
    assert probs.shape == (36, 52, 3) and np.allclose(probs.sum(-1), 1.0, atol=1e-5)
    # With the SR head zeroed GP returns its in-graph bicubic: symmetric padding keeps it MATLAB-exact.
    head = gp.get_layer("sr_residual")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    sr, _ = super_resolve(gp, lr)
    assert np.abs(sr - imresize(lr, 4)).max() < 1e-6
    # Sizes that need no padding give exactly model.predict.
    even = lr[:8, :12]
    direct = gp.predict(even[None, :, :, None], verbose=0)
    sr, probs = super_resolve(gp, even)
    np.testing.assert_array_equal(sr, direct["sr"][0, :, :, 0])
    np.testing.assert_array_equal(probs, direct["mask"][0])


def test_super_resolve_works_for_lr_networks_and_refuses_colour():
    model = _build("srresnet", scale=8, compiled=False)
    sr, probs = super_resolve(model, np.full((5, 7), 0.5, np.float32))
    assert sr.shape == (40, 56) and probs is None
    with pytest.raises(LeukoInputError, match="luminance"):
        super_resolve(model, np.zeros((5, 7, 3), np.float32))
