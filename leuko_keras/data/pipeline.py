"""``tf.data`` input pipeline: (LR Y, {"sr": HR Y, "mask": one-hot map}) batches in [0, 1].

The heavy work is NumPy, done once per call and held in memory: every image
is read, modcropped and degraded with the MATLAB-exact path
(:func:`leuko_keras.degrade.make_lr` on RGB, LR quantised to 8 bits as
MATLAB does for uint8 input, then Y), and the bicubic input (if asked) is
the MATLAB-exact bicubic upscale of that LR. Each example is then brought
to the fixed training size by a crop, or a mirror pad (NumPy ``symmetric``,
i.e. MATLAB's border rule) when smaller. With ``random_crop`` (what ``fit``
uses for training) the whole image is kept and a new window is drawn each
time the image is visited, so every part of every image is trained on;
otherwise (validation) the window is the fixed centre one. Crop and pad
offsets are multiples of ``scale``, so the LR window is exactly the LR of
the HR window. The TensorFlow side only crops, shuffles, flips/rotates (the
same dihedral transform on LR, HR and map), one-hot encodes, batches and
prefetches.

``source`` is ``None`` (the embedded synthetic set, generated in memory and
deterministic by ``seed``), a data folder (see :mod:`leuko_keras.data.dataset`),
a ``.h5`` file made by ``leuko-keras pack``, or a folder of real pairs
(``lr/`` + ``hr/``, see :mod:`leuko_keras.data.pairs`; not re-degraded).
``degradation`` (a record of :mod:`leuko_keras.data.degradations`) makes the LR
images by that model instead of bicubic: once per image when it is read, and
in the training stream (``first_epoch``) again for every crop, its parameters
drawn from (seed, epoch, slot) (see :mod:`leuko_keras.data.epochs`).

>>> ds = make_dataset(None, scale=4, batch_size=2, size=64, synthetic_count=6, synthetic_size=64)  # doctest: +SKIP
>>> lr, targets = next(iter(ds))  # doctest: +SKIP
>>> lr.shape, targets["sr"].shape, targets["mask"].shape  # doctest: +SKIP
(TensorShape([2, 16, 16, 1]), TensorShape([2, 64, 64, 1]), TensorShape([2, 64, 64, 3]))
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from leuko_keras.data.dataset import Example, discover, load_example, make_example, require_masks, split_samples
from leuko_keras.data.masks import NUM_CLASSES
from leuko_keras.data.pairs import is_pairs_folder
from leuko_keras.data.split import block_split
from leuko_keras.degrade import bicubic_upscale
from leuko_keras.errors import LeukoInputError

INPUT_KINDS = ("lr", "bicubic")
_SYNTH_CACHE: dict[tuple[int, int, int], list[Any]] = {}


def _synthetic_cells(count: int, size: int, seed: int) -> list[Any]:
    # Generating is the slow part of the default set; train and val calls share it.
    key = (int(count), int(size), int(seed))
    if key not in _SYNTH_CACHE:
        from leuko_keras.synth import generate

        _SYNTH_CACHE.clear()
        _SYNTH_CACHE[key] = generate(count, size=size, seed=seed)
    return _SYNTH_CACHE[key]


def _is_h5(source: Any) -> bool:
    return source is not None and Path(source).suffix.lower() in (".h5", ".hdf5")


def load_examples(
    source: str | os.PathLike | None = None,
    scale: int = 4,
    split: str = "test",
    need_mask: bool = False,
    synthetic_count: int = 48,
    synthetic_size: int = 256,
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    split_file: str | os.PathLike | None = None,
    degradation: dict[str, Any] | None = None,
    normalize: Any = None,
    **discover_options: Any,
) -> list[Any]:
    """Prepared :class:`~leuko_keras.data.dataset.Example` list of one split (``"all"`` for every sample).

    >>> examples = load_examples(None, scale=4, split="all", synthetic_count=3, synthetic_size=64)  # doctest: +SKIP
    >>> [e.name for e in examples]  # doctest: +SKIP
    ['cell_0000', 'cell_0001', 'cell_0002']
    """
    return list(
        iter_examples(
            source,
            scale,
            split,
            need_mask,
            synthetic_count,
            synthetic_size,
            seed,
            fractions,
            split_file,
            degradation,
            normalize=normalize,
            **discover_options,
        )
    )


def iter_examples(
    source: str | os.PathLike | None = None,
    scale: int = 4,
    split: str = "test",
    need_mask: bool = False,
    synthetic_count: int = 48,
    synthetic_size: int = 256,
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    split_file: str | os.PathLike | None = None,
    degradation: dict[str, Any] | None = None,
    normalize: Any = None,
    **discover_options: Any,
) -> Iterator[Any]:
    """Like :func:`load_examples`, one example at a time (full-size RGB copies are not all held at once).

    ``normalize`` (a :mod:`leuko_keras.data.normalize` rule, its spec or record) puts each image in network
    units before it is degraded, as ``predict`` does with a user's file (``fit --normalize``).
    """
    if split not in ("train", "val", "test", "all"):
        raise LeukoInputError(f"split {split!r} is unknown; use train, val, test or all")
    options = (need_mask, synthetic_count, synthetic_size, seed, fractions, split_file)
    if degradation and degradation.get("kind", "bicubic") != "bicubic":
        from leuko_keras.data.degradations import degrade_examples

        plain = iter_examples(source, scale, split, *options, None, normalize=normalize, **discover_options)
        yield from degrade_examples(plain, scale, degradation, seed, source)
        return
    from leuko_keras.data.normalize import as_rule, normalize_example

    rule = as_rule(normalize)
    if rule.kind != "container":
        real = not isinstance(source, list | tuple) and is_pairs_folder(source)
        for example in iter_examples(source, scale, split, *options, degradation, **discover_options):
            yield normalize_example(example, rule, scale, real_lr=real)
        return
    if isinstance(source, list | tuple):
        # Each folder split on its own, so a folder's test images are the same as when it is used alone.
        for folder in source:
            for example in iter_examples(folder, scale, split, *options, **discover_options):
                yield dataclasses.replace(example, name=f"{Path(folder).name}/{example.name}")
        return

    def pick(items: list[Any], generated: bool = False) -> list[Any]:
        if split == "all":
            return sorted(items, key=lambda item: item if isinstance(item, str) else item.name)
        # Generated cells: a split that does not depend on how many were made.
        parts = block_split(items, seed, fractions) if generated and split_file is None else None
        return (parts or split_samples(items, seed=seed, fractions=fractions, split_file=split_file))[split]

    if source is None:
        cells = _synthetic_cells(synthetic_count, synthetic_size, seed)
        width = max(4, len(str(synthetic_count - 1)))
        names = {f"cell_{i:0{width}d}": cell for i, cell in enumerate(cells)}
        for name in pick(list(names), generated=True):
            yield make_example(name, names[name].rgb.astype(np.float64) / 255.0, names[name].labels, scale)
        return
    if is_pairs_folder(source):
        from leuko_keras.data import pairs

        yield from pairs.iter_pair_examples(source, scale, pick(pairs.pair_names(source)), need_mask)
        return
    if _is_h5(source):
        from leuko_keras.data import h5pack

        chosen = pick(h5pack.read_names(source))
        yield from h5pack.iter_examples(source, scale, names=chosen, need_mask=need_mask)
        return
    samples = pick(discover(source, **discover_options))
    if need_mask:
        require_masks(samples, source)
    for sample in samples:
        yield load_example(sample, scale, need_mask)


def make_dataset(
    source: str | os.PathLike | None = None,
    scale: int = 4,
    split: str = "train",
    batch_size: int = 8,
    size: int | None = 224,
    augment: bool = True,
    need_mask: bool = True,
    seed: int = 0,
    shuffle: bool = True,
    synthetic_count: int = 48,
    input_kind: str = "lr",
    synthetic_size: int = 256,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    split_file: str | os.PathLike | None = None,
    repeat: bool = False,
    random_crop: bool = False,
    size_step: int = 1,
    first_epoch: int | None = None,
    steps_per_epoch: int | None = None,
    degradation: dict[str, Any] | None = None,
    normalize: Any = None,
    per_crop_degradation: bool = True,
    **discover_options: Any,
):
    """A batched, prefetched ``tf.data.Dataset`` of ``(lr, {"sr": hr, "mask": onehot})``.

    With ``first_epoch`` (training) it is the endless stream of :mod:`leuko_keras.data.epochs` from that epoch
    on, its order, crops and flips a function of (seed, epoch) so a resumed run sees what an unbroken one
    would; ``steps_per_epoch`` batches per epoch (default one pass), also set on the dataset. There a
    ``degradation`` is drawn again for every crop (``per_crop_degradation=False``: once per image).

    ``lr`` is (size/scale, size/scale, 1), or (size, size, 1) for
    ``input_kind="bicubic"``; ``hr`` (size, size, 1); ``onehot`` (size, size, 3);
    all float32 in [0, 1]. Without ``need_mask`` the targets are ``{"sr": hr}``.
    ``size=None`` keeps whole (modcropped) images, which needs ``batch_size=1``
    unless all images share a size. ``source`` may be a list of folders: each
    is split on its own and cropped at the largest multiple of
    lcm(scale, ``size_step``) up to ``size`` that its images can fill.
    """
    if input_kind not in INPUT_KINDS:
        raise LeukoInputError(f"input kind {input_kind!r} is unknown; use lr or bicubic")
    if size is not None and (size % scale or size < 8 * scale):
        raise LeukoInputError(f"training size {size} must be a multiple of the scale {scale} and >= {8 * scale}")
    # The training stream draws the degradation per crop (keyed on seed, epoch, slot), so the examples
    # come undegraded; validation and test keep one draw per image at the run's seed.
    per_crop = per_crop_degradation and first_epoch is not None and random_crop and size is not None
    per_crop = per_crop and bool(degradation) and degradation.get("kind", "bicubic") != "bicubic"
    once = None if per_crop else degradation
    options = (need_mask, synthetic_count, synthetic_size, seed, fractions, split_file, once, normalize)
    crop = {"size": size, "scale": scale, "input_kind": input_kind, "need_mask": need_mask, "seed": seed}
    crop["degrade"] = degradation if per_crop else None
    crop |= {"batch_size": batch_size, "augment": augment, "shuffle": shuffle, "random_crop": random_crop}
    crop |= {"first_epoch": first_epoch, "steps_per_epoch": steps_per_epoch}
    if isinstance(source, list | tuple):
        return _several_sources(list(source), split, options, crop, repeat, size_step, discover_options)
    examples = iter_examples(source, scale, split, *options, **discover_options)
    ds = _one_source(examples, source, split, **crop)
    if first_epoch is not None:
        return ds  # the endless (seed, epoch) stream, already batched and prefetched
    if repeat:
        ds = ds.repeat()
    import tensorflow as tf

    return ds.prefetch(tf.data.AUTOTUNE)


def _one_source(
    examples: Any,
    source: Any,
    split: str,
    size: int | None,
    scale: int,
    input_kind: str,
    need_mask: bool,
    seed: int,
    batch_size: int,
    augment: bool,
    shuffle: bool,
    random_crop: bool,
    first_epoch: int | None = None,
    steps_per_epoch: int | None = None,
    degrade: dict[str, Any] | None = None,
):
    import tensorflow as tf

    crop_randomly = random_crop and size is not None
    # Streamed: only the arrays training needs are kept (whole images for random
    # crops, else the training-size windows), not every full-size example.
    arrays, whole_hr = [], []
    for ex in examples:
        arrays.append(prepare_arrays(ex, scale, size, input_kind, need_mask, whole=crop_randomly))
        if degrade:
            whole_hr.append(_whole_hr(ex, scale, size))  # what each crop is degraded from
    if not arrays:
        raise LeukoInputError(
            f"{source or 'synthetic set'}: the {split} split is empty; add images or change the split fractions/file"
        )
    shapes = {a[1].shape for a in arrays}
    if first_epoch is not None:
        if len(shapes) > 1 and batch_size != 1 and not crop_randomly:
            raise LeukoInputError("images differ in size: pass a training size (e.g. 224) or batch size 1")
        from leuko_keras.data.epochs import epoch_dataset

        return epoch_dataset(
            arrays, first_epoch, steps_per_epoch, batch_size, seed, scale, shuffle=shuffle,
            crop_size=size if crop_randomly else None, factor=1 if input_kind == "bicubic" else scale,
            augment=augment, need_mask=need_mask,
            degrade=None if not degrade else (degrade, whole_hr, input_kind),
        )  # fmt: skip
    if len(shapes) == 1:
        stacked = tuple(np.stack([a[i] for a in arrays]) for i in range(3 if need_mask else 2))
        ds = tf.data.Dataset.from_tensor_slices(stacked)
    else:
        if batch_size != 1 and not crop_randomly:
            raise LeukoInputError("images differ in size: pass a training size (e.g. 224) or batch size 1")
        ds = _ragged_dataset(arrays, need_mask)
    # The prepared arrays are the cache: held in memory once, so no .cache() copy.
    if shuffle:
        ds = ds.shuffle(len(arrays), seed=seed, reshuffle_each_iteration=True)
    if crop_randomly:
        factor = 1 if input_kind == "bicubic" else scale
        # Its own stream (seed + 1), independent of the flips below, and new windows
        # each epoch (still the same sequence for the same seed).
        draws = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, draws)).map(
            lambda item, random: _random_crop(item, random, size, scale, factor),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    if augment:
        # Per image (batch-wide selects and gathers measured slower here).
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.random(seed=seed))).map(
            _augment, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
    # One-hot after batching: one vectorised op per batch instead of one per image.
    return ds.batch(batch_size).map(_to_targets, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def source_crop_size(hr_sides: list[int], size: int | None, step: int) -> int | None:
    """The training size for one source: ``size``, or less when its smallest image is smaller.

    Small images (Tecom's ~100 px cells) would otherwise be mostly mirror padding in a 192 px
    crop; the size stays a multiple of ``step`` (the scale and the model's size multiple). It is
    rounded up rather than down when that mirror-pads the smallest image by at most an eighth of
    the crop: at x8 with gp-lite's 32 px step, Tecom's 88-120 px cells are cropped at 96, not 64
    (measured at x8, 750 steps: 88 px crops against 64 gave np-lite +0.23 dB on the Tecom test split).

    >>> source_crop_size([300, 300], 192, 16), source_crop_size([88, 120], 192, 32), source_crop_size([], None, 4)
    (192, 96, None)
    >>> source_crop_size([70, 120], 192, 32)  # 96 would pad 26 of 96 px: the smaller 64 it is
    64
    """
    if size is None or not hr_sides:
        return size
    smallest = min(hr_sides)
    fitting = smallest // step * step
    if fitting >= size:
        return size
    rounded_up = fitting + step
    if rounded_up <= size and rounded_up - smallest <= rounded_up // 8:
        return rounded_up
    return max(fitting, step)


def _several_sources(
    sources: list[Any], split: str, options: tuple, crop: dict, repeat: bool, size_step: int, discover_options: dict
):
    """One dataset over several folders: each split on its own, cropped at a size it can fill.

    Training batches come from one source at a time (crops of one size), drawn with probability
    proportional to how many crops it takes to cover that source once; validation runs through each
    source in turn. With ``first_epoch`` each source is its own (seed, epoch) stream from that epoch on,
    so a resumed run does not replay its first epoch's crops; which source a batch comes from is drawn
    again from (seed, first_epoch), so a resumed run is not bit-identical to an unbroken one.
    """
    import math

    import tensorflow as tf

    if not sources:
        raise LeukoInputError("no data folder given; pass --data FOLDER (repeatable)")
    scale = crop["scale"]
    step = math.lcm(scale, max(int(size_step), 1))
    parts, weights, batches = [], [], []
    first_epoch = crop["first_epoch"]
    for index, source in enumerate(sources):
        examples = list(iter_examples(source, scale, split, *options, **discover_options))
        sides = [side for ex in examples for side in ex.hr_y.shape]
        # Never below 8 x scale: every image already passed dataset.check_size.
        size = source_crop_size(sides, crop["size"], step)
        # Each source its own stream; the epoch length is the whole mix's, set below.
        own = {"size": size, "steps_per_epoch": None, "seed": crop["seed"] + 1000 * index}
        parts.append(_one_source(examples, source, split, **{**crop, **own}))
        pixels = sum(ex.hr_y.size for ex in examples)
        weights.append(pixels / float((size or 1) ** 2) if size else float(len(examples)))
        batches.append(math.ceil(len(examples) / crop["batch_size"]))
    if not (crop["random_crop"] and crop["size"] is not None):
        ds = parts[0]
        for part in parts[1:]:
            ds = ds.concatenate(part)
        return (ds.repeat() if repeat else ds).prefetch(tf.data.AUTOTUNE)
    total = sum(weights)
    ds = tf.data.Dataset.sample_from_datasets(
        [part if first_epoch is not None else part.repeat() for part in parts],
        weights=[w / total for w in weights],
        seed=crop["seed"] + 2 + 7919 * int(first_epoch or 0),
    )
    if first_epoch is not None:
        ds = ds.prefetch(tf.data.AUTOTUNE)
        ds.steps_per_epoch = crop["steps_per_epoch"] or sum(batches)
        return ds
    return (ds if repeat else ds.take(sum(batches))).prefetch(tf.data.AUTOTUNE)


def _ragged_dataset(arrays: list[tuple], need_mask: bool):
    import tensorflow as tf

    count = 3 if need_mask else 2
    signature = (
        tf.TensorSpec((None, None, 1), tf.float32),
        tf.TensorSpec((None, None, 1), tf.float32),
        tf.TensorSpec((None, None), tf.uint8),
    )[:count]
    return tf.data.Dataset.from_generator(lambda: (a[:count] for a in arrays), output_signature=signature)


def _augment(item: tuple, random: Any) -> tuple:
    import tensorflow as tf

    # One of the 8 dihedral transforms (optional transpose, then optional flips
    # of rows and columns), the same for LR, HR and map. Dynamic perm/axis
    # tensors instead of tf.cond/rot90 keep this at two cheap ops per tensor.
    bits = tf.cast(random % 8, tf.int32)
    transpose, flip_rows, flip_cols = bits % 2 == 1, (bits // 2) % 2 == 1, (bits // 4) % 2 == 1
    axes = tf.boolean_mask(tf.constant([0, 1]), tf.stack([flip_rows, flip_cols]))
    out = []
    for tensor in item:
        rank = tensor.shape.rank
        perm = tf.where(transpose, tf.constant([1, 0, 2][:rank]), tf.constant([0, 1, 2][:rank]))
        moved = tf.reverse(tf.transpose(tensor, perm), axes)
        # Dynamic perm/axes lose the static shape Keras needs; a square keeps it.
        shape = tensor.shape.as_list()
        square = shape[0] is not None and shape[0] == shape[1]
        out.append(tf.ensure_shape(moved, shape if square else [None, None, *shape[2:]]))
    return tuple(out)


def crop_offsets(random: Any, hr_shape: Any, size: int, scale: int) -> tuple[Any, Any]:
    """(top, left) of the random ``size`` window of an HR image of ``hr_shape`` drawn from ``random``."""
    import tensorflow as tf

    # Offsets are multiples of the scale so the LR window is exactly the LR of
    # the HR window (input pixel i covers HR pixels [i*factor, (i+1)*factor)).
    seed = tf.stack([random, random // 3 + 7])
    draws = tf.random.stateless_uniform([2], seed, minval=0, maxval=2**30, dtype=tf.int32)
    y = draws[0] % ((hr_shape[0] - size) // scale + 1) * scale
    x = draws[1] % ((hr_shape[1] - size) // scale + 1) * scale
    return y, x


def _random_crop(item: tuple, random: Any, size: int, scale: int, factor: int) -> tuple:
    import tensorflow as tf

    y, x = crop_offsets(random, tf.shape(item[1]), size, scale)

    def window(tensor: Any, step: int) -> Any:
        side = size // step
        cut = tensor[y // step : y // step + side, x // step : x // step + side]
        return tf.ensure_shape(cut, [side, side, *tensor.shape[2:]])

    # Input at 1/factor of HR; HR and the map at full size.
    return tuple(window(tensor, factor if index == 0 else 1) for index, tensor in enumerate(item))


def _to_targets(*item: Any) -> tuple:
    import tensorflow as tf

    targets = {"sr": item[1]}
    if len(item) == 3:
        targets["mask"] = tf.one_hot(tf.cast(item[2], tf.int32), NUM_CLASSES, dtype=tf.float32)
    return item[0], targets


def prepare_arrays(
    example: Example,
    scale: int,
    size: int | None,
    input_kind: str = "lr",
    need_mask: bool = True,
    whole: bool = False,
) -> tuple[np.ndarray, ...]:
    """(input (h, w, 1), hr (H, W, 1), labels (H, W) uint8) of one example at the training size.

    ``whole=True`` keeps the whole image, mirror-padded only where it is
    smaller than ``size`` (for random crops later).

    >>> ex = make_example("a", np.random.default_rng(0).random((40, 48)), np.zeros((40, 48), np.uint8), 4)
    >>> [a.shape for a in prepare_arrays(ex, 4, 64)]
    [(16, 16, 1), (64, 64, 1), (64, 64)]
    """
    if need_mask and example.labels is None:
        raise LeukoInputError(f"{example.name}: no parsing map; add masks or train without the map loss")
    if size is not None:
        from leuko_keras.memory import check_memory

        # Mirror padding to a huge --size would otherwise die in a MemoryError (or the OOM killer) mid-way.
        side_h, side_w = max(size, example.hr_y.shape[0]), max(size, example.hr_y.shape[1])
        check_memory(side_h * side_w * 3 * (8 + 4 + 1.0), f"{example.name} at --size {size}", "pass a smaller --size")
    lr = example.lr_y.astype(np.float64)
    inputs = bicubic_upscale(lr, scale) if input_kind == "bicubic" else lr
    factor = 1 if input_kind == "bicubic" else scale
    hr_h, hr_w = example.hr_y.shape
    if size is None:
        windows = [(0, 0, 0, hr_h), (0, 0, 0, hr_w)]
    else:
        windows = [_window(hr_h, size, scale, whole), _window(hr_w, size, scale, whole)]
    out = [
        _fit(inputs, windows, factor).astype(np.float32)[..., None],
        _fit(example.hr_y, windows, 1).astype(np.float32)[..., None],
    ]
    if need_mask:
        out.append(_fit(example.labels, windows, 1).astype(np.uint8))
    return tuple(out)


def _whole_hr(example: Example, scale: int, size: int) -> np.ndarray:
    """The whole HR image (RGB where there is colour), padded as :func:`prepare_arrays` pads it, float32."""
    hr = example.hr_rgb if example.hr_rgb is not None else example.hr_y
    h, w = example.hr_y.shape
    return _fit(hr, [_window(h, size, scale, True), _window(w, size, scale, True)], 1).astype(np.float32)


def _window(length: int, size: int, scale: int, whole: bool = False) -> tuple[int, int, int, int]:
    """(start, pad_before, pad_after, kept) in HR pixels; all multiples of ``scale``."""
    if length >= size and whole:
        return 0, 0, 0, length
    if length >= size:
        start = (length - size) // 2 // scale * scale
        return start, 0, 0, size
    before = (size - length) // 2 // scale * scale
    return 0, before, size - length - before, length


def _fit(array: np.ndarray, windows: list[tuple[int, int, int, int]], factor: int) -> np.ndarray:
    slices, pads = [], []
    for start, before, after, kept in windows:
        slices.append(slice(start // factor, (start + kept) // factor))
        pads.append((before // factor, after // factor))
    cropped = array[tuple(slices)]
    if any(p != (0, 0) for p in pads):
        # Symmetric = mirror about the edge, MATLAB's border rule: the LR of a
        # padded HR equals the padded LR, so the pair stays consistent.
        cropped = np.pad(cropped, pads, mode="symmetric")
    return cropped


def source_fingerprint(
    source: str | os.PathLike | None, synthetic_count: int = 48, synthetic_size: int = 256, seed: int = 0
) -> str:
    """A short id of the data a run used (names, sizes and times of the files; or the synthetic settings).

    >>> source_fingerprint(None, 48, 256, 0)
    'synthetic:count=48:size=256:seed=0'
    """
    if source is None:
        return f"synthetic:count={synthetic_count}:size={synthetic_size}:seed={seed}"
    if isinstance(source, list | tuple):
        return "+".join(source_fingerprint(folder, synthetic_count, synthetic_size, seed) for folder in source)
    path = Path(source)
    if not path.exists():
        raise LeukoInputError(f"{path}: no such file or folder; check the path")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        digest.update(f"{file.relative_to(path.parent)}:{stat.st_size}:{int(stat.st_mtime)}\n".encode())
    return f"{path.name}:{len(files)}files:sha256={digest.hexdigest()[:16]}"
