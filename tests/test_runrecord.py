"""The run record (leuko_keras.runs.runrecord) and the registry's display names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.presets import pretrained_dir
from leuko_keras.runs.runrecord import RunRecord, read_run


def test_registry_refuses_a_duplicate_name_and_names_every_model() -> None:
    from leuko_keras.models.registry import list_models, register, registered_display_name

    with pytest.raises(ValueError, match="registered twice"):
        register("gp", "LR", ("sr",), "a second gp")(lambda scale=4: None)
    shown = {info.name: info.display for info in list_models()}
    assert shown["gp"] == "GP" and shown["np"] == "NP" and shown["gp-lite"] == "GP-lite"
    assert shown["np-lite"] == "NP-lite" and shown["srresnet"] == "SRResNet" and shown["sftgan"] == "SFTGAN"
    assert all(shown.values())
    assert registered_display_name("GP") == "GP" and registered_display_name("bicubic") == "Bicubic"


def test_pretrained_record(tmp_path: Path) -> None:
    record = read_run("gp-lite-x4")
    assert (record.model, record.scale, record.pretrained) == ("gp-lite", 4, True)
    assert record.display_name == "GP-lite (pretrained)"
    assert record.fit is not None and record.fit.model == "gp-lite" and record.fit.scale == 4
    assert record.settings == record.fit.model_settings
    assert record.best == pretrained_dir("gp-lite-x4") / "best.keras"
    assert record.config_file is not None and record.card is not None and record.last is None


def test_copied_run_folder_and_bare_keras_file(tmp_path: Path) -> None:
    run = tmp_path / "my_run"
    shutil.copytree(pretrained_dir("np-lite-x4"), run)
    record = read_run(run)
    assert (record.root, record.model, record.pretrained, record.display_name) == (run, "np-lite", False, "NP-lite")
    bare = tmp_path / "model.keras"
    shutil.copy(run / "best.keras", bare)
    record = read_run(bare)
    assert (record.root, record.model, record.scale, record.config, record.fit) == (None, None, None, None, None)
    assert record.display_name == "model"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "not a run configuration"),
        ({"model": 4}, "'model' is 4, not a str"),
        ({"scale": "4"}, "scale '4' is not a whole factor"),
        ({"settings": []}, "'settings' is [], not a dict"),
    ],
)
def test_bad_config_is_one_line(tmp_path: Path, payload: object, message: str) -> None:
    run = tmp_path / "run"
    shutil.copytree(pretrained_dir("np-lite-x4"), run)
    (run / "config.json").write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(LeukoInputError, match=r"config\.json") as caught:
        read_run(run)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_run_without_best_only_for_resume(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": "gp", "scale": 2, "settings": {"scale": 2}}), "utf-8")
    with pytest.raises(LeukoInputError, match=r"no best\.keras"):
        read_run(run)
    record = read_run(run, need_model=False)
    assert record.model_file is None and record.fit is not None and record.fit.out == str(run)


def test_from_config_without_config() -> None:
    record = RunRecord.from_config(None)
    assert record.model is None and record.training == {} and record.seed == 0


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "--resume", "runs/gp_x4"],
        ["fit", "--out", "runs/gp_x4", "--resume"],
        ["fit", "--resume", "--out", "runs/gp_x4", "--epochs", "200"],
        ["fit", "runs/gp_x4", "--resume"],
    ],
)
def test_resume_forms_parse(args: list[str]) -> None:
    from helpers import parse_command

    assert parse_command(args) is None


def test_resume_folder_given_twice_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    result = CliRunner().invoke(app, ["fit", str(tmp_path / "a"), "--out", str(tmp_path / "b"), "--resume"])
    assert result.exit_code == 2
    assert "run folder given twice" in result.output
