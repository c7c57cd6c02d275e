"""Fast checks of the training building blocks (no training): config, devices, precision, run folder, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from leuko_keras.core.machine import cpu_flags
from leuko_keras.errors import LeukoInputError
from leuko_keras.runs.fitconfig import FitConfig
from leuko_keras.training.devices import is_chief, parse_devices, read_tf_config
from leuko_keras.training.history import drop_from_epoch, format_csv, read_history
from leuko_keras.training.precision import resolve_precision
from leuko_keras.training.progress import TimeBudget, step_decay
from leuko_keras.training.runfolder import RunFolder


def test_paper_defaults_and_bad_settings():
    cfg = FitConfig(out="x")
    assert (cfg.learning_rate, cfg.beta_1, cfg.batch_size, cfg.epochs, cfg.size, cfg.lambda_map) == (
        1e-4,
        0.9,
        8,
        100,
        224,
        1.0,
    )
    assert FitConfig.from_dict({**cfg.to_dict(), "future_key": 1}) == cfg
    for bad, word in [
        (dict(data="a", h5="b.h5"), "--data and --h5"),
        (dict(size=30, scale=4), "multiple of --scale"),
        (dict(precision="fp8"), "--precision"),
        (dict(resume=True, overwrite=True), "--resume and --overwrite"),
        (dict(time_budget_minutes=0), "--time-budget"),
    ]:
        with pytest.raises(LeukoInputError, match=word):
            FitConfig(out="x", **bad).validate()


@pytest.mark.parametrize(
    "spec, kind, ids, count",
    [
        ("auto", "auto", (), None),
        ("cpu", "cpu", (), None),
        ("cpu:2", "cpu", (), 2),
        ("gpu", "gpu", (), None),
        ("gpu:0,1", "gpu", (0, 1), None),
        ("1,3", "gpu", (1, 3), None),
        ("2", "gpu", (), 2),
    ],
)
def test_parse_devices(spec, kind, ids, count):
    assert tuple(parse_devices(spec)) == (kind, ids, count)


@pytest.mark.parametrize("spec", ["tpu", "cpu:0", "gpu:a", "0,0", "-1"])
def test_parse_devices_rejects(spec):
    with pytest.raises(LeukoInputError, match="--devices"):
        parse_devices(spec)


def test_tf_config_and_chief():
    assert read_tf_config({}) is None
    with pytest.raises(LeukoInputError, match="TF_CONFIG"):
        read_tf_config({"TF_CONFIG": '{"cluster": {}}'})
    cluster = {"worker": ["a:1", "b:2"]}
    assert is_chief({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    assert not is_chief({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    with_chief = {"chief": ["c:3"], **cluster}
    assert not is_chief({"cluster": with_chief, "task": {"type": "worker", "index": 0}})
    assert is_chief({"cluster": with_chief, "task": {"type": "chief", "index": 0}})


def test_auto_precision_follows_the_hardware(tmp_path):
    assert resolve_precision("auto", cpu_flags={"avx2", "fma"}, gpu_capabilities=[]) == "fp32"
    assert resolve_precision("auto", cpu_flags={"amx_bf16", "amx_tile"}, gpu_capabilities=[]) == "bf16"
    assert resolve_precision("auto", cpu_flags=set(), gpu_capabilities=[(8, 6)]) == "bf16"
    assert resolve_precision("auto", cpu_flags={"amx_bf16"}, gpu_capabilities=[(7, 5)]) == "fp32"
    assert resolve_precision("fp16", cpu_flags=set(), gpu_capabilities=[]) == "fp16"
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags\t\t: fpu avx2 amx_bf16\n")
    assert cpu_flags(info) == {"fpu", "avx2", "amx_bf16"}


def test_preflight_errors_are_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    for root, kwargs, word in [
        (tmp_path / "file", {}, "is a file"),
        (tmp_path / "file" / "run", {}, "file is a file, not a folder"),
        (tmp_path / "fresh", {"resume": True}, "no run to resume"),
    ]:
        with pytest.raises(LeukoInputError, match=word) as caught:
            RunFolder(root).preflight(**kwargs)
        assert "\n" not in str(caught.value)
    with pytest.raises(LeukoInputError, match="disk full"):
        RunFolder(tmp_path).check_free_space(10 * 2**20, free_bytes=2**20)
    RunFolder(tmp_path).check_free_space(10 * 2**20, free_bytes=2**40)


def test_overwrite_sets_aside_only_run_files_and_deletes_nothing_before_the_new_run_starts(tmp_path):
    from leuko_keras.training.replace import PreviousRun

    run = RunFolder(tmp_path / "run")
    run.root.mkdir()
    for name in ("config.json", "best.keras", "history.csv", "notes.txt"):
        (run.root / name).write_text(name)
    (run.backup).mkdir()
    (run.backup / "chkpt.weights.h5").write_text("w")
    run.preflight(overwrite=True)  # checks only
    assert sorted(p.name for p in run.root.iterdir()) == ["backup", "best.keras", "config.json", "history.csv",
                                                          "notes.txt"]  # fmt: skip
    previous = PreviousRun(run)
    previous.set_aside()
    assert sorted(p.name for p in run.root.iterdir()) == [".replaced-run", "notes.txt"]
    run.config.write_text("new run")  # the new run starts writing, then fails before its first epoch ends
    previous.restore()
    assert run.config.read_text() == "config.json" and (run.backup / "chkpt.weights.h5").read_text() == "w"
    assert not previous.folder.exists() and (run.root / "notes.txt").read_text() == "notes.txt"
    previous.set_aside()
    previous.discard()  # the new run completed an epoch
    assert sorted(p.name for p in run.root.iterdir()) == ["notes.txt"]


def test_history_truncation_and_roundtrip(tmp_path):
    rows = [{"epoch": e, "loss": 1.0 / e, "val_sr_psnr_y": 20.0 + e} for e in (1, 2, 3)]
    path = tmp_path / "history.csv"
    path.write_text(format_csv(rows))
    back = read_history(path)
    assert [r["epoch"] for r in back] == [1, 2, 3] and math.isclose(back[1]["loss"], 0.5)
    assert [r["epoch"] for r in drop_from_epoch(back, 3)] == [1, 2]
    assert read_history(tmp_path / "missing.csv") == []


def test_time_budget_and_decay():
    now = [0.0]
    budget = TimeBudget(1.0, clock=lambda: now[0])

    class Model:
        stop_training = False

    budget.set_model(Model())
    budget.on_train_begin()
    budget.on_epoch_begin(4)
    now[0] = 59.0
    budget.on_train_batch_end(0)
    assert not budget.model.stop_training
    now[0] = 60.5
    budget.on_train_batch_end(1)
    assert budget.model.stop_training and budget.stopped_at_epoch == 4
    schedule = step_decay(1e-4)
    assert [schedule(e, 0) for e in (0, 9, 10, 19, 20)] == pytest.approx([1e-4, 1e-4, 5e-5, 5e-5, 2.5e-5])


def test_cli_refuses_existing_run_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best.keras").write_text("x")
    result = CliRunner().invoke(app, ["fit", "--out", str(tmp_path / "run"), "--epochs", "1"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--resume" in errors[0] and "Traceback" not in result.output
    assert (tmp_path / "run" / "best.keras").read_text() == "x"


def test_cli_resume_without_run_is_exit_2(tmp_path):
    from typer.testing import CliRunner

    from leuko_keras.cli import app

    result = CliRunner().invoke(app, ["fit", "--out", str(tmp_path / "nothing"), "--resume"])
    assert result.exit_code == 2 and "no run to resume" in result.output
    assert not Path(tmp_path / "nothing").exists()


def test_config_json_roundtrip_drives_resume(tmp_path):
    from leuko_keras.training import resume_config

    run = tmp_path / "run"
    run.mkdir()
    stored = FitConfig(out=str(run), epochs=5, size=64, lr_decay=True, precision="bf16")
    (run / "config.json").write_text(json.dumps({"settings": stored.to_dict()}))
    cfg = resume_config(run, epochs=9, time_budget_minutes=None, devices=None)
    assert cfg.resume and cfg.epochs == 9 and cfg.size == 64 and cfg.lr_decay and cfg.precision == "bf16"


def test_step_decay_halves_generator_and_discriminator_from_their_own_starting_rates():
    import keras

    from leuko_keras.training.progress import StepDecay

    gan = SimpleNamespace(
        optimizer=keras.optimizers.Adam(1e-4),
        d_optimizer=keras.optimizers.Adam(4e-4),
        _compile_kwargs={"d_learning_rate": 4e-4},
    )
    decay = StepDecay(1e-4, every=2, factor=0.5)
    decay.set_model(gan)
    for epoch, g_rate, d_rate in ((0, 1e-4, 4e-4), (2, 5e-5, 2e-4), (5, 2.5e-5, 1e-4), (1, 1e-4, 4e-4)):
        decay.on_epoch_begin(epoch)
        assert float(gan.optimizer.learning_rate) == pytest.approx(g_rate)
        assert float(gan.d_optimizer.learning_rate) == pytest.approx(d_rate)
