"""Nothing lost: export/demo output folders refuse user data, the run itself and the inputs (md5 before/after)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import md5_tree
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.errors import LeukoInputError


def _export(args: list[str]):
    return CliRunner().invoke(app, ["export", *args])


def _one_error_line(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("where", ["run", "inside_run", "holds_run"])
def test_export_into_the_run_itself_is_refused_and_the_run_untouched(run_dir: Path, where: str) -> None:
    out = {"run": run_dir, "inside_run": run_dir / "export", "holds_run": run_dir.parent}[where]
    before = md5_tree(run_dir.parent)
    result = _export([str(run_dir), "--out", str(out)])
    _one_error_line(result, "--out", "input")
    assert md5_tree(run_dir.parent) == before
    assert not (run_dir / "export").exists()


def test_export_into_a_user_folder_or_file_is_refused_untouched(run_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "results"
    (user / "sub").mkdir(parents=True)
    (user / "notes.txt").write_text("my notes")
    (user / "sub" / "table.csv").write_text("a,b\n")
    before = md5_tree(user)
    _one_error_line(_export([str(run_dir), "--out", str(user)]), "not empty", "notes.txt")
    assert md5_tree(user) == before and sorted(p.name for p in tmp_path.iterdir()) == ["results"]

    single = tmp_path / "model.bin"
    single.write_bytes(b"\x00user data")
    _one_error_line(_export([str(run_dir), "--out", str(single)]), "is a file")
    assert single.read_bytes() == b"\x00user data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin", "results"]  # no .model.bin.old

    _one_error_line(_export([str(run_dir), "--out", str(single / "exp")]), "is a file")


def test_export_out_dot_is_one_line_not_a_traceback(run_dir: Path, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "keep.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    _one_error_line(_export([str(run_dir), "--out", "."]), "not empty")
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_an_earlier_export_is_recognised_and_a_user_file_in_it_is_not(tmp_path: Path) -> None:
    from leuko_keras.core.outputs import check_output_folder
    from leuko_keras.deploy.export import export_owned

    out = tmp_path / "exp"
    (out / "saved_model").mkdir(parents=True)
    (out / "saved_model" / "saved_model.pb").write_bytes(b"pb")
    (out / "model_fp32.tflite").write_bytes(b"tfl")
    listed = {"saved_model/saved_model.pb": "x", "model_fp32.tflite": "y"}
    (out / "metadata.json").write_text(json.dumps({"sha256": listed}))
    assert export_owned(out) is None
    assert check_output_folder(out, "--out", owned=export_owned) == out.resolve()
    (out / "saved_model" / "mine.txt").write_text("user")
    assert export_owned(out) == "saved_model/mine.txt"
    (out / "metadata.json").write_text("[1, 2]")  # not ours any more
    assert export_owned(out) is not None


def test_reexport_replaces_an_earlier_export_atomically(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    first = _export([str(run_dir), "--out", str(out), "--input-size", "32"])
    assert first.exit_code == 0, first.output
    stamp = json.loads((out / "metadata.json").read_text())["created_utc"]
    (out / "saved_model" / "stray.txt").write_text("user")
    _one_error_line(_export([str(run_dir), "--out", str(out), "--input-size", "32"]), "stray.txt")
    (out / "saved_model" / "stray.txt").unlink()
    again = _export([str(run_dir), "--out", str(out), "--input-size", "32"])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "metadata.json").read_text())["created_utc"] >= stamp
    # Only the export itself beside it: no temporaries, no hidden .old copy; folder follows the umask.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp"]
    assert (out.stat().st_mode & 0o777) == (0o777 & ~_umask())


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fake_demo(out: Path, finished: bool = True) -> None:
    from leuko_keras.workflows.demo import MARKER

    (out / "runs" / "np_x4").mkdir(parents=True)
    (out / "runs" / "np_x4" / "best.keras").write_bytes(b"k")
    (out / "results.md").write_text("| table |")
    files = ["results.md", "runs/np_x4/best.keras"]
    (out / MARKER).write_text(json.dumps({"files": files}) if finished else "written by leuko-keras demo\n")


@pytest.mark.parametrize("finished", [True, False])
def test_demo_rerun_replaces_its_own_folder_but_refuses_a_user_file(tmp_path: Path, finished: bool) -> None:
    from leuko_keras.workflows.demo import _prepare_out

    out = tmp_path / "demo"
    _fake_demo(out, finished)
    (out / "runs" / "mine.txt" if finished else out / "mine.txt").write_text("keep me")
    before = md5_tree(out)
    with pytest.raises(LeukoInputError, match=r"mine\.txt"):
        _prepare_out(out)
    assert md5_tree(out) == before
    (out / "runs" / "mine.txt" if finished else out / "mine.txt").unlink()
    assert _prepare_out(out) == out.resolve()
    assert [p.name for p in out.iterdir()] == [".leuko_demo"]


def test_temporaries_of_a_killed_run_are_cleaned_where_they_lie_and_nothing_else(tmp_path: Path) -> None:
    import os

    from leuko_keras.core.atomic import atomic_dir
    from leuko_keras.training.runfolder import RunFolder

    run = RunFolder(tmp_path / "run")
    run.backup.mkdir(parents=True)
    (run.root / "config.json").write_text("{}")
    dead = 999_999_999  # above any pid_max: no such process
    stale = [
        run.root / f".curves.pid{dead}.abcd1234.tmp.png",
        run.backup / f".epoch-0003.weights.pid{dead}.x1y2z3.tmp.weights.h5",
    ]
    live = run.root / f".last.pid{os.getpid()}.abcd1234.tmp.keras"  # a writer that is still running
    user = run.root / ".my_notes.tmp.png"  # looks similar, but not our name pattern
    for path in [*stale, live, user]:
        path.write_bytes(b"x")
    run.preflight(resume=True)
    assert not any(p.exists() for p in stale)
    assert live.exists() and user.exists()

    beside = tmp_path / "exports"
    (beside / f".gp.pid{dead}.q1w2e3.tmp" / "saved_model").mkdir(parents=True)
    with atomic_dir(beside / "gp") as tmp:
        (tmp / "metadata.json").write_text("{}")
    assert sorted(p.name for p in beside.iterdir()) == ["gp"]


def test_synthetic_folder_follows_the_umask(tmp_path: Path) -> None:
    import os

    from leuko_keras.synth import write_dataset

    old = os.umask(0o022)
    try:
        folder = write_dataset(tmp_path / "cells", count=1, size=64)
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755
