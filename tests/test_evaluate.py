"""`leuko-keras evaluate`: table numbers, bootstrap intervals, ranking marks, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.evaluation.bootstrap import normal_interval, paired_bootstrap
from leuko_keras.evaluation.compare import compare
from leuko_keras.evaluation.results import ModelResult
from leuko_keras.evaluation.table import results_table


def _smooth_rgb(rng: np.random.Generator, size: int) -> np.ndarray:
    # Low-frequency colour texture: SR-like content, not white noise.
    coarse = rng.random((size // 8, size // 8, 3))
    return np.kron(coarse, np.ones((8, 8, 1)))[:size, :size] * 0.7 + 0.15


@pytest.fixture(scope="module")
def plain_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three RGB images with no parsing maps, sides not divisible by 4."""
    folder = tmp_path_factory.mktemp("plain")
    rng = np.random.default_rng(7)
    for i, (h, w) in enumerate([(66, 70), (64, 64), (71, 65)]):
        pixels = _smooth_rgb(rng, 80)[:h, :w]
        Image.fromarray(np.rint(pixels * 255).astype(np.uint8)).save(folder / f"img{i}.png")
    return folder


def _independent_y(rgb: np.ndarray) -> np.ndarray:
    # BT.601 studio range written out, not via leuko_keras.runtime.color.
    return (16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def _independent_scores(path: Path, scale: int) -> tuple[float, float]:
    import tensorflow as tf

    from leuko_keras.protocol.degrade import bicubic_upscale, make_lr

    rgb = np.asarray(Image.open(path), dtype=np.float64) / 255.0
    h, w = rgb.shape[0] // scale * scale, rgb.shape[1] // scale * scale
    hr = rgb[:h, :w]
    lr_y = _independent_y(make_lr(hr, scale))
    sr = np.clip(bicubic_upscale(lr_y, scale), 0, 1)[scale:-scale, scale:-scale]
    target = _independent_y(hr)[scale:-scale, scale:-scale]
    psnr = 10 * np.log10(1.0 / np.mean((sr - target) ** 2))
    ssim = float(
        tf.image.ssim(
            tf.constant(sr[..., None]), tf.constant(target[..., None]), max_val=1.0, filter_size=11, filter_sigma=1.5
        )
    )
    return float(psnr), ssim


def test_table_numbers_match_an_independent_computation(plain_folder: Path, tmp_path: Path) -> None:
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    args = ["evaluate", "--data", str(plain_folder), "-m", "bicubic", "-s", "4", "--split", "all"]
    result = CliRunner().invoke(app, [*args, "--json", str(out_json), "--markdown", str(out_md)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out_json.read_text())
    (row,) = payload["results"]
    assert (row["model"], row["scale"], row["n_images"]) == ("Bicubic", 4, 3)
    expected = {p.stem: _independent_scores(p, 4) for p in sorted(plain_folder.glob("*.png"))}
    for item in row["per_image"]:
        psnr, ssim = expected[item["name"]]
        assert item["psnr"] == pytest.approx(psnr, abs=1e-6)
        assert item["ssim"] == pytest.approx(ssim, abs=1e-4)
    mean_psnr = np.mean([v[0] for v in expected.values()])
    assert row["psnr"] == pytest.approx(mean_psnr, abs=1e-6)
    assert f"{mean_psnr:.2f}" in out_md.read_text()
    assert "border crop = scale" in out_md.read_text()
    assert payload["protocol"]["split"] == "all"


def test_bootstrap_constant_differences_give_a_zero_width_interval() -> None:
    ci = paired_bootstrap([31.5, 29.0, 35.25], [31.0, 28.5, 34.75], n_resamples=500)
    assert (ci.mean, ci.low, ci.high, ci.n) == pytest.approx((0.5, 0.5, 0.5, 3))


def test_bootstrap_interval_matches_the_normal_interval_for_many_pairs() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(30, 3, 400)
    gain = rng.normal(0.5, 1.0, 400)
    ci = paired_bootstrap(base + gain, base, n_resamples=4000, seed=1)
    low, high = normal_interval(gain)
    assert ci.mean == pytest.approx(gain.mean())
    assert ci.low == pytest.approx(low, abs=0.03)
    assert ci.high == pytest.approx(high, abs=0.03)
    # Pairing matters: the per-image spread of `base` (sd 3) must not widen the interval.
    assert ci.high - ci.low < 0.3


def test_bootstrap_coverage_is_near_95_percent() -> None:
    rng = np.random.default_rng(3)
    covered = 0
    trials = 200
    for trial in range(trials):
        diff = rng.normal(0.2, 0.5, 40)
        ci = paired_bootstrap(diff, np.zeros_like(diff), n_resamples=400, seed=trial)
        covered += ci.low <= 0.2 <= ci.high
    assert 0.88 <= covered / trials <= 0.99


def _result(model: str, scale: int, psnrs: list[float], ssim: float = 0.9) -> ModelResult:
    rows = [{"name": f"c{i}", "psnr": p, "ssim": ssim} for i, p in enumerate(psnrs)]
    return ModelResult(model, scale, float(np.mean(psnrs)), ssim, len(psnrs), rows)


def test_best_is_bold_and_second_italic_per_column() -> None:
    table = results_table(
        [
            _result("Bicubic", 4, [30.0, 30.0], 0.80),
            _result("NP", 4, [31.0, 31.0], 0.86),
            _result("GP", 4, [32.0, 32.0], 0.85),
            _result("Bicubic", 8, [25.0, 25.0], 0.70),
        ]
    )
    lines = {line.split("|")[1].strip(): line for line in table.splitlines()[2:]}
    assert "**32.00**" in lines["GP"] and "*0.8500*" in lines["GP"] and "**0.8500**" not in lines["GP"]
    assert "*31.00*" in lines["NP"] and "**0.8600**" in lines["NP"]
    assert re.search(r"\|\s+30\.00\s+\|", lines["Bicubic"])  # third: unmarked
    assert lines["GP"].rstrip().endswith("| -            | -          |")  # GP has no x8 result


def test_comparisons_cover_bicubic_next_model_and_the_paper_pair() -> None:
    results = [
        _result("Bicubic", 4, [30.0, 30.5, 31.0]),
        _result("SRCNN", 4, [30.6, 31.0, 31.7]),
        _result("NP", 4, [31.0, 31.6, 32.0]),
        _result("GP", 4, [31.5, 31.9, 32.2]),
    ]
    found = {(c.model, c.reference, c.kind): c.ci for c in compare(results)}
    assert set(found) == {
        ("GP", "Bicubic", "over_bicubic"),
        ("NP", "Bicubic", "over_bicubic"),
        ("SRCNN", "Bicubic", "over_bicubic"),
        ("GP", "NP", "over_next"),
        ("NP", "SRCNN", "over_next"),
    }
    assert found[("GP", "NP", "over_next")].mean == pytest.approx(np.mean([0.5, 0.3, 0.2]))


def test_missing_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "-m", str(tmp_path / "nope.keras"), "-s", "4"])
    assert result.exit_code == 2
    assert "nope.keras" in result.stderr and "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unsupported_scale_is_refused(plain_folder: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--data", str(plain_folder), "-m", "bicubic", "-s", "5"])
    assert result.exit_code == 2
    assert "--scale 5" in result.stderr


