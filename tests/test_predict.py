"""`leuko-keras predict`: tiling seams, bit depths, map outputs, failures and bad input."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.masks import PAPER_COLOURS
from leuko_keras.predict.backends import BicubicBackend
from leuko_keras.predict.files import predict_paths
from leuko_keras.protocol.degrade import bicubic_upscale
from leuko_keras.runtime.imageio import read_image, write_image
from leuko_keras.runtime.tiling import iter_strips, super_resolve_tiled


@dataclass
class LocalFilter:
    """A map model with a 5x5 LR receptive field: x2 nearest upsampling of a box-blurred image.

    Its probabilities depend on the blurred value (nucleus dark, background bright), so both
    outputs have a finite field and tiled results must equal untiled ones exactly.
    """

    scale: int = 2
    name: str = "local"
    has_map: bool = True
    fixed_lr_shape: tuple[int, int] | None = None
    source: str = "test"
    calls: int = 0

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        padded = np.pad(np.asarray(lr_y, np.float64), 2, mode="symmetric")
        h, w = lr_y.shape
        blurred = sum(padded[dy : dy + h, dx : dx + w] for dy in range(5) for dx in range(5)) / 25.0
        sr = np.kron(blurred, np.ones((self.scale, self.scale)))
        logits = np.stack([8 * sr, 2 * np.ones_like(sr), 8 * (1 - sr)], axis=-1)
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        return sr, probs.astype(np.float32)


@dataclass
class ConstantPerTile:
    """Returns a different constant for every tile: shows how seams are blended."""

    scale: int = 1
    name: str = "constant"
    has_map: bool = False
    fixed_lr_shape: tuple[int, int] | None = None
    source: str = "test"
    calls: int = 0

    def run(self, lr_y: np.ndarray) -> tuple[np.ndarray, None]:
        self.calls += 1
        return np.full(lr_y.shape, float(self.calls)), None


def test_tiled_equals_untiled_for_a_network_whose_field_fits_the_halo() -> None:
    lr = np.random.default_rng(0).random((70, 90))
    model = LocalFilter()
    direct_sr, direct_probs = model.run(lr)
    tiled_sr, tiled_probs = super_resolve_tiled(model, lr, tile=32, halo=4, overlap=6)
    assert model.calls > 1 + 6  # it really was tiled
    np.testing.assert_allclose(tiled_sr, direct_sr, atol=1e-9)
    np.testing.assert_allclose(tiled_probs, direct_probs, atol=1e-5)


def test_tiled_bicubic_equals_untiled_bicubic() -> None:
    lr = np.random.default_rng(1).random((45, 61))
    tiled, _ = super_resolve_tiled(BicubicBackend(4), lr, tile=24, halo=4, overlap=4)
    np.testing.assert_allclose(tiled, bicubic_upscale(lr, 4), atol=1e-6)


def test_seams_are_cross_faded_not_cut() -> None:
    model = ConstantPerTile()
    sr, _ = super_resolve_tiled(model, np.zeros((20, 100)), tile=40, halo=4, overlap=8)
    row = sr[10]
    assert model.calls >= 3 and row[0] == 1.0 and row[-1] == model.calls
    steps = np.diff(row)
    assert np.all(steps >= 0)  # tile 1 fades into tile 2 into tile 3, monotonically
    assert steps.max() < 0.25  # no hard seam: a jump of 1 is spread over the overlap


def test_strips_cover_every_row_once_and_stay_small() -> None:
    strips = list(iter_strips(LocalFilter(), np.zeros((150, 40)), tile=32, halo=4, overlap=4))
    rows = [s.row for s in strips]
    assert rows[0] == 0 and rows == sorted(rows)
    assert sum(len(s.sr) for s in strips) == 300
    assert all(b.row == a.row + len(a.sr) for a, b in itertools.pairwise(strips))
    assert max(len(s.sr) for s in strips) <= 32 * 2  # bounded by one tile row, not the image


def test_sixteen_bit_grey_stays_sixteen_bit(tmp_path: Path) -> None:
    lr = np.random.default_rng(2).integers(0, 65536, (20, 24)).astype(np.uint16)
    Image.fromarray(lr).save(tmp_path / "deep.png")
    report = predict_paths([tmp_path / "deep.png"], BicubicBackend(2), tmp_path / "out", tile=16, halo=4, overlap=2)
    assert report.failed == []
    out = read_image(tmp_path / "out" / "deep_sr.png")
    assert out.bit_depth == 16 and out.pixels.shape == (40, 48)
    expected = np.rint(bicubic_upscale(lr / 65535.0, 2) * 65535)
    np.testing.assert_array_equal(np.rint(out.pixels * 65535), expected)


def test_sixteen_bit_colour_stays_sixteen_bit_colour(tmp_path: Path) -> None:
    rgb = np.random.default_rng(3).random((75, 10, 3))  # tall: several strips and colour chunks
    write_image(tmp_path / "rgb16.png", rgb, bit_depth=16)
    rgb = read_image(tmp_path / "rgb16.png").pixels
    predict_paths([tmp_path / "rgb16.png"], BicubicBackend(2), tmp_path / "out", tile=16, halo=4, overlap=2)
    out = read_image(tmp_path / "out" / "rgb16_sr.png")
    assert out.bit_depth == 16 and out.pixels.shape == (150, 20, 3)
    # Bicubic Y + bicubic chroma is bicubic RGB (the colour transform is affine), also across
    # strip and chunk borders.
    np.testing.assert_allclose(out.pixels, np.clip(bicubic_upscale(rgb, 2), 0, 1), atol=3 / 65535)


def test_eight_bit_colour_gets_map_and_overlay_in_paper_colours(tmp_path: Path) -> None:
    rgb = np.random.default_rng(4).random((30, 34, 3))
    write_image(tmp_path / "cell.png", rgb)
    model = LocalFilter()
    report = predict_paths([tmp_path], model, tmp_path / "out", tile=16, halo=4, overlap=2, progress=False)
    names = sorted(p.name for p in report.written[str(tmp_path / "cell.png")])
    assert names == ["cell_labels.png", "cell_map.png", "cell_overlay.png", "cell_sr.png"]
    sr = read_image(tmp_path / "out" / "cell_sr.png")
    assert sr.bit_depth == 8 and sr.pixels.shape == (60, 68, 3)
    colours = np.asarray(Image.open(tmp_path / "out" / "cell_map.png"))
    from leuko_keras.runtime.imageio import luminance

    _, probs = model.run(luminance(read_image(tmp_path / "cell.png").pixels))
    np.testing.assert_array_equal(colours, PAPER_COLOURS[np.argmax(probs, axis=-1)])
    overlay = np.asarray(Image.open(tmp_path / "out" / "cell_overlay.png"))
    assert overlay.shape == (60, 68, 3)


def test_failing_file_is_skipped_and_exit_code_is_1(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_image(folder / "good.png", np.full((16, 16), 0.5))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    result = CliRunner().invoke(
        app, ["predict", str(folder), "-m", "bicubic", "-s", "2", "--out", str(tmp_path / "out"), "--no-progress"]
    )
    assert result.exit_code == 1
    assert "broken.png" in result.stderr and "1 done, 1 failed" in result.stdout
    assert (tmp_path / "out" / "good_sr.png").is_file()
    assert not (tmp_path / "out" / "broken_sr.png").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["predict", "missing.png", "-m", "bicubic", "-s", "2", "--out", "o"], "missing.png"),
        (["predict", "IN", "-m", "no_such_run", "--out", "o"], "no_such_run"),
        (["predict", "IN", "-m", "bicubic", "--out", "o"], "--scale"),
        (["predict", "IN", "-m", "bicubic", "-s", "2", "--out", "o", "--tile", "8"], "--tile"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    write_image(tmp_path / "ok.png", np.full((16, 16), 0.5))
    args = [str(tmp_path / "ok.png") if a == "IN" else a for a in args]
    args = [str(tmp_path / a) if a in ("o", "missing.png") else a for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_keras_model_file_predicts_with_its_map(tmp_path: Path) -> None:
    import leuko_keras

    model = leuko_keras.build_model("gp", scale=2, filters=8, lr_blocks=1, decoder_blocks=1, unet_base=4)
    model.save(tmp_path / "gp.keras")
    write_image(tmp_path / "cell.png", np.random.default_rng(5).random((20, 28, 3)))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["predict", str(tmp_path / "cell.png"), "-m", str(tmp_path / "gp.keras"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert read_image(out / "cell_sr.png").pixels.shape == (40, 56, 3)
    assert np.asarray(Image.open(out / "cell_map.png")).shape == (40, 56, 3)
