"""kill -9 in the middle of a real run, then `fit --resume`: no completed epoch is lost or trained twice."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent

DRIVER = """
import sys
sys.path.insert(0, sys.argv[1])
import helpers as t
from leuko_keras.training import fit
fit(t.tiny_config(sys.argv[2], epochs=8, steps_per_epoch=8), t.hooks(), printer=lambda line: print(line, flush=True))
"""


def _history(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run / "history.csv").open()))


def _backup_epoch(run: Path) -> int:
    try:
        return json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def test_sigkill_then_resume_loses_no_completed_epoch(tmp_path):
    from helpers import hooks, weights_of

    from leuko_keras.training import fit, resume_config

    run = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(TESTS), str(run)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 150
        while _backup_epoch(run) < 2:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the run never completed two epochs"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # mid-epoch 3, or while it saves: either must be safe
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    completed = _backup_epoch(run)
    assert completed >= 2
    before = {row["epoch"]: row for row in _history(run)}
    # The model files are whole, never torn, whatever the moment of the kill.
    assert all(np.isfinite(w).all() for w in weights_of(run / "last.keras"))

    result = fit(resume_config(run, epochs=completed + 2), hooks())
    assert result.status == "completed" and result.epochs_completed == completed + 2
    rows = _history(run)
    assert [int(r["epoch"]) for r in rows] == list(range(1, completed + 3))
    for row in rows[:completed]:
        # Completed epochs were restored, not trained again: their rows are untouched.
        assert row == before[row["epoch"]]
    assert _backup_epoch(run) == completed + 2
    assert len(json.loads((run / "config.json").read_text())["resumed"]) == 1