class _Bumped:
    """Bicubic plus a bright square at a known place: a model that disagrees there only."""

    scale, has_map, fixed_lr_shape, source = 4, False, None, "test"

    def __init__(self, name: str, bump: bool) -> None:
        self.name, self.bump = name, bump

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, None]:
        from leuko_keras.protocol.degrade import bicubic_upscale

        sr = bicubic_upscale(np.asarray(lr_y, np.float64), 4)
        if self.bump:
            sr[40:52, 20:32] += 0.3
        return sr, None


def test_figures_find_the_planted_disagreement(tmp_path: Path) -> None:
    from leuko_keras.data.dataset import make_example
    from leuko_keras.evaluation import Evaluation, compare, score, write_figures
    from leuko_keras.evaluation.figures import disagreement_window
    from leuko_keras.predict.backends import BicubicBackend

    rng = np.random.default_rng(5)
    examples = [make_example(f"c{i}", _smooth_rgb(rng, 80), None, 4) for i in range(2)]
    backends = [BicubicBackend(4), _Bumped("Bumped", True), _Bumped("Plain", False)]
    results = [score(b, examples, 4) for b in backends]
    ev = Evaluation(results, compare(results), {}, {4: backends}, {4: examples})
    written = {p.name for p in write_figures(ev, tmp_path)}
    assert written == {"fig4_x4.png", "fig6_x4.png"}  # no maps, so no Fig. 3
    assert all(Image.open(tmp_path / name).size[0] > 200 for name in written)
    sr_a, _ = backends[1].run(examples[0].lr_y)
    sr_b, _ = backends[2].run(examples[0].lr_y)
    assert disagreement_window(sr_a, sr_b, 12) == (40, 20)
