"""`leuko-keras synth` and `leuko-keras pack`: outputs, exit code 2 and one-line errors on bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.data.h5pack import read_info, read_names

RUNNER = CliRunner()


def _invoke(*args):
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result, result.stderr.strip().splitlines()


def test_synth_then_pack(tmp_path):
    result, _ = _invoke("synth", tmp_path / "cells", "--count", 3, "--size", 64, "--seed", 2)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "cells").glob("*.png"))[:2] == ["cell_0000.png", "cell_0000_mask.png"]
    result, _ = _invoke("pack", tmp_path / "cells", tmp_path / "cells.h5", "--scales", "2,4", "--need-masks")
    assert result.exit_code == 0, result.output
    assert read_info(tmp_path / "cells.h5")["scales"] == [2, 4]
    assert read_names(tmp_path / "cells.h5") == ["cell_0000", "cell_0001", "cell_0002"]


def _bad_data(tmp_path, synth_dir, kind):
    from PIL import Image

    data = tmp_path / "data"
    data.mkdir()
    Image.open(synth_dir / "cell_0000.png").save(data / "a.png")
    Image.open(synth_dir / "cell_0000_mask.png").save(data / "a_mask.png")
    if kind == "empty image":
        (data / "b.png").write_bytes(b"")
        return data, "b.png"
    if kind == "tiny image":
        Image.open(synth_dir / "cell_0001.png").resize((20, 20)).save(data / "b.png")
        return data, "b.png"
    if kind == "mask size":
        Image.open(synth_dir / "cell_0001_mask.png").resize((50, 50)).save(data / "a_mask.png")
        return data, "a_mask.png"
    if kind == "mask value":
        Image.new("L", (96, 96), 70).save(data / "a_mask.png")
        return data, "value 70"
    if kind == "no masks":
        (data / "a_mask.png").unlink()
        return data, "no parsing map"
    (data / "a.png").unlink()
    (data / "a_mask.png").unlink()
    return data, "no images found"


@pytest.mark.parametrize("kind", ["empty image", "tiny image", "mask size", "mask value", "no masks", "empty folder"])
def test_pack_bad_input_exit_2_one_line_no_output(tmp_path, synth_dir, kind):
    data, expected = _bad_data(tmp_path, synth_dir, kind)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    result, lines = _invoke("pack", data, tmp_path / "out" / "packed.h5", "--scales", "2,4", "--need-masks")
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before


def test_synth_refuses_non_empty_folder_and_bad_scales(tmp_path, synth_dir):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    result, lines = _invoke("synth", tmp_path / "busy", "--count", 2, "--size", 64)
    assert result.exit_code == 2 and len(lines) == 1 and "busy" in lines[0]
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["keep.txt"]
    result, lines = _invoke("pack", synth_dir, tmp_path / "x.h5", "--scales", "four")
    assert result.exit_code == 2 and "--scales" in lines[0] and not (tmp_path / "x.h5").exists()


def test_pack_labelme_with_custom_labels(tmp_path, synth_dir):
    import json

    from PIL import Image

    from leuko_keras.data.h5pack import load

    data = tmp_path / "lm"
    data.mkdir()
    Image.open(synth_dir / "cell_0000.png").save(data / "c.jpg")
    square = [[20, 20], [60, 20], [60, 60], [20, 60]]
    shapes = [{"label": "kern", "points": square, "shape_type": "polygon"}]
    (data / "c.json").write_text(json.dumps({"shapes": shapes, "imageHeight": 96, "imageWidth": 96}))
    result, lines = _invoke("pack", data, tmp_path / "a.h5", "--scales", "2")
    assert result.exit_code == 2 and "'kern'" in lines[0] and not (tmp_path / "a.h5").exists()
    result, _ = _invoke("pack", data, tmp_path / "a.h5", "--scales", "2", "--labelme-labels", "kern=2")
    assert result.exit_code == 0, result.output
    labels = load(tmp_path / "a.h5", 2, need_mask=True)[0].labels
    assert labels[40, 40] == 2 and labels[5, 5] == 0 and int((labels == 2).sum()) == 41 * 41
    result, lines = _invoke("pack", data, tmp_path / "b.h5", "--labelme-labels", "kern:2")
    assert result.exit_code == 2 and "--labelme-labels" in lines[0]
