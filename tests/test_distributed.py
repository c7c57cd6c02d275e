"""Multi-replica training: MirroredStrategy on 2 logical CPUs and MultiWorkerMirroredStrategy on 127.0.0.1.

Each runs in subprocesses: the logical-device split must precede TensorFlow's start, with
TF_ENABLE_ONEDNN_OPTS=0 (oneDNN's blocked kernels make CPU replicas disagree in the last bits).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent
ENV = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}

MIRRORED = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import helpers as t
from leuko_keras.training import fit
out = sys.argv[2]
hooks = t.hooks(compile_model=t.graph_compile)
common = dict(epochs=1, steps_per_epoch=2, batch_size=4, augment=False, seed=11)
two = fit(t.tiny_config(out + "/mirrored", devices="cpu:2", **common), hooks, printer=lambda s: None)
one = fit(t.tiny_config(out + "/single", devices="cpu", **common), hooks, printer=lambda s: None)
a, b = t.weights_of(out + "/mirrored/last.keras"), t.weights_of(out + "/single/last.keras")
config = json.load(open(out + "/mirrored/config.json"))
print("RESULT", json.dumps({
    "max_diff": max(float(np.max(np.abs(x - y))) for x, y in zip(a, b)),
    "max_step": max(float(np.max(np.abs(x))) for x in a),
    "replicas": config["strategy"]["replicas"], "kind": config["strategy"]["kind"],
    "status": [two.status, one.status]}))
"""

WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
import helpers as t
from leuko_keras.training import fit
result = fit(t.tiny_config(sys.argv[2], epochs=1, steps_per_epoch=2, batch_size=4, augment=False),
             t.hooks(compile_model=t.graph_compile), printer=lambda s: print(s, flush=True))
print("STATUS", result.status, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mirrored_two_cpus_matches_one_device(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(TESTS), str(tmp_path)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=240,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(line[7:])
    assert result["kind"] == "mirrored" and result["replicas"] == 2
    assert result["status"] == ["completed", "completed"]
    # Same global batch split over 2 replicas -> same update up to float32 summation order.
    assert result["max_diff"] < 1e-5, result


def test_multi_worker_two_processes_agree(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    run = tmp_path / "run"
    procs = []
    for index in range(2):
        env = {**ENV, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(TESTS), str(run)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=240)[0])
    finally:
        for proc in procs:
            proc.kill()
    for out in outputs:
        assert "STATUS completed" in out, out[-3000:]

    from helpers import weights_of

    chief = weights_of(run / "last.keras")
    other = weights_of(tmp_path / ".run.worker-1" / "last.keras")
    assert all(np.allclose(x, y, rtol=0, atol=1e-7) for x, y in zip(chief, other, strict=True))
    config = json.loads((run / "config.json").read_text())
    assert config["strategy"]["kind"] == "multi_worker" and config["strategy"]["replicas"] == 2
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 2 and "val_sr_psnr_y" in history[0]
    assert (run / "summary.json").is_file() and not (tmp_path / ".run.worker-1" / "summary.json").exists()
