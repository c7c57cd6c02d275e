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
