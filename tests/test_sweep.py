"""The degradation sweep (benchmarks/robustness.py --sweep): cells are fixed chains, scored against bicubic."""

from __future__ import annotations

import json

import numpy as np

from leuko_keras.data.degradations import apply_degradation
from leuko_keras.evaluation.sweep import cell_record, inside_training, main


def test_a_cell_is_one_fixed_chain_and_noise_and_jpeg_change_it():
    hr = np.random.default_rng(0).random((64, 64, 3))
    quiet, used = apply_degradation(hr, 4, cell_record(0.45, 0.5, "none", "none"), np.random.default_rng(0))
    again, _ = apply_degradation(hr, 4, cell_record(0.45, 0.5, "none", "none"), np.random.default_rng(9))
    assert used["psf"] == "pupil" and used["linear"] and used["sampling"] == "area" and not used["clean"]
    assert np.array_equal(quiet, again)  # nothing random left without noise
    noisy, _ = apply_degradation(hr, 4, cell_record(0.45, 0.5, "dim", "none"), np.random.default_rng(0))
    coded, _ = apply_degradation(hr, 4, cell_record(0.45, 0.5, "none", "q60"), np.random.default_rng(0))
    assert not np.array_equal(quiet, noisy) and not np.array_equal(quiet, coded)


def test_inside_training_reads_the_models_recorded_ranges():
    from leuko_keras.data.degradations import degradation_record

    real = degradation_record("real", na=[0.2, 0.9])
    row = {"trained_on": real, "na": 0.1, "defocus": 0.0, "noise": "none", "jpeg": "none"}
    assert not inside_training(row)
    assert inside_training({**row, "na": 0.45, "noise": "dim", "jpeg": "q60"})
    assert not inside_training({**row, "na": 0.45, "trained_on": {"kind": "bicubic"}})


def test_sweep_end_to_end_on_synthetic_cells(synth_dir, tmp_path):
    out = tmp_path / "sweep"
    args = ["--sweep", "--test-data", str(synth_dir), "--scales", "4", "--run", "lite=gp-lite-x4"]
    args += ["--nas", "0.3", "0.9", "--defocus", "0", "--noise", "none", "--jpeg", "none", "--out", str(out)]
    assert main(args) == 0
    rows = json.loads((out / "sweep.json").read_text())
    assert len(rows) == 2 and {r["na"] for r in rows} == {0.3, 0.9}
    # Sharper optics leave more for bicubic to get right.
    by_na = {r["na"]: r for r in rows}
    assert by_na[0.9]["bicubic_psnr"] > by_na[0.3]["bicubic_psnr"]
    assert "Worst cell" in (out / "sweep.md").read_text() and (out / "sweep_4.png").stat().st_size > 1000
