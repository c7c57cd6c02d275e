"""A quiet, fast CLI: no TensorFlow/absl/oneDNN log line on a command's output unless --verbose.

The commands run as a user runs them (the console script, in a subprocess),
because the lines come from C++ writing to file descriptor 2, which an
in-process runner never sees.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What TensorFlow, absl, oneDNN and LiteRT print at native level (see leuko_keras/core/quiet.py).
NATIVE = re.compile(
    r"^[EWI]\d{4} |absl::InitializeLog|oneDNN custom operations|remapper failed|"
    r"oneDNN supports DT_|cpu_feature_guard|TF-TRT Warning|Created TensorFlow Lite",
    re.MULTILINE,
)


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from leuko_keras.cli import main; main()", *args]
    environ = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "LEUKO_KERAS_VERBOSE")}
    environ.update(env or {})
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environ, timeout=900)


def _assert_quiet(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    for stream in (done.stdout, done.stderr):
        found = NATIVE.findall(stream)
        assert not found, f"native log lines on the output: {found}\n{stream[-2000:]}"


def test_fit_export_predict_print_no_native_logs(tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit = _cli(
        "fit", "--out", str(run), "--model", "np-lite", "--setting", "filters=4", "--setting", "blocks=1",
        "--epochs", "1", "--steps-per-epoch", "1", "--size", "32", "--batch-size", "2", "--synthetic-count", "4",
        "--no-tensorboard", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    _assert_quiet(fit)
    assert (run / "best.keras").is_file()
    export = _cli(
        "export", str(run), "--out", str(tmp_path / "exp"), "--tflite", "--quantize", "fp32",
        "--input-size", "32", "--parity-images", "1", "--force", cwd=tmp_path,
    )  # fmt: skip
    _assert_quiet(export)
    tflite = sorted((tmp_path / "exp").glob("*.tflite"))
    assert tflite
    from leuko_keras.runtime.imageio import write_image
    from leuko_keras.synth import generate

    write_image(tmp_path / "in" / "cell.png", generate(1, size=32, seed=1)[0].rgb / 255.0)
    predict = _cli(
        "predict", str(tmp_path / "in"), "--model", str(tflite[0]), "--out", str(tmp_path / "sr"), "--no-progress",
        cwd=tmp_path,
    )  # fmt: skip
    _assert_quiet(predict)
    assert (tmp_path / "sr" / "cell_sr.png").is_file()
    # --verbose lets every line through (whether TensorFlow prints any depends on the machine).
    verbose = _cli(
        "--verbose", "predict", str(tmp_path / "in"), "--model", str(tflite[0]), "--out", str(tmp_path / "sr2"),
        "--no-progress", cwd=tmp_path,
    )  # fmt: skip
    assert verbose.returncode == 0, verbose.stderr[-2000:]


def test_user_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _cli("predict", str(tmp_path / "missing"), "--model", "bicubic", "--scale", "4", "--out", "o", cwd=tmp_path)
    assert done.returncode in (1, 2)
    assert "Traceback" not in done.stderr
    assert not NATIVE.findall(done.stderr)
    bad = _cli("fit", "--resume", str(tmp_path / "no_run"), cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'no_run'}: no run to resume (config.json missing); drop --resume to start one"
    ]


FILTER_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from leuko_keras.core.quiet import native_logs_filtered
    with native_logs_filtered():
        os.write(2, b"W0000 00:00:1700000000.1  12 remapper.cc:1] remapper failed: INVALID_ARGUMENT: x\\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
        os.write(2, b"I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on.\\n")
        print("kept line", file=sys.stderr, flush=True)
        os.write(2, b"\\r 50% progress")
        os.write(2, b"\\r100% progress\\n")
        raise RuntimeError("a real crash")
    """
)


def test_filter_drops_native_lines_keeps_the_rest(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", FILTER_SCRIPT], capture_output=True, cwd=tmp_path)
    stderr = done.stderr.decode()  # bytes: text mode would turn the progress bar's \r into \n
    assert done.returncode == 1
    assert not NATIVE.findall(stderr), stderr
    assert "kept line\n" in stderr
    assert "\r 50% progress\r100% progress\n" in stderr
    assert "Traceback" in stderr and "RuntimeError: a real crash" in stderr
    verbose = subprocess.run(
        [sys.executable, "-c", FILTER_SCRIPT],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "LEUKO_KERAS_VERBOSE": "1"},
    )
    assert "remapper failed" in verbose.stderr


# `import leuko_keras` is cheap, and the CLI modules must keep it so: --help, --version and a mistyped
# flag load neither TensorFlow, Keras, NumPy nor the image and plotting libraries.
BLOCKED_SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "numpy", "PIL", "h5py", "matplotlib"):
                raise ImportError(f"--help imported {name}")
    sys.meta_path.insert(0, Block())
    from typer.testing import CliRunner
    from leuko_keras.cli import app
    for args in (["--help"], ["--version"], ["fit", "--help"], ["predict", "--help"], ["export", "--help"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    bad = CliRunner().invoke(app, ["fit", "--no-such-flag"])
    assert bad.exit_code == 2, bad.output
    print("ok")
    """
)


def _env_with_repo() -> dict[str, str]:
    # The checkout under test, whichever leuko_keras the interpreter would otherwise find from tmp_path.
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def test_cli_modules_import_nothing_heavy(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_SCRIPT], capture_output=True, text=True, cwd=tmp_path, env=_env_with_repo()
    )
    assert done.stdout.strip().endswith("ok"), done.stdout + done.stderr


def test_mask_tolerance_default_matches_the_library() -> None:
    from leuko_keras.cli.data import MASK_TOLERANCE
    from leuko_keras.data.masks import DEFAULT_TOLERANCE

    assert MASK_TOLERANCE == DEFAULT_TOLERANCE


def test_version() -> None:
    from typer.testing import CliRunner

    import leuko_keras
    from leuko_keras.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"leuko-keras {leuko_keras.__version__}"


@pytest.mark.parametrize("args", [["fit", "--bogus"], ["export", "--nope", "--help"], ["nocommand"]])
def test_readme_parser_catches_bad_commands(args: list[str]) -> None:
    from helpers import parse_command

    assert parse_command(args) is not None
