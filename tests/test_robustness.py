"""benchmarks/robustness.py end to end at a tiny size: trains, scores each run on each degradation, writes."""

from __future__ import annotations

import json

from benchmarks import robustness


def test_robustness_matrix_end_to_end(tmp_path, capsys):
    out = tmp_path / "rob"
    tiny = ["--scales", "2", "--models", "gp-lite", "--degradations", "bicubic", "microscope", "--epochs", "1"]
    tiny += ["--train-on", "microscope"]  # one tiny training run keeps this test short
    tiny += ["--steps-per-epoch", "1", "--size", "32", "--batch-size", "2", "--synthetic-count", "10"]
    tiny += ["--setting", "filters=8", "--setting", "blocks=1", "--setting", "prior_base=4", "--precision", "fp32"]
    assert robustness.main([*tiny, "--out", str(out)]) == 0
    report = json.loads((out / "robustness.json").read_text())
    rows = report["rows"]
    # 2 test degradations x (bicubic baseline + 1 run).
    assert len(rows) == 4
    cells = {(r["model"], r["trained_on"], r["tested_on"]): r for r in rows}
    for tested in ("bicubic", "microscope"):
        base = cells[("bicubic", None, tested)]
        for trained in ("microscope",):
            row = cells[("gp-lite", trained, tested)]
            assert row["n_images"] == base["n_images"] >= 1
            gain = row["gain_over_bicubic"]
            assert gain["low"] <= gain["mean"] <= gain["high"]
            # The gain is paired against bicubic upscaling of the same LR input.
            assert abs(gain["mean"] - (row["psnr"] - base["psnr"])) < 1e-6
            assert set(row["dice"]) == {"background", "cytoplasm", "nucleus"}
    # The test LR differs by degradation: bicubic upscaling scores differently on each.
    assert cells[("bicubic", None, "bicubic")]["psnr"] != cells[("bicubic", None, "microscope")]["psnr"]
    config = json.loads((out / "runs" / "gp-lite_microscope_x2" / "config.json").read_text())
    assert config["degradation"]["kind"] == "microscope" and isinstance(config["degradation"]["na"], list)
    text = (out / "robustness.md").read_text()
    assert "trained on \\ tested on" in text and "Map Dice" in text and "microscope: airy PSF" in text
    # Re-running reuses the finished runs (no training line printed).
    capsys.readouterr()
    assert robustness.main([*tiny, "--out", str(out)]) == 0
    assert "training gp-lite" not in capsys.readouterr().out


def _cells_folder(folder, seed):
    from leuko_keras.runtime.imageio import write_image
    from leuko_keras.synth import generate

    folder.mkdir()
    for index, cell in enumerate(generate(10, size=48, seed=seed)):
        write_image(folder / f"c{index:02d}.png", cell.rgb / 255.0)
    return folder


def test_robustness_scores_given_runs_on_each_test_folder(tmp_path, capsys):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    first, second = _cells_folder(tmp_path / "first", 1), _cells_folder(tmp_path / "second", 2)
    run = tmp_path / "np_micro"
    fit = ["fit", "--data", str(first), "--out", str(run), "--model", "np-lite", "--setting", "filters=8"]
    fit += ["--setting", "blocks=1", "--epochs", "1", "--steps-per-epoch", "1", "--size", "32", "--batch-size", "2"]
    fit += ["--scale", "2", "--degradation", "microscope", "--degradation-range", "--no-tensorboard", "--quiet"]
    result = CliRunner().invoke(app, fit)
    assert result.exit_code == 0, result.output
    out = tmp_path / "rob"
    args = ["--run", f"np-lite:microscope:2={run}", "--test-data", str(first), "--test-data", str(second)]
    args += ["--degradations", "bicubic", "microscope", "--minutes", "99", "--out", str(out)]
    capsys.readouterr()
    assert robustness.main(args) == 0
    printed = capsys.readouterr().out
    assert "training np-lite" not in printed  # reused, not trained
    rows = json.loads((out / "robustness.json").read_text())["rows"]
    # Per test folder: 2 test degradations x (bicubic baseline + the given run), at the run's scale only.
    assert {r["test_data"] for r in rows} == {str(first), str(second)} and len(rows) == 8
    assert {r["scale"] for r in rows} == {2}
    text = (out / "robustness.md").read_text()
    assert f"## Tested on {first}" in text and f"## Tested on {second}" in text
    # The run's data and budget come from its own files, not from this script's --minutes or --data.
    line = next(row for row in text.splitlines() if row.startswith("| np-lite on microscope x2 |"))
    assert str(first) in line and "| microscope (ranges) | - | 1 |" in line and "99" not in line
    for bad, message in (
        (f"np-lite:fog:2={run}", "MODEL:KIND:SCALE=RUN_DIR"),
        (f"np-lite:microscope:4={run}", "not x4 on microscope"),
        (f"np-lite:bicubic:2={tmp_path / 'none'}", "not a finished run"),
    ):
        assert robustness.main(["--run", bad, "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
