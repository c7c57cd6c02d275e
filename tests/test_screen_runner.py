"""The device runner's ``--screen`` and the library's ``screen`` agree on one synthetic field.

The shipped gp-lite-x4 is exported here to a fixed-shape fp32 TFLite file (as tests/test_export_runner.py
exports its tiny model): a random tiny model finds no cells, and a test that compares two empty tables
would prove nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import synthetic_field
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.runtime.imageio import write_image
from leuko_keras.runtime.run import main as run_main
from leuko_keras.runtime.tiling import default_tile

SCALE = 4


@pytest.fixture(scope="module")
def shipped_tflite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from leuko_keras.deploy.savedmodel import float32_model, write_savedmodel
    from leuko_keras.deploy.tflite import convert_savedmodel, embed_metadata
    from leuko_keras.runs.model_io import load_run

    model, _ = load_run("gp-lite-x4", compile=False)
    model = float32_model(model)  # shipped in bfloat16; TFLite has no bfloat16 kernels
    folder = tmp_path_factory.mktemp("tflite")
    tile = default_tile(SCALE)  # the tile the runner uses, so field tiles need no padding
    write_savedmodel(model, folder / "sm", (1, tile, tile, 1))
    path = folder / "model_fp32.tflite"
    path.write_bytes(
        embed_metadata(convert_savedmodel(folder / "sm", "fp32"), {"scale": SCALE, "tile_alignment_lr": 4})
    )
    return path


def rows(out: Path) -> list[dict]:
    with open(out / "cells.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_runner_and_library_write_the_same_cells(shipped_tflite: Path, tmp_path: Path, capsys) -> None:
    field, centres = synthetic_field([(20, 30), (300, 600)])
    write_image(tmp_path / "field.png", field)
    code = run_main([str(shipped_tflite), "--screen", str(tmp_path / "field.png"), "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    # The library with the same TFLite file: the same code, so the same table, to the digit.
    result = CliRunner().invoke(
        app, ["screen", str(tmp_path / "field.png"), "--out", str(tmp_path / "lib"), "--model", str(shipped_tflite)]
    )
    assert result.exit_code == 0, result.output
    device, library = rows(tmp_path / "run"), rows(tmp_path / "lib")
    assert device == library and len(device) == len(centres)
    # The library with the Keras model: the same cells and boxes; measures within what fp32 graphs and the
    # crops' padding (the TFLite input is fixed, so a crop is padded to a whole tile) can move.
    keras_out = str(tmp_path / "keras")
    result = CliRunner().invoke(app, ["screen", str(tmp_path / "field.png"), "--out", keras_out, "-m", "gp-lite-x4"])
    assert result.exit_code == 0, result.output
    keras_rows = rows(tmp_path / "keras")
    assert [(r["x0"], r["y0"], r["x1"], r["y1"]) for r in keras_rows] == [
        (r["x0"], r["y0"], r["x1"], r["y1"]) for r in device
    ]
    for mine, theirs in zip(keras_rows, device, strict=True):
        assert float(mine["nucleus_area"]) == pytest.approx(float(theirs["nucleus_area"]), rel=0.08)
        assert float(mine["nc_ratio"]) == pytest.approx(float(theirs["nc_ratio"]), abs=0.05)
