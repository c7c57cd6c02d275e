"""Dataset discovery (every layout), size checks, splits and example preparation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from leuko_keras.data.dataset import (
    discover,
    load_example,
    read_split_file,
    require_masks,
    split_samples,
    write_split_file,
)
from leuko_keras.data.split import block_split
from leuko_keras.errors import LeukoInputError
from leuko_keras.protocol.degrade import make_lr
from leuko_keras.runtime.color import rgb_to_y

RNG = np.random.default_rng(11)
GREY = np.array([0, 128, 255], np.uint8)


def _pair(size=(40, 48)):
    rgb = RNG.integers(0, 256, (*size, 3), dtype=np.uint8)
    labels = RNG.integers(0, 3, size, dtype=np.uint8)
    return rgb, labels


def _write(folder, name, rgb=None, labels=None, mask_name=None, image_ext=".png"):
    folder.mkdir(parents=True, exist_ok=True)
    if rgb is not None:
        Image.fromarray(rgb).save(folder / f"{name}{image_ext}")
    if labels is not None:
        Image.fromarray(GREY[labels]).save(folder / (mask_name or f"{name}_mask.png"))


def test_suffix_layout(tmp_path):
    for name in ("b", "a"):
        _write(tmp_path, name, *_pair())
    samples = discover(tmp_path)
    assert [s.name for s in samples] == ["a", "b"]
    assert samples[0].mask_path == tmp_path / "a_mask.png" and samples[0].mask_kind == "image"


def test_images_masks_layout(tmp_path):
    rgb, labels = _pair()
    _write(tmp_path / "images", "c1", rgb, image_ext=".bmp")
    _write(tmp_path / "images", "c2", rgb, image_ext=".tif")
    _write(tmp_path / "masks", "c1", None, labels, mask_name="c1.png")
    _write(tmp_path / "masks", "c2", None, labels, mask_name="c2_mask.png")
    samples = discover(tmp_path)
    assert [(s.name, s.mask_path.name) for s in samples] == [("c1", "c1.png"), ("c2", "c2_mask.png")]


def test_same_stem_layout_of_the_shared_data(wbc_dir):
    samples = discover(wbc_dir / "tecom")
    assert len(samples) == 300
    assert samples[0].image_path.name == "001.bmp" and samples[0].mask_path.name == "001.png"


def test_parent_folder_reads_subfolders_with_prefixed_names(wbc_dir):
    samples = discover(wbc_dir)
    names = [s.name for s in samples]
    assert len(names) == 370 == len(set(names))
    assert "cellavision/001" in names and "tecom/001" in names


def test_labelme_layout_and_images_without_masks(tmp_path):
    rgb, _ = _pair()
    _write(tmp_path, "lm", rgb, image_ext=".jpg")
    shape = {"label": "nucleus", "points": [[5, 5], [20, 5], [20, 20]], "shape_type": "polygon"}
    (tmp_path / "lm.json").write_text(json.dumps({"shapes": [shape], "imageHeight": 40, "imageWidth": 48}))
    _write(tmp_path, "bare", rgb)
    samples = {s.name: s for s in discover(tmp_path)}
    assert samples["lm"].mask_kind == "labelme" and samples["bare"].mask_path is None
    example = load_example(samples["lm"], 2, need_mask=True)
    assert example.labels.shape == (40, 48) and (example.labels == 2).sum() > 50
    with pytest.raises(LeukoInputError, match=r"bare\.png: no parsing map"):
        require_masks(list(samples.values()), tmp_path)
    with pytest.raises(LeukoInputError, match="no parsing map"):
        load_example(samples["bare"], 2, need_mask=True)
    assert load_example(samples["bare"], 2).labels is None  # fine for SR only


def test_explicit_layout_overrides_detection(tmp_path):
    rgb, labels = _pair()
    _write(tmp_path, "x", rgb, labels)
    assert discover(tmp_path, layout="none")[0].mask_path is None
    # With detection of NAME_mask switched off, the mask file is just another image.
    assert sorted(s.name for s in discover(tmp_path, layout="stem")) == ["x", "x_mask"]
    _write(tmp_path / "other", "y", rgb, labels, mask_name="y-seg.png")
    assert discover(tmp_path / "other", mask_suffix="-seg")[0].mask_path.name == "y-seg.png"
    with pytest.raises(LeukoInputError, match="layout 'zigzag'"):
        discover(tmp_path, layout="zigzag")


def test_empty_missing_and_file_folders(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LeukoInputError, match="no images found"):
        discover(tmp_path)
    with pytest.raises(LeukoInputError, match="no such folder"):
        discover(tmp_path / "nope")
    with pytest.raises(LeukoInputError, match="not a folder"):
        discover(tmp_path / "notes.txt")


def test_mask_size_mismatch_names_both_files(tmp_path):
    rgb, _ = _pair((40, 48))
    _, labels = _pair((40, 40))
    _write(tmp_path, "m", rgb, labels)
    sample = discover(tmp_path)[0]
    with pytest.raises(LeukoInputError) as info:
        load_example(sample, 2, need_mask=True)
    assert "m_mask.png" in str(info.value) and "m.png" in str(info.value) and "48x40" in str(info.value)


def test_too_small_image_is_refused(tmp_path):
    rgb, labels = _pair((40, 48))
    _write(tmp_path, "s", rgb, labels)
    sample = discover(tmp_path)[0]
    load_example(sample, 4)  # 40 >= 8 * 4
    with pytest.raises(LeukoInputError, match=r"s\.png.*too small for x8"):
        load_example(sample, 8)


def test_load_example_is_the_matlab_degradation(tmp_path):
    rgb, labels = _pair((42, 51))
    _write(tmp_path, "e", rgb, labels)
    example = load_example(discover(tmp_path)[0], 4, need_mask=True)
    hr = rgb[:40, :48].astype(np.float64) / 255
    assert example.hr_y.shape == (40, 48) and example.lr_y.shape == (10, 12) and example.labels.shape == (40, 48)
    np.testing.assert_allclose(example.hr_y, rgb_to_y(hr), atol=1e-6)
    np.testing.assert_allclose(example.lr_y, rgb_to_y(make_lr(hr, 4)), atol=1e-6)
    np.testing.assert_array_equal(example.labels, labels[:40, :48])
    assert example.lr_y.dtype == np.float32 and example.bit_depth == 8


def test_16bit_grey_example_keeps_16bit_levels(tmp_path):
    values = RNG.integers(0, 65536, (32, 32)).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "g.png")
    example = load_example(discover(tmp_path)[0], 2)
    assert example.bit_depth == 16 and example.hr_rgb is None
    np.testing.assert_allclose(example.hr_y, values / 65535, atol=1e-7)
    steps = example.lr_y.astype(np.float64) * 65535
    assert np.abs(steps - np.rint(steps)).max() < 0.02  # on the 16-bit grid
    assert np.abs(steps / 257 - np.rint(steps / 257)).max() > 0.1  # not on the 8-bit grid


def test_seeded_split_is_deterministic_disjoint_and_complete():
    names = [f"n{i:03d}" for i in range(863)]
    parts = split_samples(names, seed=5, fractions=(759, 52, 52))
    assert [len(parts[k]) for k in ("train", "val", "test")] == [759, 52, 52]
    assert sorted(n for part in parts.values() for n in part) == names
    assert parts == split_samples(list(reversed(names)), seed=5, fractions=(759, 52, 52))
    assert parts["test"] != split_samples(names, seed=6, fractions=(759, 52, 52))["test"]
    small = split_samples(names[:5], seed=0)
    assert [len(small[k]) for k in ("train", "val", "test")] == [3, 1, 1]
    with pytest.raises(LeukoInputError, match="add up to"):
        split_samples(names, fractions=(10, 5, 5))


def test_block_split_does_not_depend_on_the_count():
    names = [f"cell_{i:04d}" for i in range(200)]
    big = block_split(names, seed=4)
    assert [len(big[k]) for k in ("train", "val", "test")] == [160, 20, 20]
    for count in (10, 25, 48):
        small = block_split(names[:count], seed=4)
        for part in ("train", "val", "test"):
            assert set(small[part]) <= set(big[part])
    assert block_split(names, seed=5)["test"] != big["test"]
    assert block_split(names[:9], seed=4) is None  # too few: the ordinary seeded split applies


@pytest.mark.parametrize("kind", ["text", "json"])
def test_split_file(tmp_path, kind):
    names = ["a", "b", "c", "d"]
    if kind == "text":
        path = tmp_path / "split.txt"
        path.write_text("# comment\na train\nb, val\nc\ttest   # trailing\n")
    else:
        path = tmp_path / "split.json"
        path.write_text(json.dumps({"train": ["a"], "val": ["b"], "test": ["c"]}))
    parts = split_samples(names, split_file=path)
    assert parts == {"train": ["a"], "val": ["b"], "test": ["c"]}  # d is in no split
    assert read_split_file(write_split_file(tmp_path / "again.txt", parts)) == read_split_file(path)
    bad = tmp_path / "bad.txt"
    bad.write_text("zz train\n")
    with pytest.raises(LeukoInputError, match="zz"):
        split_samples(names, split_file=bad)
    bad.write_text("a holiday\n")
    with pytest.raises(LeukoInputError, match="holiday"):
        split_samples(names, split_file=bad)
