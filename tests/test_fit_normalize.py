"""``fit --normalize``: applied to training and validation images, recorded, and reused by predict/evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tifffile
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.examples import load_examples
from leuko_keras.data.normalize import from_config
from leuko_keras.data.source import DataSource

RUNNER = CliRunner()
TINY = ["--model", "np-lite", "--setting", "filters=8", "--setting", "blocks=1", "--epochs", "1", "--scale", "2"]
TINY += ["--steps-per-epoch", "2", "--size", "32", "--batch-size", "2", "--no-tensorboard", "--quiet"]


def _invoke(*args):
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result, result.stdout + (result.stderr or "")


def _twelve_bit_cells(folder: Path, count: int = 10) -> Path:
    """Synthetic cells as 12-bit data in 16-bit TIFFs (a camera's files): values 0..4095 of 65535."""
    from leuko_keras.synth import generate

    folder.mkdir()
    for index, cell in enumerate(generate(count, size=64, seed=3)):
        twelve = np.rint(cell.rgb.astype(np.float64) * 4095 / 255).astype(np.uint16)
        tifffile.imwrite(folder / f"cell_{index:02d}.tif", twelve, photometric="rgb")
    return folder


def test_the_data_layer_puts_12bit_files_in_network_units(tmp_path):
    data = _twelve_bit_cells(tmp_path / "cells", count=4)
    plain = load_examples(data, 2, split="all")
    twelve = load_examples(DataSource(data, normalize="bits=12"), 2, split="all")
    # Divided by 65535 the cells reach the network at 1/16 of their brightness; bits=12 undoes that.
    assert max(float(e.hr_rgb.max()) for e in plain) < 0.07
    assert max(float(e.hr_rgb.max()) for e in twelve) > 0.8
    for a, b in zip(plain, twelve, strict=True):
        np.testing.assert_allclose(b.hr_rgb, a.hr_rgb * 65535 / 4095, rtol=1e-5, atol=1e-6)
        # The LR is made from the normalised image and holds 12-bit levels (what a 12-bit file gives).
        levels = b.lr_rgb * 4095
        assert np.max(np.abs(levels - np.rint(levels))) < 1e-3


def test_fit_records_the_rule_and_predict_and_evaluate_reuse_it(tmp_path):
    data = _twelve_bit_cells(tmp_path / "cells")
    run = tmp_path / "run"
    result, out = _invoke("fit", "--data", data, "--out", run, "--normalize", "bits=12", *TINY)
    assert result.exit_code == 0, out
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["normalize"] == "bits=12"
    assert config["normalize"]["spec"] == "bits=12"  # top level: what predict, evaluate and export read
    assert from_config(config).bits == 12
    image = tmp_path / "one.tif"
    tifffile.imwrite(image, tifffile.imread(data / "cell_00.tif")[:32, :32])
    outputs = {}
    for name, extra in (("recorded", []), ("explicit", ["--normalize", "bits=12"]), ("container", ["--normalize", ""])):
        result, out = _invoke("predict", image, "-m", run, "-o", tmp_path / name, "--no-progress", *extra)
        assert result.exit_code == 0, out
        outputs[name] = tifffile.imread(tmp_path / name / "one_sr.tif")
    # No flag: the run's rule, exactly as if the user had given it; a flag still wins.
    np.testing.assert_array_equal(outputs["recorded"], outputs["explicit"])
    assert outputs["recorded"].max() <= 4095 and outputs["recorded"].max() > 2000  # back in 12-bit units
    assert not np.array_equal(outputs["recorded"], outputs["container"])
    result, out = _invoke(
        "evaluate", "--data", data, "-m", "bicubic", "-m", run, "--split", "all", "--json", tmp_path / "e.json"
    )
    assert result.exit_code == 0, out
    assert "Input normalised by bits=12" in out
    scores = json.loads((tmp_path / "e.json").read_text())
    assert scores["protocol"]["normalize"].startswith("bits=12")
    assert scores["results"][0]["psnr"] > 25  # bicubic in network units, not on 1/16-bright images


def test_a_resume_keeps_the_rule_and_a_conflicting_one_is_refused(tmp_path):
    data = _twelve_bit_cells(tmp_path / "cells", count=6)
    run = tmp_path / "run"
    assert _invoke("fit", "--data", data, "--out", run, "--normalize", "bits=12", *TINY)[0].exit_code == 0
    from leuko_keras.training import resume_config

    assert resume_config(run).normalize == "bits=12"
    result, out = _invoke("fit", "--out", run, "--resume", "--normalize", "bits=14")
    assert result.exit_code == 2 and "--normalize" in out and "Traceback" not in out
    result, out = _invoke("fit", "--data", data, "--out", tmp_path / "bad", "--normalize", "bits=8", *TINY)
    assert result.exit_code == 2 and "do not fit in 8 bits" in out and "Traceback" not in out
