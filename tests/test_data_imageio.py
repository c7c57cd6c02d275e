"""Image reading/writing: formats, modes, 16-bit precision, and bad files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime.imageio import luminance, read_image, write_image

RNG = np.random.default_rng(7)
RGB8 = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".tiff"])
def test_lossless_formats_round_trip_rgb_and_grey(tmp_path, suffix):
    Image.fromarray(RGB8).save(tmp_path / f"c{suffix}")
    Image.fromarray(RGB8[..., 0]).save(tmp_path / f"g{suffix}")
    colour, grey = read_image(tmp_path / f"c{suffix}"), read_image(tmp_path / f"g{suffix}")
    np.testing.assert_array_equal(colour.pixels * 255, RGB8)
    np.testing.assert_array_equal(grey.pixels * 255, RGB8[..., 0])
    assert colour.bit_depth == grey.bit_depth == 8
    assert grey.is_grey and not colour.is_grey


def test_jpeg_reads_as_rgb_in_unit_range(tmp_path):
    smooth = np.full((16, 16, 3), (200, 90, 140), dtype=np.uint8)
    Image.fromarray(smooth).save(tmp_path / "a.jpg", quality=95)
    image = read_image(tmp_path / "a.jpg")
    assert image.pixels.shape == (16, 16, 3)
    assert np.abs(image.pixels * 255 - smooth).max() <= 3


def test_rgba_drops_alpha_with_warning(tmp_path):
    rgba = np.dstack([RGB8, np.full(RGB8.shape[:2], 7, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with pytest.warns(UserWarning, match="alpha"):
        image = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(image.pixels * 255, RGB8)


def test_palette_images_colour_and_grey(tmp_path):
    Image.fromarray(RGB8).quantize(16).save(tmp_path / "p.png")
    expected = np.asarray(Image.open(tmp_path / "p.png").convert("RGB"))
    colour = read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(colour.pixels * 255, expected)
    grey = Image.fromarray(RGB8[..., 1]).convert("P")
    grey.putpalette([v for i in range(256) for v in (i, i, i)])
    grey.save(tmp_path / "gp.png")
    loaded = read_image(tmp_path / "gp.png")
    # A grey palette is its own luminance: single channel.
    assert loaded.is_grey
    np.testing.assert_array_equal(loaded.pixels * 255, RGB8[..., 1])


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_grey_keeps_full_precision(tmp_path, suffix):
    values = RNG.integers(0, 65536, (9, 11)).astype(np.uint16)
    values[0, 0] = 1  # not representable in 8 bits
    Image.fromarray(values).save(tmp_path / f"g{suffix}")
    image = read_image(tmp_path / f"g{suffix}")
    assert image.bit_depth == 16
    np.testing.assert_array_equal(np.rint(image.pixels * 65535), values)


def test_16bit_colour_png_round_trip(tmp_path):
    pixels = RNG.random((7, 9, 3))
    write_image(tmp_path / "c16.png", pixels, bit_depth=16)
    image = read_image(tmp_path / "c16.png")
    assert image.bit_depth == 16 and image.pixels.shape == (7, 9, 3)
    # 16-bit quantisation error only (8-bit truncation would be ~1/510).
    assert np.abs(image.pixels - pixels).max() <= 0.5 / 65535 + 1e-12


def test_write_image_8bit_rounds_like_matlab(tmp_path):
    write_image(tmp_path / "r.png", np.array([[2.5, 3.5, 254.6]]) / 255)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "r.png")), [[3, 4, 255]])


def test_write_image_is_atomic_and_refuses_unknown_formats(tmp_path):
    with pytest.raises(LeukoInputError, match=r"out\.gif"):
        write_image(tmp_path / "out.gif", np.zeros((4, 4)))
    with pytest.raises(LeukoInputError, match="16-bit"):
        write_image(tmp_path / "out.jpg", np.zeros((4, 4)), bit_depth=16)
    assert list(tmp_path.iterdir()) == []


def test_luminance_grey_is_itself_and_rgb_is_studio_y():
    grey = RNG.random((4, 4))
    assert luminance(grey) is grey
    assert luminance(np.zeros((1, 1, 3)))[0, 0] == pytest.approx(16 / 255)


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    Image.fromarray(RGB8).save(tmp_path / "good.png")
    Image.fromarray(RGB8).save(tmp_path / "good.jpg")
    data = (tmp_path / "good.png").read_bytes()
    files = {
        "empty": tmp_path / "empty.png",
        "truncated png": tmp_path / "trunc.png",
        "truncated jpeg": tmp_path / "trunc.jpg",
        "text": tmp_path / "notes.bmp",
        "gif": tmp_path / "anim.gif",
        "cmyk": tmp_path / "cmyk.jpg",
        "missing": tmp_path / "missing.png",
        "truncated png16": tmp_path / "trunc16.png",
    }
    write_image(tmp_path / "c16.png", RNG.random((12, 10, 3)), bit_depth=16)
    files["truncated png16"].write_bytes((tmp_path / "c16.png").read_bytes()[:200])
    files["empty"].write_bytes(b"")
    files["truncated png"].write_bytes(data[: len(data) // 2])
    files["truncated jpeg"].write_bytes((tmp_path / "good.jpg").read_bytes()[:300])
    files["text"].write_text("not an image at all\n")
    Image.fromarray(RGB8).save(files["gif"])
    Image.fromarray(RGB8).convert("CMYK").save(files["cmyk"])
    return files


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("empty", "empty"),
        ("truncated png", "truncated"),
        ("truncated jpeg", "truncated"),
        ("text", "not an image"),
        ("gif", "GIF"),
        ("cmyk", "CMYK"),
        ("missing", "no such file"),
        ("truncated png16", "truncated"),
    ],
)
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, kind, hint):
    path = _bad_files(tmp_path)[kind]
    before = path.read_bytes() if path.exists() else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stray Pillow warnings either
        with pytest.raises(LeukoInputError) as info:
            read_image(path)
    message = str(info.value)
    assert str(path) in message and hint in message and "\n" not in message
    assert (path.read_bytes() if path.exists() else None) == before


def test_real_shared_bmp(wbc_dir):
    image = read_image(wbc_dir / "cellavision" / "001.bmp")
    assert image.pixels.shape == (300, 300, 3) and image.bit_depth == 8
    assert image.pixels.dtype == np.float64 and image.pixels.min() >= 0 and image.pixels.max() <= 1
