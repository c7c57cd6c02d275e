"""tf.data pipeline and HDF5 packs: shapes, ranges, consistent augmentation, crop/pad, sources."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from leuko_keras.data import h5pack  # noqa: E402
from leuko_keras.data.crops import prepare_arrays  # noqa: E402
from leuko_keras.data.dataset import make_example  # noqa: E402
from leuko_keras.data.examples import load_examples  # noqa: E402
from leuko_keras.data.pipeline import make_dataset  # noqa: E402
from leuko_keras.data.source import DataSource  # noqa: E402
from leuko_keras.errors import LeukoInputError  # noqa: E402
from leuko_keras.protocol.degrade import bicubic_upscale, make_lr  # noqa: E402
from leuko_keras.runtime.color import rgb_to_y  # noqa: E402

SYNTH = DataSource(synthetic_count=10, synthetic_size=64)


def _all(ds):
    items = list(ds.unbatch().as_numpy_iterator())
    return [(lr, t["sr"], t.get("mask")) for lr, t in items]


def test_synthetic_default_batches_shapes_and_ranges():
    ds = make_dataset(SYNTH, scale=4, batch_size=3, size=48, split="train")
    lr, targets = next(iter(ds))
    assert lr.shape == (3, 12, 12, 1) and targets["sr"].shape == (3, 48, 48, 1)
    assert targets["mask"].shape == (3, 48, 48, 3)
    for tensor in (lr, targets["sr"], targets["mask"]):
        assert tensor.dtype == tf.float32
        assert float(tf.reduce_min(tensor)) >= 0 and float(tf.reduce_max(tensor)) <= 1
    np.testing.assert_allclose(tf.reduce_sum(targets["mask"], -1).numpy(), 1.0)
    # Static shapes survive augmentation (Keras builds the model from them).
    assert ds.element_spec[0].shape.as_list() == [None, 12, 12, 1]
    assert ds.element_spec[1]["sr"].shape.as_list() == [None, 48, 48, 1]
    assert sum(int(b[0].shape[0]) for b in ds) == 8  # 10 cells: 8 train, 1 val, 1 test


def test_same_seed_same_batches_and_splits_are_disjoint():
    first = _all(make_dataset(SYNTH.replace(seed=1), scale=2, batch_size=4, size=32))
    again = _all(make_dataset(SYNTH.replace(seed=1), scale=2, batch_size=4, size=32))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a[1], b[1])
    names = {s: [e.name for e in load_examples(SYNTH.replace(seed=1), 2, split=s)] for s in ("train", "val", "test")}
    assert not set(names["train"]) & (set(names["val"]) | set(names["test"]))
    assert sum(len(v) for v in names.values()) == 10


def _dihedral(array, index):
    out = array
    if index & 1:
        out = np.swapaxes(out, 0, 1)
    if index & 2:
        out = out[::-1]
    if index & 4:
        out = out[:, ::-1]
    return out


def test_augmentation_applies_one_transform_to_lr_hr_and_mask():
    plain = _all(make_dataset(SYNTH.replace(seed=3), 4, batch_size=4, size=48, augment=False, shuffle=False))
    moved = _all(make_dataset(SYNTH.replace(seed=3), 4, batch_size=4, size=48, augment=True, shuffle=False))
    used = set()
    for (lr0, hr0, m0), (lr1, hr1, m1) in zip(plain, moved, strict=True):
        matches = [k for k in range(8) if np.array_equal(_dihedral(hr0, k), hr1)]
        assert matches, "HR is not a flip/rotation of the original"
        k = matches[0]
        np.testing.assert_array_equal(_dihedral(lr0, k), lr1)
        np.testing.assert_array_equal(_dihedral(m0, k), m1)
        used.add(k)
    assert len(used) > 1


def test_centre_crop_keeps_exact_lr_window():
    rng = np.random.default_rng(0)
    rgb = rng.random((72, 40, 3))
    example = make_example("x", rgb, np.zeros((72, 40), np.uint8), 4)
    lr, hr, labels = prepare_arrays(example, 4, 48)
    assert lr.shape == (12, 12, 1) and hr.shape == (48, 48, 1) and labels.shape == (48, 48)
    # Rows: cropped 72 -> 48 from row 12; the LR rows are the full-image LR rows 3..15.
    np.testing.assert_array_equal(hr[:, 4:44, 0], example.hr_y[12:60])
    np.testing.assert_array_equal(lr[:, 1:11, 0], example.lr_y[3:15])


def _find_window(full: np.ndarray, crop: np.ndarray) -> tuple[int, int]:
    size = crop.shape[0]
    for y in range(full.shape[0] - size + 1):
        for x in range(full.shape[1] - size + 1):
            if np.array_equal(full[y : y + size, x : x + size], crop):
                return y, x
    raise AssertionError("crop is not a window of the full image")


def test_random_crops_are_exact_lr_hr_windows_and_move_between_epochs():
    ds = make_dataset(SYNTH.replace(seed=5), 4, batch_size=1, size=32, augment=False, shuffle=False, random_crop=True)
    examples = load_examples(SYNTH.replace(seed=5), 4, split="train")
    first_epoch, second_epoch = _all(ds), _all(ds)
    offsets = []
    for (lr, hr, mask), example in zip(first_epoch, examples, strict=True):
        assert lr.shape == (8, 8, 1) and hr.shape == (32, 32, 1)
        y, x = _find_window(example.hr_y.astype(np.float32), hr[..., 0])
        assert y % 4 == 0 and x % 4 == 0
        np.testing.assert_array_equal(
            lr[..., 0], example.lr_y[y // 4 : y // 4 + 8, x // 4 : x // 4 + 8].astype(np.float32)
        )
        np.testing.assert_array_equal(np.argmax(mask, -1), example.labels[y : y + 32, x : x + 32])
        offsets.append((y, x))
    assert len(set(offsets)) > 1, "every image got the same window"
    # A new window per visit: the data seen grows with the epochs, not a fixed centre crop.
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first_epoch, second_epoch, strict=True))


def test_mirror_pad_equals_degrading_the_mirrored_hr():
    rng = np.random.default_rng(1)
    rgb = rng.random((48, 16, 3))
    example = make_example("x", rgb, np.zeros((48, 16), np.uint8), 2)
    lr, hr, labels = prepare_arrays(example, 2, 48)
    # Columns padded 16 -> 48 (16 mirrored HR columns, 8 LR columns, each side).
    padded = np.pad(rgb, ((0, 0), (16, 16), (0, 0)), mode="symmetric")
    np.testing.assert_allclose(hr[..., 0], rgb_to_y(padded), atol=1e-6)
    expected = rgb_to_y(make_lr(padded, 2))
    # Equal except within the kernel reach (2 LR px) of the padded image's outer edge.
    np.testing.assert_allclose(lr[:, 3:-3, 0], expected[:, 3:-3], atol=1e-6)
    np.testing.assert_array_equal(labels, 0)


def test_bicubic_input_kind():
    example = make_example("x", np.random.default_rng(1).random((48, 48)), None, 4)
    inputs, hr = prepare_arrays(example, 4, 48, input_kind="bicubic", need_mask=False)
    assert inputs.shape == hr.shape == (48, 48, 1)
    np.testing.assert_allclose(inputs[..., 0], bicubic_upscale(example.lr_y.astype(np.float64), 4), atol=1e-6)
    ds = make_dataset(SYNTH, 4, batch_size=2, size=48, input_kind="bicubic", need_mask=False)
    lr, targets = next(iter(ds))
    assert lr.shape == (2, 48, 48, 1) and set(targets) == {"sr"}


def test_varying_sizes_and_folder_source(wbc_dir, tmp_path):
    split = tmp_path / "split.txt"
    split.write_text("001 train\n005 train\n010 val\n")
    tecom = DataSource(wbc_dir / "tecom", split_file=split)
    ds = make_dataset(tecom, 4, batch_size=2, size=64, augment=False)
    lr, targets = next(iter(ds))
    assert lr.shape == (2, 16, 16, 1) and targets["mask"].shape == (2, 64, 64, 3)
    # Images of different sizes, kept whole for random crops, still batch.
    moving = make_dataset(tecom, 4, batch_size=2, size=64, random_crop=True)
    lr, targets = next(iter(moving))
    assert lr.shape == (2, 16, 16, 1) and targets["mask"].shape == (2, 64, 64, 3)
    full = make_dataset(tecom, 4, split="val", batch_size=1, size=None, need_mask=False)
    lr, targets = next(iter(full))
    assert targets["sr"].shape[1] == 4 * lr.shape[1] and targets["sr"].shape[1] % 4 == 0


def test_maps_needed_but_missing_and_bad_settings(tmp_path, synth_dir):
    from PIL import Image

    Image.open(synth_dir / "cell_0000.png").save(tmp_path / "only.png")
    Image.open(synth_dir / "cell_0001.png").save(tmp_path / "other.png")
    Image.open(synth_dir / "cell_0002.png").save(tmp_path / "third.png")
    with pytest.raises(LeukoInputError, match="no parsing map"):
        make_dataset(tmp_path, 2, split="train", size=32)
    assert len(load_examples(tmp_path, 2, split="all")) == 3  # SR-only use is fine
    with pytest.raises(LeukoInputError, match="multiple of the scale"):
        make_dataset(SYNTH, 3, size=64)
    with pytest.raises(LeukoInputError, match="input kind"):
        make_dataset(SYNTH, 4, input_kind="nearest")


def test_h5_pack_gives_the_same_data_as_the_folder(synth_dir, tmp_path):
    out = h5pack.pack(synth_dir, tmp_path / "cells.h5", scales=(2, 4))
    info = h5pack.read_info(out)
    assert info["scales"] == [2, 4] and info["count"] == 12 and info["protocol"]["peak"] == 255
    from_folder = load_examples(synth_dir, 4, split="all", need_mask=True)
    from_h5 = load_examples(out, 4, split="all", need_mask=True)
    assert [e.name for e in from_folder] == [e.name for e in from_h5]
    for a, b in zip(from_folder, from_h5, strict=True):
        np.testing.assert_array_equal(a.lr_y, b.lr_y)
        np.testing.assert_array_equal(a.hr_y, b.hr_y)
        np.testing.assert_array_equal(a.labels, b.labels)
    ds_folder = _all(make_dataset(synth_dir, 4, size=64, split="val", augment=False, shuffle=False))
    ds_h5 = _all(make_dataset(out, 4, size=64, split="val", augment=False, shuffle=False))
    for a, b in zip(ds_folder, ds_h5, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(LeukoInputError, match="x3"):
        h5pack.load(out, 3)
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(LeukoInputError, match=r"junk\.h5"):
        load_examples(tmp_path / "junk.h5", 4)


def test_source_fingerprint_tracks_the_data(tmp_path):
    from leuko_keras.data.source import source_fingerprint

    assert source_fingerprint(DataSource(seed=0)) != source_fingerprint(DataSource(seed=1))
    (tmp_path / "a.png").write_bytes(b"x")
    first = source_fingerprint(tmp_path)
    assert source_fingerprint(tmp_path) == first
    (tmp_path / "b.png").write_bytes(b"y")
    assert source_fingerprint(tmp_path) != first
    with pytest.raises(LeukoInputError, match="nope"):
        source_fingerprint(tmp_path / "nope")


def test_source_settings_passed_the_old_way_are_refused_not_ignored():
    # load_examples(None, seed=1) once set the seed; now the seed is the DataSource's, so a stray keyword must fail.
    with pytest.raises(TypeError, match="DataSource"):
        load_examples(None, 4, split="all", seed=1)
    with pytest.raises(TypeError, match="synthetic_count"):
        make_dataset(None, 4, size=32, synthetic_count=10)
