"""Nothing lost, round two (issue 27): every refusal is one line, exit 2, and leaves every input and old run as it was.

Each test makes its own files, takes the md5 of every input (and of the old run) before the command, and
checks them after: fit --overwrite, --setting/--seed checks, export --bioimageio, predict and the runner
writing over an input, evaluate writing into its data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import md5_tree
from typer.testing import CliRunner

from leuko_keras.cli import app


def one_error_line(result, *words: str) -> str:
    """The one ``error:`` line of a refused command (exit 2, no traceback), holding every word."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def old_run(tmp_path: Path) -> Path:
    """A finished run's files (as fit leaves them) plus a user's note, all made here."""
    run = tmp_path / "run"
    (run / "backup").mkdir(parents=True)
    (run / "logs").mkdir()
    (run / "config.json").write_text(json.dumps({"model": "np-lite", "scale": 4, "settings": {"scale": 4}}))
    (run / "best.keras").write_bytes(b"best weights")
    (run / "last.keras").write_bytes(b"last weights")
    (run / "history.csv").write_text("epoch,loss\n1,0.5\n2,0.4\n")
    (run / "backup" / "training_metadata.json").write_text('{"epoch": 2}')
    (run / "logs" / "events.out").write_bytes(b"tb")
    (run / "notes.txt").write_text("mine")
    return run


@pytest.fixture
def cells(tmp_path: Path) -> Path:
    from leuko_keras.synth import write_dataset

    return write_dataset(tmp_path / "cells", count=6, size=64, seed=0)


def _fit(run: Path, *args: str):
    base = ["fit", "--out", str(run), "--overwrite", "--epochs", "1", "--steps-per-epoch", "1"]
    return CliRunner().invoke(app, [*base, "--size", "32", "--batch-size", "2", "--no-tensorboard", "--quiet", *args])


@pytest.mark.parametrize(
    "args, words",
    [
        (["--model", "gp-lite", "--setting", "upsample_filters=abc"], ["upsample_filters=abc", "whole number"]),
        (["--model", "gp-lite", "--setting", "upsample_filters=nan"], ["upsample_filters=nan"]),
        (["--model", "np-lite", "--setting", "blocks=2.5"], ["blocks=2.5", "whole number"]),
        (["--model", "np-lite", "--setting", "filters=0"], ["filters=0", "from 1"]),
        (["--model", "np-lite", "--setting", "slope=inf"], ["slope=inf", "finite"]),
        (["--model", "np", "--setting", "global_residual=2"], ["global_residual=2", "true or false"]),
        (["--model", "np-lite", "--seed", "-1"], ["--seed -1", "from 0"]),
    ],
)
def test_fit_overwrite_with_a_bad_setting_or_seed_keeps_the_old_run(old_run: Path, args, words) -> None:
    before = md5_tree(old_run)
    one_error_line(_fit(old_run, *args), *words)
    assert md5_tree(old_run) == before


def test_fit_overwrite_with_a_truncated_image_keeps_the_old_run(old_run: Path, cells: Path) -> None:
    damaged = cells / "cell_0002.png"
    damaged.write_bytes(damaged.read_bytes()[:200])
    before, data = md5_tree(old_run), md5_tree(cells)
    one_error_line(_fit(old_run, "--model", "np-lite", "--data", str(cells)), "cell_0002.png", "truncated")
    assert md5_tree(old_run) == before and md5_tree(cells) == data


def test_fit_overwrite_with_an_init_of_another_architecture_keeps_the_old_run(old_run: Path, tmp_path: Path) -> None:
    from leuko_keras.models.registry import build_model

    other = tmp_path / "srcnn.keras"
    build_model("srcnn", scale=4).save(other)
    before, source = md5_tree(old_run), md5_tree(other)
    one_error_line(_fit(old_run, "--model", "np-lite", "--scale", "4", "--init", str(other)), "--init", "architecture")
    assert md5_tree(old_run) == before and md5_tree(other) == source


def test_synth_refuses_a_negative_seed_and_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "cells"), "--count", "2", "--size", "64", "--seed", "-1"])
    one_error_line(result, "--seed -1")
    assert not (tmp_path / "cells").exists()


# -- fit --overwrite through the library: the old run comes back when the new one fails in its first epoch -----
def _tiny(out: Path, **changes):
    from helpers import tiny_config

    return tiny_config(out, overwrite=True, epochs=1, summary=False, **changes)


def test_a_new_run_that_fails_in_its_first_epoch_gives_the_old_run_back(old_run: Path) -> None:
    from helpers import hooks, tiny_dataset

    from leuko_keras.training import fit

    def failing(config, split, need_mask):
        data = tiny_dataset(config, split, need_mask)
        if split != "train":
            return data
        import tensorflow as tf

        def boom(lr, targets):
            tf.debugging.assert_equal(1, 0, message="unreadable crop")
            return lr, targets

        return data.map(boom)

    before = md5_tree(old_run)
    with pytest.raises(Exception, match="unreadable crop"):
        fit(_tiny(old_run), hooks(make_dataset=failing))
    assert md5_tree(old_run) == before
    assert sorted(p.name for p in old_run.iterdir()) == sorted(
        ["backup", "best.keras", "config.json", "history.csv", "last.keras", "logs", "notes.txt"]
    )


