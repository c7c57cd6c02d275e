"""bioimage.io export: a package from a tiny trained GP passes bioimageio.spec validation and bioimageio.core's
test-tensor check (the libraries' own code, not a re-implementation), and its numbers match the Keras model."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from leuko_keras.cli import app

pytest.importorskip("bioimageio.core", reason="bioimageio.core is in the test extra (requirements-dev.txt)")

SCALE = 4


@pytest.fixture(autouse=True, scope="module")
def _restore_environment():
    """bioimageio.core's test_model sets TF_ENABLE_ONEDNN_OPTS=0 in os.environ (its determinism recipe).

    Left there, every subprocess a later test starts computes with other CPU kernels than this
    process, and bit-exact comparisons across processes (test_models_io) fail.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as `fit` leaves it: a GP shrunk to seconds, trained for 2 steps, config and summary."""
    import keras

    from leuko_keras.models.compile import compile_model
    from leuko_keras.models.registry import build_model
    from leuko_keras.protocol.degrade import make_lr
    from leuko_keras.synth import generate

    keras.utils.set_random_seed(0)
    settings = dict(filters=8, lr_blocks=1, mask_blocks=1, decoder_blocks=1, unet_base=4)
    model = compile_model(build_model("gp", scale=SCALE, **settings), jit_compile=False)
    cells = generate(4, size=32, seed=1)
    hr = np.stack([c.rgb.mean(-1) / 255.0 for c in cells]).astype("float32")[..., None]
    lr = np.stack([make_lr(h[..., 0], SCALE) for h in hr]).astype("float32")[..., None]
    masks = np.eye(3, dtype="float32")[np.stack([c.labels for c in cells])]
    model.fit(lr, {"sr": hr, "mask": masks}, batch_size=2, epochs=1, verbose=0)
    run = tmp_path_factory.mktemp("bio") / "run"
    run.mkdir()
    model.save(run / "best.keras")
    config = {"model": "gp", "scale": SCALE, "seed": 0, "settings": {"model_settings": settings, "epochs": 1}}
    (run / "config.json").write_text(json.dumps(config))
    summary = {"images": 4, "scale": SCALE, "model": {"psnr": 27.5, "ssim": 0.81}, "bicubic": {"psnr": 27.9}}
    (run / "summary.json").write_text(json.dumps(summary))
    return run


@pytest.fixture(scope="module")
def package(run_dir: Path) -> tuple[Path, str]:
    out = run_dir.parent / "gp_x4.bioimageio.zip"
    result = CliRunner().invoke(app, ["export", str(run_dir), "--bioimageio", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def _load_rdf(path: Path):
    from bioimageio.spec import load_description

    return load_description(path, perform_io_checks=True)


def _gain(tensor) -> float:
    # The library adds ensure_dtype steps around ours; find the scale_linear one.
    (step,) = [p for p in tensor.preprocessing if p.id == "scale_linear"]
    return float(step.kwargs.gain)


def test_package_passes_bioimageio_spec_validation(package: tuple[Path, str]) -> None:
    from bioimageio.spec import InvalidDescr, load_description

    descr = load_description(package[0], perform_io_checks=True)
    summary = descr.validation_summary
    assert not isinstance(descr, InvalidDescr), summary.format()
    assert summary.status != "failed" and not summary.errors, summary.format()
    assert descr.weights.tensorflow_saved_model_bundle is not None


def test_package_passes_bioimageio_core_test_tensor_check(
    package: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bioimageio.core import test_model

    monkeypatch.chdir(tmp_path)  # bioimageio.core unzips the weights into the working folder
    summary = test_model(package[0])
    assert summary.status == "passed", summary.format()
    names = [detail.name for detail in summary.details if detail.status == "passed"]
    assert any("Reproduce test outputs" in name for name in names)


def test_package_equals_the_keras_model_and_says_so(package: tuple[Path, str], run_dir: Path) -> None:
    from leuko_keras.deploy.bioimageio import keras_reference
    from leuko_keras.runs.model_io import load_model_any

    path, output = package
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        rdf_text = archive.read("rdf.yaml").decode()
        test_in = np.load(io.BytesIO(archive.read("test_input.npy")))
        test_out = np.load(io.BytesIO(archive.read("test_output.npy")))
        readme = archive.read("README.md").decode()
    assert {"rdf.yaml", "saved_model.zip", "README.md", "cover.png", "test_input.npy", "test_output.npy"} <= names
    assert test_in.shape[-1] == 3 and test_out.shape == (1, test_in.shape[1] * 4, test_in.shape[2] * 4, 6)
    model, _ = load_model_any(run_dir, compile=False)
    sr, probs = keras_reference(model, test_in[0] / 255.0, SCALE, "rgb")
    psnr = 10 * np.log10(255.0**2 / np.mean((test_out[0, ..., :3] - sr * 255.0) ** 2))
    assert psnr >= 60.0  # the packaged graph is the Keras pipeline (Y net, bicubic chroma, merge)
    np.testing.assert_allclose(test_out[0, ..., 3:], probs, atol=1e-4)
    reported = float(re.search(r"test tensors vs Keras PSNR ([0-9.]+) dB", output).group(1))
    assert reported >= 60.0
    assert "# Validation" in readme and "10.1016/j.micron.2018.01.010" in rdf_text
    assert "channel_names" in rdf_text and "nucleus" in rdf_text and "scale: 0.25" in rdf_text


def test_rdf_records_sizes_normalisation_metrics_and_training(package: tuple[Path, str]) -> None:
    descr = _load_rdf(package[0])
    (inp,) = descr.inputs
    (out,) = descr.outputs
    y_axis = next(a for a in inp.axes if str(a.id) == "y")
    assert (y_axis.size.min, y_axis.size.step) == (16, 4)  # LR multiple of 4 at x4 keeps the U-Net's 16
    assert float(next(a for a in out.axes if str(a.id) == "y").scale) == pytest.approx(0.25)
    assert _gain(inp) == pytest.approx(1 / 255)
    config = descr.config.model_dump()["leuko_keras"]
    assert config["normalize"]["spec"] == "container" and config["psnr_test_tensor_vs_keras_db"] >= 60
    assert config["heldout_metrics"]["model"]["psnr"] == 27.5 and config["training"]["epochs"] == 1


def test_luminance_variant_with_12_bits_is_valid_too(run_dir: Path, tmp_path: Path) -> None:
    from bioimageio.spec import InvalidDescr, load_description

    from leuko_keras.data.normalize import parse_normalize
    from leuko_keras.deploy.bioimageio import export_bioimageio_run

    out = tmp_path / "y12.zip"
    result = export_bioimageio_run(run_dir, out, normalize=parse_normalize("bits=12"), variant="y")
    descr = load_description(out, perform_io_checks=True)
    assert not isinstance(descr, InvalidDescr), descr.validation_summary.format()
    assert _gain(descr.inputs[0]) == pytest.approx(1 / 4095)
    assert result.psnr_db >= 60.0


def test_bad_package_requests_fail_in_one_line_and_write_nothing(run_dir: Path, tmp_path: Path) -> None:
    for args, message in [
        (["--bioimageio", str(tmp_path / "pkg.tar")], "pkg.tar: a bioimage.io package is a .zip file"),
        (["--bioimageio", str(tmp_path / "p.zip"), "--normalize", "percentile=1,99"], "percentile"),
        (["--bioimageio", str(tmp_path / "p.zip"), "--bioimageio-input", "cmyk"], "variant 'cmyk'"),
        ([], "nothing to write"),
    ]:
        result = CliRunner().invoke(app, ["export", str(run_dir), *args])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert list(tmp_path.iterdir()) == []
