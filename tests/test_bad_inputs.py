"""Bad input made here ends in exit 2 and one `error:` line naming the file, with nothing lost or half-written."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import md5_tree
from PIL import Image
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.errors import LeukoInputError


def _one_error_line(result, *words: str) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _invoke(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


BAD_LABELME = {
    "shapes_not_a_list": {"shapes": 5},
    "shape_is_a_string": {"shapes": ["nucleus"]},
    "points_3d": {"shapes": [{"label": "nucleus", "points": [[1, 1, 1], [5, 1, 1], [5, 5, 1]]}]},
    "string_points": {"shapes": [{"label": "nucleus", "points": [["a", "b"], ["c", "d"], ["e", "f"]]}]},
    "a_list": [1, 2],
}


@pytest.fixture(scope="module")
def labelme_sets(tmp_path_factory) -> dict[str, Path]:
    sets = {}
    for name, payload in BAD_LABELME.items():
        folder = tmp_path_factory.mktemp(name) / "data"
        folder.mkdir()
        for i in range(3):
            Image.fromarray(np.full((64, 64, 3), 40 * i, np.uint8)).save(folder / f"c{i}.png")
            (folder / f"c{i}.json").write_text(json.dumps(payload))
        sets[name] = folder
    return sets


@pytest.mark.parametrize("case", list(BAD_LABELME))
def test_malformed_labelme_is_one_line_in_pack_and_evaluate(labelme_sets, tmp_path: Path, case: str) -> None:
    data = labelme_sets[case]
    before = md5_tree(data)
    _one_error_line(_invoke("pack", data, tmp_path / "p.h5", "--scales", "4"), ".json")
    _one_error_line(_invoke("evaluate", "--data", data, "-m", "bicubic", "-s", "4", "--split", "all"), ".json")
    assert md5_tree(data) == before and list(tmp_path.iterdir()) == []


def test_malformed_labelme_is_one_line_in_fit(labelme_sets, tmp_path: Path) -> None:
    from helpers import hooks, tiny_config

    from leuko_keras.training import fit

    config = tiny_config(tmp_path / "run", data=str(labelme_sets["points_3d"]))
    with pytest.raises(LeukoInputError, match=r"c\d\.json"):
        fit(config, hooks(make_dataset=None))
    assert not (tmp_path / "run" / "best.keras").exists()


@pytest.fixture(scope="module")
def packed(synth_dir: Path, tmp_path_factory) -> Path:
    from leuko_keras.data.h5pack import pack

    return pack(synth_dir, tmp_path_factory.mktemp("pack") / "cells.h5", scales=(4,))


@pytest.mark.parametrize("damage", ["missing_sample", "bad_labels", "labels_shape", "no_lr"])
def test_a_damaged_pack_is_one_line(packed: Path, tmp_path: Path, damage: str) -> None:
    import h5py

    copy = tmp_path / "cells.h5"
    shutil.copy(packed, copy)
    with h5py.File(copy, "a") as h5:
        entry = h5["samples/000001"]
        if damage == "missing_sample":
            del h5["samples/000001"]
        elif damage == "bad_labels":
            labels = entry["labels"][()]
            del entry["labels"]
            entry.create_dataset("labels", data=np.full_like(labels, 9))
        elif damage == "labels_shape":
            del entry["labels"]
            entry.create_dataset("labels", data=np.zeros((3, 3), np.uint8))
        else:
            del entry["lr_x4"]
    _one_error_line(_invoke("evaluate", "--data", copy, "-m", "bicubic", "-s", "4", "--split", "all"), "cells.h5")


@pytest.mark.parametrize(
    "payload", ["[1, 2]", '"text"', '{"settings": "gp", "scale": 4}', '{"scale": 3}', '{"scale": "4"}']
)
def test_a_tampered_config_is_one_line_on_export_and_predict(run_dir: Path, tmp_path: Path, payload: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    (run / "config.json").write_text(payload)
    image = tmp_path / "cell.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(image)
    before = md5_tree(run)
    _one_error_line(_invoke("export", run, "--out", tmp_path / "exp"), "config.json")
    _one_error_line(_invoke("predict", image, "--model", run, "--out", tmp_path / "sr"), "config.json")
    assert md5_tree(run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cell.png", "run"]


def test_output_paths_that_are_folders_or_under_files_fail_first(synth_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    folder = tmp_path / "folder"
    folder.mkdir()
    base = ["evaluate", "--data", synth_dir, "-m", "bicubic", "-s", "4"]
    _one_error_line(_invoke(*base, "--json", folder), "--json", "is a folder")
    _one_error_line(_invoke(*base, "--markdown", blocker / "t.md"), "--markdown", "is a file")
    _one_error_line(_invoke(*base, "--figures", blocker), "--figures", "is a file")
    (tmp_path / "old.h5").mkdir()
    _one_error_line(_invoke("pack", synth_dir, tmp_path / "old.h5"), "is a folder")
    _one_error_line(_invoke("pack", synth_dir, blocker / "x.h5"), "is a file")
    image = next(synth_dir.glob("cell_*[0-9].png"))
    _one_error_line(_invoke("predict", image, "-m", "bicubic", "-s", "4", "--out", blocker / "sr"), "is a file")
    assert blocker.read_text() == "mine" and list(folder.iterdir()) == []


def test_disk_full_while_packing_is_one_line_and_leaves_nothing(synth_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from leuko_keras.data import h5pack

    monkeypatch.setattr(h5pack.shutil, "disk_usage", lambda path: SimpleNamespace(free=2**20, total=1, used=1))
    with pytest.raises(LeukoInputError, match="disk full"):
        h5pack.pack(synth_dir, tmp_path / "a.h5", scales=(4,))
    monkeypatch.undo()

    import h5py

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(h5py, "File", full)
    with pytest.raises(LeukoInputError, match="disk full"):
        h5pack.pack(synth_dir, tmp_path / "b.h5", scales=(4,))
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_exporting_leaves_the_old_export_and_no_temp(
    run_dir: Path,
    tmp_path: Path,
    monkeypatch,
) -> None:
    from leuko_keras.deploy import export as export_module

    def full(model, path, *args, **kwargs):
        Path(path).mkdir(parents=True)
        (Path(path) / "saved_model.pb").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_module, "write_savedmodel", full)
    with pytest.raises(LeukoInputError, match="disk full"):
        export_module.export_model(run_dir, tmp_path / "exp", tflite=False)
    assert list(tmp_path.iterdir()) == []


def test_the_user_sees_only_the_error_line_not_tensorflow_start_up(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "LEUKO_KERAS_VERBOSE")}
    missing = tmp_path / "missing_run"
    command = [sys.executable, "-m", "leuko_keras", "export", str(missing), "--out", str(tmp_path / "e")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing_run'}: no such file or folder; pass a .keras file or a run folder holding "
        "best.keras"
    ]


def test_padding_to_a_size_memory_cannot_hold_is_one_line(monkeypatch) -> None:
    from leuko_keras.core import memory
    from leuko_keras.data.crops import prepare_arrays
    from leuko_keras.data.dataset import make_example

    example = make_example("cell_7", np.zeros((40, 48)), np.zeros((40, 48), np.uint8), 4)
    assert prepare_arrays(example, 4, 64)[1].shape == (64, 64, 1)
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 * 2**20)  # 10 MiB free
    with pytest.raises(LeukoInputError, match=r"cell_7 at --size 4096: needs about"):
        prepare_arrays(example, 4, 4096)


def test_only_tensorflows_known_start_up_notices_are_filtered(capfd, monkeypatch) -> None:
    import os

    from leuko_keras.core.quiet import native_startup_filtered

    monkeypatch.delenv("LEUKO_KERAS_VERBOSE", raising=False)
    with native_startup_filtered():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1 123 port.cc:153] oneDNN custom operations are on. You may see ...\n")
        os.write(2, b"a real problem the user must see\n")
    assert capfd.readouterr().err == "a real problem the user must see\n"


def test_a_damaged_keras_file_is_named_as_damaged_not_missing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leuko_keras.cli import app
    from leuko_keras.runtime.imageio import write_image

    bad = tmp_path / "model.keras"
    bad.write_bytes(b"not a zip at all" * 10)
    write_image(tmp_path / "cell.png", np.full((16, 16), 0.5))
    result = CliRunner().invoke(
        app, ["predict", str(tmp_path / "cell.png"), "-m", str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "not a Keras model file" in result.stderr and "File not found" not in result.stderr
    assert not (tmp_path / "o").exists()