def test_a_new_run_that_diverges_in_its_first_epoch_gives_the_old_run_back(old_run: Path) -> None:
    from helpers import hooks, tiny_dataset

    from leuko_keras.training import fit

    def nan_at_once(config, split, need_mask):
        return tiny_dataset(config, split, need_mask, nan_from=0 if split == "train" else None)

    before = md5_tree(old_run)
    result = fit(_tiny(old_run), hooks(make_dataset=nan_at_once))
    assert result.status == "diverged" and "previous run" in result.message and "back in place" in result.message
    assert md5_tree(old_run) == before


def test_an_overwrite_that_trains_replaces_the_run_files_and_keeps_the_users(old_run: Path) -> None:
    from helpers import hooks

    from leuko_keras.training import fit

    result = fit(_tiny(old_run), hooks())
    assert result.status == "completed" and result.epochs_completed == 1
    assert (old_run / "notes.txt").read_text() == "mine" and not (old_run / ".replaced-run").exists()
    assert (old_run / "best.keras").read_bytes() != b"best weights"
    assert json.loads((old_run / "config.json").read_text())["model"] == "tiny"
    assert json.loads((old_run / "backup" / "training_metadata.json").read_text())["epoch"] == 1
    assert not (old_run / "logs" / "events.out").exists()
    assert np.isfinite(result.best_value)


# -- export --bioimageio: same rules as --out, every flag checked before the first write --------------------------
def _export(*args: str):
    return CliRunner().invoke(app, ["export", *args])


def _our_package(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rdf.yaml", "format_version: 0.5.4\nconfig:\n  leuko_keras:\n    model: np-lite\n")
        archive.writestr("test_input.npy", b"x")
    return path


def test_export_bioimageio_refuses_a_users_file_a_folder_and_a_path_under_a_file(old_run: Path, tmp_path: Path) -> None:
    import zipfile

    user_bytes = tmp_path / "mine.zip"
    user_bytes.write_bytes(b"my thesis backup")
    user_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(user_zip, "w") as archive:  # a zip, even one with an rdf.yaml, that no export of ours wrote
        archive.writestr("rdf.yaml", "name: someone else's model\n")
        archive.writestr("weights.h5", b"w")
    folder = tmp_path / "out.zip"
    (folder / "inside").mkdir(parents=True)
    (folder / "inside" / "keep.txt").write_text("keep")
    before = {p: md5_tree(p) for p in (old_run, user_bytes, user_zip, folder)}
    for target, words in [
        (user_bytes, ["mine.zip", "not a package an earlier export wrote"]),
        (user_zip, ["photos.zip", "not a package an earlier export wrote"]),
        (folder, ["out.zip", "is a folder"]),
        (old_run / "notes.txt" / "pkg.zip", ["notes.txt is a file"]),
        (old_run / "pkg.zip", ["lies inside the input"]),
    ]:
        one_error_line(_export(str(old_run), "--bioimageio", str(target)), *words)
    assert {p: md5_tree(p) for p in before} == before
    assert not (old_run / "pkg.zip").exists()


def test_export_checks_out_and_quantize_before_writing_the_package(old_run: Path, tmp_path: Path) -> None:
    package = tmp_path / "new.zip"
    user = tmp_path / "user_folder"
    user.mkdir()
    (user / "data.csv").write_text("1,2\n")
    before = md5_tree(user)
    cases = [
        (["--out", str(user)], ["--out", "user_folder", "data.csv"]),
        (["--out", str(tmp_path / "exp"), "--tflite", "--quantize", "foo"], ["--quantize 'foo'", "unknown"]),
        (["--out", str(tmp_path / "exp"), "--quantize", "fp32"], ["--quantize fp32", "--tflite"]),
        (["--out", str(tmp_path / "exp"), "--bioimageio-input", "cmyk"], ["variant 'cmyk'"]),
        (["--out", str(tmp_path)], ["--out", "holds"]),
    ]
    for extra, words in cases:
        one_error_line(_export(str(old_run), "--bioimageio", str(package), *extra), *words)
        assert not package.exists() and not (tmp_path / "exp").exists(), extra
    one_error_line(_export(str(old_run), "--out", str(tmp_path / "exp"), "--quantize", "foo"), "--quantize foo")
    one_error_line(
        _export(str(old_run), "--bioimageio", str(tmp_path / "exp" / "p.zip"), "--out", str(tmp_path / "exp")),
        "lies inside --out",
    )
    assert md5_tree(user) == before and not (tmp_path / "exp").exists()


def test_only_a_package_an_export_wrote_counts_as_ours(tmp_path: Path) -> None:
    from leuko_keras.deploy.request import check_package_path, package_is_ours

    ours = _our_package(tmp_path / "ours.zip")
    assert package_is_ours(ours) and check_package_path(ours) == ours  # a re-export may replace it
    (tmp_path / "text.zip").write_text("PK not really")
    assert not package_is_ours(tmp_path / "text.zip") and not package_is_ours(tmp_path / "missing.zip")


# -- predict and the runner: every output path planned before the first write ---------------------------------------
def _images(folder: Path) -> Path:
    """x.bmp, an earlier result x_sr.png, a 2-page stack.tif and a stack_p1.png / stack_p1.tif beside it."""
    import tifffile
    from PIL import Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((8, 8, 3)) * 255).astype(np.uint8)).save(folder / "x.bmp")
    Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(folder / "x_sr.png")
    tifffile.imwrite(folder / "stack.tif", (rng.random((2, 8, 8)) * 255).astype(np.uint8))
    Image.fromarray((rng.random((8, 8)) * 255).astype(np.uint8)).save(folder / "stack_p1.png")
    tifffile.imwrite(folder / "stack_p1.tif", (rng.random((8, 8)) * 255).astype(np.uint8))
    return folder


