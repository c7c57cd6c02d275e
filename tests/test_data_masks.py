"""Parsing maps: presets, snapping stray values, custom mappings, LabelMe polygons, colours."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from leuko_keras.data.masks import DEFAULT_TOLERANCE, colorize, parse_mapping, read_labelme, read_mask, write_mask
from leuko_keras.errors import LeukoInputError

LABELS = np.array([[0, 1, 2, 2], [1, 1, 0, 2]], dtype=np.uint8)


def _save(path, array):
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)
    return path


def test_grey_and_paper_presets(tmp_path):
    grey = _save(tmp_path / "g.png", np.array([0, 128, 255], np.uint8)[LABELS])
    paper = _save(tmp_path / "p.png", colorize(LABELS))
    for mapping in ("grey", "auto"):
        np.testing.assert_array_equal(read_mask(grey, mapping), LABELS)
    for mapping in ("paper", "auto"):
        np.testing.assert_array_equal(read_mask(paper, mapping), LABELS)
    assert read_mask(grey).dtype == np.uint8


def test_colorize_uses_paper_colours_and_write_mask_round_trips(tmp_path):
    colours = colorize(LABELS)
    assert colours.dtype == np.uint8 and colours.shape == (2, 4, 3)
    assert colours[0, 1].tolist() == [255, 0, 0] and colours[0, 2].tolist() == [0, 0, 255]
    for preset in ("grey", "paper"):
        path = write_mask(tmp_path / f"{preset}.png", LABELS, preset)
        np.testing.assert_array_equal(read_mask(path, preset), LABELS)


def test_stray_values_snap_within_tolerance(tmp_path):
    values = np.array([[0, 45, 100, 128], [150, 210, 255, 254]], np.uint8)
    path = _save(tmp_path / "stray.png", values)
    np.testing.assert_array_equal(read_mask(path, "grey"), [[0, 0, 1, 1], [1, 2, 2, 2]])


def test_value_beyond_tolerance_names_file_and_value(tmp_path):
    path = _save(tmp_path / "bad.png", np.array([[0, 64, 128]], np.uint8))
    with pytest.raises(LeukoInputError) as info:
        read_mask(path, "grey")
    message = str(info.value)
    assert str(path) in message and "value 64" in message and "\n" not in message
    # A larger tolerance accepts it (nearest class: 0 and 128 tie -> lower class value wins).
    assert read_mask(path, "grey", tolerance=64).tolist() == [[0, 0, 1]]


def test_paper_colour_far_from_every_class_is_refused(tmp_path):
    path = _save(tmp_path / "purple.png", np.array([[[0, 0, 0], [128, 0, 128]]], np.uint8))
    with pytest.raises(LeukoInputError, match=r"\(128, 0, 128\)"):
        read_mask(path, "paper")


def test_colour_mask_with_grey_mapping_is_refused(tmp_path):
    path = _save(tmp_path / "c.png", colorize(LABELS))
    with pytest.raises(LeukoInputError, match="colour mask"):
        read_mask(path, "grey")


def test_custom_mappings(tmp_path):
    grey = _save(tmp_path / "g.png", np.array([10, 100, 200], np.uint8)[LABELS])
    np.testing.assert_array_equal(read_mask(grey, parse_mapping("10=0,100=1,200=2")), LABELS)
    np.testing.assert_array_equal(read_mask(grey, {10: 0, 100: 1, 200: 2}), LABELS)
    green = np.array([[0, 0, 0], [0, 255, 0], [255, 0, 255]], np.uint8)[LABELS]
    colour = _save(tmp_path / "c.png", green)
    np.testing.assert_array_equal(read_mask(colour, "#000000=0,#00ff00=1,#ff00ff=2"), LABELS)
    with pytest.raises(LeukoInputError, match="not understood"):
        parse_mapping("zero=background")
    with pytest.raises(LeukoInputError, match="classes must be"):
        parse_mapping("0=0,128=5")


def test_shared_stray_masks_need_the_default_tolerance(wbc_dir):
    # 034 holds a stray 45 (45 levels from background); 035/047/050 hold 3, 7, 9.
    worst = {}
    for name in ("034", "035", "047", "050"):
        values = np.asarray(Image.open(wbc_dir / "cellavision" / f"{name}.png")).astype(int)
        distance = np.min(np.abs(values[..., None] - np.array([0, 128, 255])), axis=-1)
        worst[name] = int(distance.max())
        labels = read_mask(wbc_dir / "cellavision" / f"{name}.png")
        exact = np.isin(values, [0, 128, 255])
        np.testing.assert_array_equal(labels[exact], (values[exact] > 0).astype(int) + (values[exact] > 128))
    assert 0 < max(worst.values()) <= DEFAULT_TOLERANCE
    with pytest.raises(LeukoInputError, match="034"):
        read_mask(wbc_dir / "cellavision" / "034.png", tolerance=max(worst.values()) - 1)


def _labelme(path, shapes, height=10, width=12):
    path.write_text(json.dumps({"shapes": shapes, "imageHeight": height, "imageWidth": width}))
    return path


def _poly(label, x0, y0, x1, y1):
    return {"label": label, "points": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], "shape_type": "polygon"}


def test_labelme_nucleus_drawn_over_cytoplasm_at_image_size(tmp_path):
    # Nucleus listed first: drawing order must still put it on top.
    path = _labelme(tmp_path / "a.json", [_poly("Nucleus", 4, 3, 6, 5), _poly("cytoplasm", 2, 1, 9, 8)])
    labels = read_labelme(path, (10, 12, 3))
    assert labels.shape == (10, 12) and labels.dtype == np.uint8
    assert labels[4, 5] == 2 and labels[2, 3] == 1 and labels[0, 0] == 0
    assert (labels == 2).sum() == 9 and (labels > 0).sum() == 8 * 8


def test_labelme_configurable_labels_and_errors(tmp_path):
    path = _labelme(tmp_path / "b.json", [_poly("kern", 1, 1, 3, 3), _poly("plasma", 0, 0, 5, 5)])
    with pytest.raises(LeukoInputError, match="'kern'"):
        read_labelme(path, (10, 12))
    labels = read_labelme(path, (10, 12), labels={"kern": 2, "plasma": 1})
    assert labels[2, 2] == 2 and labels[0, 0] == 1 and labels[9, 11] == 0
    with pytest.raises(LeukoInputError, match="12x10"):
        read_labelme(path, (20, 20), labels={"kern": 2, "plasma": 1})
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(LeukoInputError, match=r"c\.json"):
        read_labelme(tmp_path / "c.json", (10, 12))
