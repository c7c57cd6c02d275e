"""``tf.data`` input pipeline: (LR Y, {"sr": HR Y, "mask": one-hot map}) batches in [0, 1].

The heavy work is NumPy, done once per call and held in memory: the split's
examples come from :mod:`leuko_keras.data.examples` (read, modcropped,
degraded, as its :class:`~leuko_keras.data.source.DataSource` says) and are
brought to the training size by :mod:`leuko_keras.data.crops`. With
``random_crop`` (what ``fit`` uses for training) the whole image is kept and
a new window is drawn each time the image is visited, so every part of every
image is trained on; otherwise (validation) the window is the fixed centre
one. The TensorFlow side (:mod:`leuko_keras.data.tf_transforms`) only crops,
shuffles, flips/rotates (the same dihedral transform on LR, HR and map),
one-hot encodes, batches and prefetches. A non-bicubic ``degradation`` is, in
the training stream (``first_epoch``), drawn again for every crop, its
parameters from (seed, epoch, slot) (see :mod:`leuko_keras.data.epochs`).

>>> source = DataSource(synthetic_count=6, synthetic_size=64)
>>> ds = make_dataset(source, scale=4, batch_size=2, size=64)  # doctest: +SKIP
>>> lr, targets = next(iter(ds))  # doctest: +SKIP
>>> lr.shape, targets["sr"].shape, targets["mask"].shape  # doctest: +SKIP
(TensorShape([2, 16, 16, 1]), TensorShape([2, 64, 64, 1]), TensorShape([2, 64, 64, 3]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leuko_keras.data.crops import prepare_arrays, source_crop_size, whole_hr
from leuko_keras.data.examples import iter_examples
from leuko_keras.data.source import DataSource, Location
from leuko_keras.data.tf_transforms import dihedral, random_window, to_targets
from leuko_keras.errors import LeukoInputError

__all__ = ["INPUT_KINDS", "make_dataset"]

INPUT_KINDS = ("lr", "bicubic")


def make_dataset(
    source: DataSource | Location = None,
    scale: int = 4,
    split: str = "train",
    batch_size: int = 8,
    size: int | None = 224,
    augment: bool = True,
    need_mask: bool = True,
    shuffle: bool = True,
    input_kind: str = "lr",
    repeat: bool = False,
    random_crop: bool = False,
    size_step: int = 1,
    first_epoch: int | None = None,
    steps_per_epoch: int | None = None,
    per_crop_degradation: bool = True,
    **discover_options: Any,
):
    """A batched, prefetched ``tf.data.Dataset`` of ``(lr, {"sr": hr, "mask": onehot})`` from ``source``.

    ``source`` is a :class:`DataSource` (or a bare location); its seed also drives the shuffles, crops
    and flips. With ``first_epoch`` (training) it is the endless stream of :mod:`leuko_keras.data.epochs`
    from that epoch on, its order, crops and flips a function of (seed, epoch) so a resumed run sees what
    an unbroken one would; ``steps_per_epoch`` batches per epoch (default one pass), also set on the
    dataset. There the source's ``degradation`` is drawn again for every crop
    (``per_crop_degradation=False``: once per image).

    ``lr`` is (size/scale, size/scale, 1), or (size, size, 1) for
    ``input_kind="bicubic"``; ``hr`` (size, size, 1); ``onehot`` (size, size, 3);
    all float32 in [0, 1]. Without ``need_mask`` the targets are ``{"sr": hr}``.
    ``size=None`` keeps whole (modcropped) images, which needs ``batch_size=1``
    unless all images share a size. Several folders: each is split on its own
    and cropped at the largest multiple of lcm(scale, ``size_step``) up to
    ``size`` that its images can fill.

    >>> make_dataset(DataSource(seed=1), scale=4, split="val", size=64, augment=False)  # doctest: +SKIP
    """
    source = DataSource.of(source)
    if input_kind not in INPUT_KINDS:
        raise LeukoInputError(f"input kind {input_kind!r} is unknown; use lr or bicubic")
    if size is not None and (size % scale or size < 8 * scale):
        raise LeukoInputError(f"training size {size} must be a multiple of the scale {scale} and >= {8 * scale}")
    # The training stream draws the degradation per crop (keyed on seed, epoch, slot), so the examples
    # come undegraded; validation and test keep one draw per image at the run's seed.
    degradation = source.degradation
    per_crop = per_crop_degradation and first_epoch is not None and random_crop and size is not None
    per_crop = per_crop and bool(degradation) and degradation.get("kind", "bicubic") != "bicubic"
    examples_source = source.replace(degradation=None) if per_crop else source
    crop = {"size": size, "scale": scale, "input_kind": input_kind, "need_mask": need_mask, "seed": source.seed}
    crop["degrade"] = degradation if per_crop else None
    crop |= {"batch_size": batch_size, "augment": augment, "shuffle": shuffle, "random_crop": random_crop}
    crop |= {"first_epoch": first_epoch, "steps_per_epoch": steps_per_epoch}
    if source.several:
        return _several_sources(examples_source, split, crop, repeat, size_step, discover_options)
    examples = iter_examples(examples_source, scale, split, need_mask, **discover_options)
    ds = _one_source(examples, source.location, split, **crop)
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
    arrays, wholes = [], []
    for ex in examples:
        arrays.append(prepare_arrays(ex, scale, size, input_kind, need_mask, whole=crop_randomly))
        if degrade:
            wholes.append(whole_hr(ex, scale, size))  # what each crop is degraded from
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
            degrade=None if not degrade else (degrade, wholes, input_kind),
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
            lambda item, random: random_window(item, random, size, scale, factor),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    if augment:
        # Per image (batch-wide selects and gathers measured slower here).
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.random(seed=seed))).map(
            dihedral, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
    # One-hot after batching: one vectorised op per batch instead of one per image.
    return ds.batch(batch_size).map(to_targets, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _several_sources(source: DataSource, split: str, crop: dict, repeat: bool, size_step: int, discover_options: dict):
    """One dataset over several folders: each split on its own, cropped at a size it can fill.

    Training batches come from one source at a time (crops of one size), drawn with probability
    proportional to how many crops it takes to cover that source once; validation runs through each
    source in turn. With ``first_epoch`` each source is its own (seed, epoch) stream from that epoch on,
    so a resumed run does not replay its first epoch's crops; which source a batch comes from is drawn
    again from (seed, first_epoch), so a resumed run is not bit-identical to an unbroken one.
    """
    import math

    import tensorflow as tf

    if not source.location:
        raise LeukoInputError("no data folder given; pass --data FOLDER (repeatable)")
    scale = crop["scale"]
    step = math.lcm(scale, max(int(size_step), 1))
    parts, weights, batches = [], [], []
    first_epoch = crop["first_epoch"]
    for index, folder in enumerate(source.location):
        examples = list(
            iter_examples(source.replace(location=folder), scale, split, crop["need_mask"], **discover_options)
        )
        sides = [side for ex in examples for side in ex.hr_y.shape]
        # Never below 8 x scale: every image already passed dataset.check_size.
        size = source_crop_size(sides, crop["size"], step)
        # Each source its own stream; the epoch length is the whole mix's, set below.
        own = {"size": size, "steps_per_epoch": None, "seed": crop["seed"] + 1000 * index}
        parts.append(_one_source(examples, folder, split, **{**crop, **own}))
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