def _predict(out: Path, *inputs: Path, extra: tuple[str, ...] = ()):
    args = ["predict", *map(str, inputs), "--out", str(out), "-m", "bicubic", "-s", "2", "--no-progress", *extra]
    return CliRunner().invoke(app, args)


def test_predict_refuses_an_output_that_is_another_input(tmp_path: Path) -> None:
    d = _images(tmp_path / "d")
    before = md5_tree(d)
    one_error_line(_predict(d, d / "x.bmp", d / "x_sr.png"), "x_sr.png", "overwrite this input")
    assert md5_tree(d) == before


def test_predict_refuses_a_stack_page_whose_output_another_input_writes(tmp_path: Path) -> None:
    d = _images(tmp_path / "d")
    out = tmp_path / "out"
    before = md5_tree(d)
    one_error_line(_predict(out, d / "stack.tif", d / "stack_p1.tif"), "stack_p1_sr.tif", "both", "stack.tif")
    one_error_line(_predict(out, d / "stack.tif", d / "stack_p1.png", extra=("--format", "png")), "stack_p1_sr.png")
    assert md5_tree(d) == before and not any(out.glob("*_sr*"))
    ok = _predict(out, d / "stack.tif", d / "x.bmp")  # nothing shared: both done
    assert ok.exit_code == 0 and sorted(p.name for p in out.glob("*_sr*")) == [
        "stack_p0_sr.tif",
        "stack_p1_sr.tif",
        "x_sr.png",
    ]


def test_runner_refuses_an_output_that_is_an_input_or_written_twice(tmp_path: Path, monkeypatch, capsys) -> None:
    from leuko_keras.runtime import run as runner
    from leuko_keras.runtime.tiling import Nearest

    monkeypatch.setattr(runner, "TFLiteModel", lambda path, threads=None: Nearest(2))
    d = _images(tmp_path / "d")
    out = tmp_path / "out"
    before = md5_tree(d)
    for argv, words in [
        ([str(d / "x.bmp"), str(d / "x_sr.png"), "--out", str(d)], ["x_sr.png", "overwrite this input"]),
        ([str(d / "stack.tif"), str(d / "stack_p1.png"), "--out", str(out)], ["stack_p1_sr.png", "both"]),
    ]:
        assert runner.main(["model.tflite", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and all(word in err[0] for word in words), err
    assert md5_tree(d) == before and not out.exists()


# -- evaluate: no report or figure inside the data (nor a model) it reads ----------------------------------------
@pytest.mark.parametrize(
    "flag, where",
    [
        ("--json", "cell_0001_mask.png"),  # would replace a parsing map
        ("--markdown", "labels.csv"),
        ("--json", "new_results.json"),  # a new file in the data folder is refused too
        ("--figures", "."),  # the next evaluate would score the figures as cells
        ("--figures", "figs"),
    ],
)
def test_evaluate_refuses_outputs_inside_its_data(cells: Path, flag: str, where: str) -> None:
    before = md5_tree(cells)
    target = cells / where
    args = ["evaluate", "-m", "bicubic", "-s", "2", "--data", str(cells), flag, str(target)]
    one_error_line(CliRunner().invoke(app, args), flag, "the input", str(cells))
    assert md5_tree(cells) == before and sorted(p.name for p in cells.iterdir()) == sorted(before)


def test_evaluate_refuses_a_report_in_a_model_run_and_json_equal_to_markdown(old_run: Path, tmp_path: Path) -> None:
    from leuko_keras.errors import LeukoInputError
    from leuko_keras.evaluation.evaluate import check_report_outputs

    before = md5_tree(old_run)
    with pytest.raises(LeukoInputError, match="lies inside the input"):
        check_report_outputs(old_run / "summary.json", None, None, None, ["bicubic", f"mine={old_run}"])
    with pytest.raises(LeukoInputError, match="one would replace the other"):
        check_report_outputs(tmp_path / "r.txt", tmp_path / "r.txt", None, None, ["bicubic"])
    check_report_outputs(tmp_path / "r.json", tmp_path / "r.md", tmp_path / "figs", None, ["bicubic"])
    assert md5_tree(old_run) == before
