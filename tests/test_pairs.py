"""Paired data (lr/ + hr/): discovery, scale from the sizes, refusals per file, and the commands on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.pairs import discover_pairs, iter_pair_examples, read_scale
from leuko_keras.errors import LeukoInputError

RUNNER = CliRunner()
TINY = ["--model", "np-lite", "--setting", "filters=8", "--setting", "blocks=1", "--epochs", "1"]
TINY += ["--steps-per-epoch", "2", "--size", "32", "--batch-size", "2", "--no-tensorboard", "--quiet"]


def _save(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.rint(np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(path)


def make_pairs(root: Path, count: int = 6, size: int = 64, scale: int = 2, masks: bool = True) -> Path:
    """A made-up paired set: synthetic cells as HR, their microscope-degraded images as the real LR."""
    from leuko_keras.data.degradations import degrade
    from leuko_keras.synth import generate

    for i, cell in enumerate(generate(count, size=size, seed=5)):
        hr = cell.rgb / 255.0
        lr = degrade(hr, scale, "microscope", np.random.default_rng(i), na=0.5)
        _save(root / "hr" / f"c{i}.png", hr)
        _save(root / "lr" / f"c{i}.png", lr)
        if masks:
            _save(root / "masks" / f"c{i}.png", np.array([0.0, 128 / 255, 1.0])[cell.labels])
    return root


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pairs(tmp_path_factory.mktemp("pairs") / "set")


def _invoke(*args):
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result, result.stdout + (result.stderr or "")


def test_discover_and_read_the_scale(pairs_dir):
    pairs = discover_pairs(pairs_dir)
    assert [p.name for p in pairs] == [f"c{i}" for i in range(6)]
    assert all(p.mask_path is not None for p in pairs)
    assert read_scale(pairs_dir) == 2


def test_examples_are_the_files_as_read(pairs_dir):
    from leuko_keras.runtime.imageio import luminance, read_image

    example = next(iter_pair_examples(pairs_dir, 2, ["c3"], need_mask=True))
    assert example.name == "c3"
    assert np.array_equal(example.lr_y, luminance(read_image(pairs_dir / "lr" / "c3.png").pixels).astype(np.float32))
    assert np.array_equal(example.hr_y, luminance(read_image(pairs_dir / "hr" / "c3.png").pixels).astype(np.float32))
    assert example.lr_y.shape == (32, 32) and example.hr_y.shape == (64, 64)
    assert example.labels.shape == (64, 64) and set(np.unique(example.labels)) <= {0, 1, 2}


def test_pipeline_takes_a_pairs_folder_without_re_degrading(pairs_dir):
    from leuko_keras.data.examples import load_examples
    from leuko_keras.data.pipeline import make_dataset
    from leuko_keras.data.source import DataSource

    examples = load_examples(pairs_dir, 2, split="all", need_mask=True)
    direct = list(iter_pair_examples(pairs_dir, 2))
    assert [e.name for e in examples] == [e.name for e in direct]
    assert all(np.array_equal(a.lr_y, b.lr_y) for a, b in zip(examples, direct, strict=True))
    train = load_examples(pairs_dir, 2, split="train")
    test = load_examples(pairs_dir, 2, split="test")
    assert train and test and not {e.name for e in train} & {e.name for e in test}
    lr, targets = next(iter(make_dataset(pairs_dir, scale=2, batch_size=2, size=32, split="train")))
    assert lr.shape == (2, 16, 16, 1) and targets["sr"].shape == (2, 32, 32, 1)
    with pytest.raises(LeukoInputError, match="not x4"):
        load_examples(pairs_dir, 4, split="all")
    from leuko_keras.data.degradations import degradation_record

    with pytest.raises(LeukoInputError, match="not degraded again"):
        load_examples(DataSource(pairs_dir, degradation=degradation_record("microscope")), 2, split="all")


def _broken(root: Path, lr_size: tuple[int, int], hr_size: tuple[int, int], lr_name: str = "b.png") -> Path:
    make_pairs(root, count=2, size=64, masks=False)
    _save(root / "lr" / lr_name, np.full((*lr_size[::-1], 3), 0.5))
    _save(root / "hr" / "b.png", np.full((*hr_size[::-1], 3), 0.5))
    return root


@pytest.mark.parametrize(
    ("lr_size", "hr_size", "lr_name", "message"),
    [
        ((30, 30), (64, 64), "b.png", "misaligned"),  # not an exact multiple
        ((32, 16), (64, 64), "b.png", "misaligned"),  # x2 one way, x4 the other
        ((16, 16), (64, 64), "b.png", "x4, but the other pairs are x2"),  # another scale than the other pairs
        ((12, 12), (60, 60), "b.png", "x5"),  # no such model scale
        ((32, 32), (64, 64), "b_other.png", "no matching"),  # names do not match
    ],
)
def test_bad_pairs_are_refused_per_file(tmp_path, lr_size, hr_size, lr_name, message):
    root = _broken(tmp_path / "bad", lr_size, hr_size, lr_name)
    with pytest.raises(LeukoInputError, match=message) as error:
        read_scale(root)
    assert "b" in str(error.value).split(":")[0]  # the message starts with the offending file
    result, out = _invoke("evaluate", "--pairs", root, "-m", "bicubic", "--split", "all")
    assert result.exit_code == 2 and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1 and message in out


def test_evaluate_pairs_scores_the_real_lr(pairs_dir, tmp_path):
    from leuko_keras.protocol.degrade import bicubic_upscale
    from leuko_keras.protocol.metrics import psnr

    result, out = _invoke(
        "evaluate", "--pairs", pairs_dir, "-m", "bicubic", "--split", "all", "--json", tmp_path / "e.json"
    )
    assert result.exit_code == 0, out
    assert "real LR images" in out and "x2" in out
    report = json.loads((tmp_path / "e.json").read_text())
    rows = {r["name"]: r["psnr"] for r in report["results"][0]["per_image"]}
    assert sorted(rows) == [f"c{i}" for i in range(6)]
    # Bicubic upscaling of the stored LR, not of a re-degraded HR.
    example = next(iter_pair_examples(pairs_dir, 2, ["c1"]))
    expected = psnr(bicubic_upscale(example.lr_y.astype(np.float64), 2), example.hr_y, crop=2)
    assert rows["c1"] == pytest.approx(expected, abs=1e-9)
    result, out = _invoke("evaluate", "--pairs", pairs_dir, "--data", pairs_dir, "-m", "bicubic")
    assert result.exit_code == 2 and "drop --data" in out


def test_fit_on_pairs_then_evaluate_on_them(tmp_path):
    # No parsing maps: a model without a map trains on bare pairs.
    pairs_dir = make_pairs(tmp_path / "bare", masks=False)
    run = tmp_path / "run"
    result, out = _invoke("fit", "--pairs", pairs_dir, "--out", run, *TINY)
    assert result.exit_code == 0, out
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["pairs"] == str(pairs_dir) and config["scale"] == 2  # scale read from the sizes
    assert config["degradation"] == {"kind": "bicubic"}
    result, out = _invoke("evaluate", "--pairs", pairs_dir, "-m", "bicubic", "-m", run)
    assert result.exit_code == 0, out
    assert "NP-lite" in out or "np-lite" in out.lower()
    # Wrong --scale, and a degradation on real pairs, stop before training.
    for extra, message in (
        (["--scale", "4"], "pass --scale 2"),
        (["--degradation", "microscope"], "drop --degradation"),
    ):
        result, out = _invoke("fit", "--pairs", pairs_dir, "--out", tmp_path / "no", *TINY, *extra)
        assert result.exit_code == 2 and message in out, out
        assert not (tmp_path / "no").exists()
