"""One fit per run folder (lock, stale-lock takeover) and a strict --resume (conflicting flags, damaged config)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import hooks, tiny_config
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.errors import LeukoInputError
from leuko_keras.training import fit, resume_config
from leuko_keras.training.runlock import LOCK_NAME

# RunLock's protocol (flock on RUN_DIR/.fit.lock holding "pid N on HOST") without importing the package, which
# would load TensorFlow: the holder is up in a blink.
HOLDER = """
import fcntl, os, socket, sys, time
os.makedirs(sys.argv[1], exist_ok=True)
fd = os.open(os.path.join(sys.argv[1], ".fit.lock"), os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\\n".encode())
print("locked", flush=True)
time.sleep(120)
"""


def _one_error_line(result, *words: str) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture()
def holder(tmp_path: Path):
    """A live process holding the lock of tmp_path/run."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "run")], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"locked"
    yield proc
    proc.kill()
    proc.wait()


def test_second_fit_on_a_locked_folder_is_refused_naming_the_holder(tmp_path: Path, holder) -> None:
    result = CliRunner().invoke(app, ["fit", "--out", str(tmp_path / "run"), "--epochs", "1"])
    _one_error_line(result, f"pid {holder.pid}", "another leuko-keras fit")
    with pytest.raises(LeukoInputError, match=f"pid {holder.pid}"):
        fit(tiny_config(tmp_path / "run"), hooks())
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]  # nothing else written


def test_a_lock_left_by_kill_9_is_taken_over_and_released_at_the_end(tmp_path: Path, holder) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / "run" / LOCK_NAME).is_file()  # the stale file is still there
    lines: list[str] = []
    result = fit(tiny_config(tmp_path / "run", epochs=1, steps_per_epoch=1), hooks(), printer=lines.append)
    assert result.status == "completed"
    assert f"took over the lock of a run that is gone (pid {holder.pid}" in lines[0]
    assert not (tmp_path / "run" / LOCK_NAME).exists()


def test_the_lock_is_released_when_a_run_fails(tmp_path: Path) -> None:
    def broken(config):
        raise RuntimeError("model builder crashed")

    with pytest.raises(RuntimeError):
        fit(tiny_config(tmp_path / "run"), hooks(build_model=broken))
    assert not (tmp_path / "run" / LOCK_NAME).exists()
    # A refused run leaves no folder it created behind.
    with pytest.raises(LeukoInputError, match="no run to resume"):
        fit(tiny_config(tmp_path / "new", resume=True), hooks())
    assert not (tmp_path / "new").exists()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resume") / "run"
    fit(tiny_config(folder, epochs=1, steps_per_epoch=1), hooks())
    return folder


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--scale", "3"], ["--scale 3", "scale 2"]),
        (["--model", "gp"], ["--model gp", "model tiny"]),
        (["--lr", "0.5"], ["--lr 0.5", "learning_rate 0.001"]),
        (["--data", "elsewhere"], ["--data elsewhere", "data None"]),
        (["--lr-decay"], ["--lr-decay"]),
        (["--setting", "filters=8"], ["--setting"]),
        (["--overwrite"], ["--overwrite"]),
    ],
)
def test_resume_refuses_a_flag_that_conflicts_with_the_stored_run(run: Path, flags, words) -> None:
    before = (run / "config.json").read_bytes()
    result = CliRunner().invoke(app, ["fit", "--out", str(run), "--resume", *flags])
    _one_error_line(result, *words)
    assert (run / "config.json").read_bytes() == before


def test_resume_accepts_resumable_flags_and_matching_ones(run: Path) -> None:
    config = resume_config(run, epochs=5, time_budget_minutes=2.0, scale=2, learning_rate=1e-3, model="tiny")
    assert (config.epochs, config.time_budget_minutes, config.scale) == (5, 2.0, 2)
    help_text = " ".join(CliRunner().invoke(app, ["fit", "--help"]).output.replace("│", " ").split())
    assert "Only --epochs, --time-budget, --devices, --quiet and --no-tensorboard may change" in help_text


@pytest.mark.parametrize(
    "payload",
    [
        "[1, 2, 3]",
        '"just a string"',
        '{"settings": "gp"}',
        '{"scale": 4, "settings": {"scale": 2, "model": "tiny"}}',
        '{"settings": {"scale": "four"}}',
        '{"settings": {"scale": 0}}',
        '{"settings": {"epochs": [1]}}',
        "{not json",
    ],
)
def test_a_damaged_config_json_is_one_line_on_resume(tmp_path: Path, payload: str) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(payload)
    with pytest.raises(LeukoInputError, match=r"config\.json"):
        resume_config(folder)
    _one_error_line(CliRunner().invoke(app, ["fit", "--out", str(folder), "--resume"]), "config.json")
    assert (folder / "config.json").read_text() == payload


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["fit", "--scale", "0"], ["--scale 0"]),
        (["fit", "--size", "100000"], ["--size 100000", "GiB", "smaller"]),
        (["synth", "--size", "100000"], ["--size 100000", "GiB"]),
    ],
)
def test_impossible_sizes_are_one_line_before_allocating(tmp_path: Path, args, words) -> None:
    if args[0] == "synth":
        args = ["synth", str(tmp_path / "cells"), *args[1:]]
    else:
        args = [*args, "--out", str(tmp_path / "run")]
    _one_error_line(CliRunner().invoke(app, args), *words)
    assert list(tmp_path.iterdir()) == []


def test_two_cli_fits_at_once_the_second_exits_2(tmp_path: Path, holder) -> None:
    # The real CLI in a subprocess, as a user runs it (no TF_CPP_MIN_LOG_LEVEL): exit 2 and only one line.
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "LEUKO_KERAS_VERBOSE")}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "leuko_keras", "fit", "--out", str(tmp_path / "run"), "--epochs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"pid {holder.pid}" in lines[0], proc.stderr
    assert time.monotonic() - started < 300


def test_a_lite_run_made_before_0_6_resumes_with_the_upsampler_width_its_checkpoints_have(tmp_path):
    from leuko_keras.training import FitConfig

    settings = FitConfig.for_model("np-lite", out=str(tmp_path)).to_dict()
    for version, built_with in (("0.5.0", {"upsample_filters": 64}), ("0.6.0", {})):
        config = {"model": "np-lite", "scale": 4, "settings": settings, "versions": {"leuko_keras": version}}
        (tmp_path / "config.json").write_text(json.dumps(config))
        assert resume_config(tmp_path).model_settings == built_with
