"""Kill -9 storm: a small real run (library data pipeline, random crops, shuffles, flips) killed at random
points several times, each followed by --resume, ends with the history and weights of an unbroken run."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent
EPOCHS = 6

DRIVER = """
import sys
sys.path.insert(0, sys.argv[1])
import storm_setup as s
s.run(sys.argv[2], resume=sys.argv[3] == "resume")
"""


def _backup_epoch(run: Path) -> int:
    try:
        return json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def _rows(run: Path) -> list[dict[str, float]]:
    rows = list(csv.DictReader((run / "history.csv").open()))
    return [{k: float(v) for k, v in row.items() if k != "seconds" and v} for row in rows]


def _start(run: Path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(TESTS), str(run), mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_random_kills_then_resume_end_like_an_unbroken_run(tmp_path: Path) -> None:
    import storm_setup
    from helpers import weights_of

    reference = tmp_path / "unbroken"
    storm_setup.run(reference)

    run = tmp_path / "stormed"
    rng = random.Random(13)
    kills, mode = 0, "start"
    while kills < 3:
        # Past the epoch we are at, then a random moment inside the next epoch or its saves.
        target = min(_backup_epoch(run) + rng.randint(1, 2), EPOCHS - 1)
        proc = _start(run, mode)
        try:
            deadline = time.monotonic() + 240
            while _backup_epoch(run) < target:
                assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the run made no progress"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
        if proc.returncode != -signal.SIGKILL:
            break  # it finished before the kill landed: nothing more to storm
        kills, mode = kills + 1, "resume"
    assert kills >= 2
    final = _start(run, "resume")
    output = final.communicate(timeout=300)[0].decode()
    assert final.returncode == 0, output[-3000:]

    got, want = _rows(run), _rows(reference)
    assert [r["epoch"] for r in got] == [float(e) for e in range(1, EPOCHS + 1)]
    for row, expected in zip(got, want, strict=True):
        assert row.keys() == expected.keys()
        for key in row:
            assert np.isclose(row[key], expected[key], rtol=1e-4, atol=1e-6), (row["epoch"], key)
    for a, b in zip(weights_of(run / "last.keras"), weights_of(reference / "last.keras"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert len(json.loads((run / "config.json").read_text())["resumed"]) == kills
    # Nothing of ours left behind: no lock, no temporaries.
    leftovers = [p.name for p in run.rglob(".*")]
    assert leftovers == [], leftovers
