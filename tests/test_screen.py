"""`leuko-keras screen` on synthetic fields made here: cells found where they were put, empty fields, cut cells,
a corrupt field among good ones, and a folder of the user's left alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import PLASMA, SCREEN_SCALE, synthetic_field
from typer.testing import CliRunner

from leuko_keras.cli import app
from leuko_keras.protocol.degrade import make_lr
from leuko_keras.runtime.imageio import write_image


def screen(tmp_path: Path, *args: str):
    return CliRunner().invoke(app, ["screen", *args, "--model", "gp-lite-x4"])


def read_rows(out: Path) -> list[dict]:
    with open(out / "cells.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def inside(row: dict, point: tuple[float, float]) -> bool:
    return float(row["x0"]) <= point[0] < float(row["x1"]) and float(row["y0"]) <= point[1] < float(row["y1"])


def test_synthetic_field_gives_one_row_per_cell_with_a_box_around_it(tmp_path: Path) -> None:
    field, centres = synthetic_field([(20, 30), (300, 600), (10, 620)])
    write_image(tmp_path / "field.png", field)
    out = tmp_path / "out"
    result = screen(tmp_path, str(tmp_path / "field.png"), "--out", str(out), "--pixel-size", "0.4")
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert len(rows) == len(centres)
    for centre in centres:  # each cell in exactly one box
        assert sum(inside(row, centre) for row in rows) == 1
    for row in rows:
        assert float(row["nucleus_area"]) > 0 and float(row["cell_area"]) > float(row["nucleus_area"])
        assert float(row["nucleus_area_um2"]) == pytest.approx(float(row["nucleus_area"]) * 0.16, rel=0.01)
        assert row["touches_border"] == "False" and float(row["nc_ratio"]) > 0
        stem = out / "cells" / f"field_{int(row['cell']):03d}"
        assert all(Path(f"{stem}_{kind}.png").is_file() for kind in ("lr", "sr", "labels", "overlay"))
    record = json.loads((out / "cells.json").read_text())
    assert record["scale"] == SCREEN_SCALE and "protocol" in record and len(record["cells"]) == len(rows)
    assert all((out / name).is_file() for name in ("field_detections.png", "gallery.png", "report.html"))
    assert "field_detections.png" in (out / "report.html").read_text()


def test_field_without_leukocyte_gives_an_empty_table_and_exit_0(tmp_path: Path) -> None:
    hr = np.empty((400, 400, 3))
    hr[:] = PLASMA
    yy, xx = np.mgrid[:400, :400]
    for cy, cx in ((100, 100), (250, 300), (320, 90)):  # red cells: pink discs, no nucleus
        hr[(yy - cy) ** 2 + (xx - cx) ** 2 < 45**2] = (0.85, 0.6, 0.6)
    write_image(tmp_path / "empty.png", make_lr(hr, SCREEN_SCALE))
    out = tmp_path / "out"
    result = screen(tmp_path, str(tmp_path / "empty.png"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "cells.csv").read_text().splitlines() == [(out / "cells.csv").read_text().splitlines()[0]]
    assert read_rows(out) == [] and json.loads((out / "cells.json").read_text())["fields"] == {"empty": 0}


def test_cell_cut_by_the_border_is_flagged(tmp_path: Path) -> None:
    field, centres = synthetic_field([(200, -130), (150, 500)], shape=(640, 960))
    write_image(tmp_path / "edge.png", field)
    out = tmp_path / "out"
    assert screen(tmp_path, str(tmp_path / "edge.png"), "--out", str(out)).exit_code == 0
    rows = read_rows(out)
    cut = [row for row in rows if inside(row, centres[0])]
    whole = [row for row in rows if inside(row, centres[1])]
    assert len(cut) == 1 and cut[0]["touches_border"] == "True" and cut[0]["x0"] == "0"
    assert len(whole) == 1 and whole[0]["touches_border"] == "False"


def test_corrupt_field_among_good_ones_is_reported_and_skipped(tmp_path: Path) -> None:
    fields = tmp_path / "fields"
    fields.mkdir()
    field, centres = synthetic_field([(100, 200)], shape=(480, 640))
    write_image(fields / "a_good.png", field)
    (fields / "b_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    out = tmp_path / "out"
    result = screen(tmp_path, str(fields), "--out", str(out))
    assert result.exit_code == 1
    assert "b_broken.png" in result.output and "a_good.png: 1 cells" in result.output
    rows = read_rows(out)
    assert len(rows) == 1 and rows[0]["field"] == "a_good" and inside(rows[0], centres[0])
    failed = json.loads((out / "cells.json").read_text())["failed"]
    assert [Path(f["input"]).name for f in failed] == ["b_broken.png"]


def test_a_folder_of_the_users_is_never_written_into(tmp_path: Path) -> None:
    field, _ = synthetic_field([(100, 200)], shape=(480, 640))
    write_image(tmp_path / "f.png", field)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = screen(tmp_path, str(tmp_path / "f.png"), "--out", str(out))
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    # An earlier screen's folder is ours to replace.
    assert screen(tmp_path, str(tmp_path / "f.png"), "--out", str(tmp_path / "s")).exit_code == 0
    assert screen(tmp_path, str(tmp_path / "f.png"), "--out", str(tmp_path / "s")).exit_code == 0
    assert len(read_rows(tmp_path / "s")) == 1


@pytest.mark.parametrize(
    ("flag", "value"), [("--pixel-size", "-1"), ("--min-area", "0"), ("--margin", "-3"), ("--detector", "bicubic")]
)
def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path, flag: str, value: str) -> None:
    write_image(tmp_path / "f.png", np.full((40, 40, 3), 0.9))
    result = screen(tmp_path, str(tmp_path / "f.png"), "--out", str(tmp_path / "o"), flag, value)
    assert result.exit_code == 2 and flag in result.output and not (tmp_path / "o").exists()


def test_a_coarser_detector_finds_the_same_cells_on_the_shrunk_field(tmp_path: Path) -> None:
    field, centres = synthetic_field([(20, 30), (300, 600)])
    write_image(tmp_path / "field.png", field)
    out = tmp_path / "out"
    result = screen(tmp_path, str(tmp_path / "field.png"), "--out", str(out), "--detector", "gp-lite-x8")
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert len(rows) == len(centres) and all(sum(inside(r, c) for r in rows) == 1 for c in centres)
    record = json.loads((out / "cells.json").read_text())
    assert record["detector_shrink"] == 2 and record["scale"] == SCREEN_SCALE


def test_pixel_size_comes_from_the_ome_tiff_calibration(tmp_path: Path) -> None:
    from leuko_keras.runtime.tiff import tiff_rows

    field, _ = synthetic_field([(100, 200)], shape=(480, 640))
    with tiff_rows(tmp_path / "f.ome.tif", field.shape[1], field.shape[0], 3, 8, (0.5, 0.5), "µm") as write:
        write(field)
    out = tmp_path / "out"
    assert screen(tmp_path, str(tmp_path / "f.ome.tif"), "--out", str(out)).exit_code == 0
    (row,) = read_rows(out)
    assert float(row["cell_area_um2"]) == pytest.approx(float(row["cell_area"]) * 0.25, rel=0.01)
