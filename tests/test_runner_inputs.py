"""The on-device runner reads what the library reads and refuses what it refuses (bad files made here)."""

from __future__ import annotations

import errno
import os
import stat
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leuko_keras.core.atomic import clean_stale_temps
from leuko_keras.data import imageio
from leuko_keras.errors import LeukoInputError
from leuko_keras.runtime import run as runner
from leuko_keras.runtime.imageio import read_image
from leuko_keras.runtime.inputs import collect_images
from leuko_keras.runtime.run import main, upscale
from leuko_keras.runtime.tiling import Nearest


def _png_header_only(path: Path, width: int, height: int, bit_depth: int = 1) -> None:
    # A PNG that claims a huge size: Pillow refuses it from the header, no pixels needed.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def _corpus(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    files: dict[str, Path] = {}

    def save(name: str, image: Image.Image, **options) -> None:
        files[name] = folder / name
        image.save(files[name], **options)

    save("float32.tif", Image.fromarray(rng.random((9, 7)).astype(np.float32)))
    save("int32_big.tif", Image.fromarray((rng.random((9, 7)) * 200000).astype(np.int32)))
    save("int32_ok.tif", Image.fromarray((rng.random((9, 7)) * 60000).astype(np.int32)))
    save("grey16.png", Image.fromarray((rng.random((9, 7)) * 65535).astype(np.uint16)))
    save("rgb8.png", Image.fromarray((rng.random((9, 7, 3)) * 255).astype(np.uint8)))
    save("rgba.png", Image.fromarray((rng.random((9, 7, 4)) * 255).astype(np.uint8)))
    save("grey_palette.png", Image.fromarray((rng.random((9, 7)) * 255).astype(np.uint8)).convert("P"))
    save("cmyk.jpg", Image.new("CMYK", (9, 7), (10, 20, 30, 40)))
    save("bilevel.png", Image.fromarray(rng.random((9, 7)) > 0.5))
    files["huge_1bit.png"] = folder / "huge_1bit.png"
    _png_header_only(files["huge_1bit.png"], 40000, 40000)
    files["empty.png"] = folder / "empty.png"
    files["empty.png"].write_bytes(b"")
    files["text.png"] = folder / "text.png"
    files["text.png"].write_text("not an image")
    files["truncated.png"] = folder / "truncated.png"
    files["truncated.png"].write_bytes(files["rgb8.png"].read_bytes()[:60])
    return files


def test_runner_reads_with_the_library_and_refuses_what_it_refuses(tmp_path: Path) -> None:
    # One reader: the runner's images come from leuko_keras.runtime.imageio, so both accept and refuse the same files.
    assert runner.read_images is imageio.read_images
    out = tmp_path / "out"
    for name, path in _corpus(tmp_path).items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                library = read_image(path)
        except LeukoInputError as error:
            with pytest.raises(LeukoInputError) as caught:
                upscale(Nearest(2), path, out)
            assert str(caught.value) == str(error), name
            continue
        if min(library.pixels.shape[:2]) >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                written = upscale(Nearest(2), path, out)
            assert read_image(written[0]).bit_depth == library.bit_depth, name
    # The cases the issue names are refusals, never near-black or saturated output.
    for name in ("float32.tif", "int32_big.tif", "huge_1bit.png"):
        with pytest.raises(LeukoInputError):
            upscale(Nearest(2), tmp_path / name, out)


def test_runner_skips_what_is_not_a_regular_image_and_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(folder / "good.png")
    (folder / "dir.png").mkdir()
    (folder / "dangling.png").symlink_to(folder / "missing.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    os.mkfifo(folder / "pipe.png")
    warned: list[str] = []
    assert collect_images([str(folder)], warn=warned.append) == [folder / "good.png"]
    assert len(warned) == 4 and all(w.startswith("warning: ") and "skipped" in w for w in warned)
    with pytest.raises(LeukoInputError, match="no such image"):
        collect_images([str(folder / "dangling.png")])


def test_runner_out_under_a_file_is_one_line_before_any_image(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    code = main([str(tmp_path / "model.tflite"), str(tmp_path), "--out", str(blocker / "sr")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "is a file" in err[0]
    assert blocker.read_text() == "mine"


def test_runner_outputs_follow_the_umask_and_a_full_disk_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(image)
    old = os.umask(0o022)
    try:
        (path,) = upscale(Nearest(2), image, tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(LeukoInputError, match="disk full"):
        upscale(Nearest(2), image, tmp_path / "full")
    assert not list((tmp_path / "full").glob("*"))


def test_runner_cleans_temporaries_of_a_killed_run(tmp_path: Path) -> None:
    # The runner writes through leuko_keras.core.atomic and cleans with it: the same temporary names.
    dead = tmp_path / ".cell_sr.pid999999999.abc123.tmp.png"
    dead.write_bytes(b"half")
    live = tmp_path / f".cell_map.pid{os.getpid()}.abc123.tmp.png"
    live.write_bytes(b"half")
    mine = tmp_path / ".notes.tmp.png"
    mine.write_bytes(b"user")
    clean_stale_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name])


def test_runner_unwritable_out_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(image)

    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(runner, "TFLiteModel", lambda path, threads=None: Nearest(2))
    monkeypatch.setattr(runner, "write_image", refused)
    code = main(["model.tflite", str(image), "--out", str(tmp_path / "sr")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "a_sr.png: Permission denied" in err[0], err
