"""Training batches as a function of (seed, epoch): a resumed run sees exactly what an unbroken one would.

``tf.data``'s own shuffles and random streams restart from their first draw
whenever a dataset is rebuilt, so after every ``--resume`` the first epoch
replayed epoch 1's order and crops. Here every random choice is a stateless
draw keyed on (seed, epoch, slot): epoch ``e`` visits a permutation of the
images drawn from ``(seed, e)`` (several passes when an epoch holds more
examples than the set), and the crop window and flip/rotation of its
``j``-th slot come from ``(seed, e, j)``. The stream starts at
``first_epoch`` (the epoch training resumes at) and runs forever; each epoch
is exactly ``steps_per_epoch`` full batches, so batches never straddle two
epochs. With a degradation (``microscope``, ``phone``) the LR of each crop is
made from its HR window with parameters and noise drawn from
``(seed, epoch, slot)`` too, so parameter ranges are sampled per crop: every
visit of an image sees another objective and camera.

>>> import numpy as np
>>> arrays = [(np.zeros((4, 4, 1), "f4"), np.zeros((8, 8, 1), "f4"), np.zeros((8, 8), "u1"))] * 3
>>> ds = epoch_dataset(arrays, first_epoch=2, steps_per_epoch=None, batch_size=2, seed=0, scale=2)  # doctest: +SKIP
>>> ds.steps_per_epoch  # doctest: +SKIP
2
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Salts that keep the order, crop and augmentation streams of one seed independent.
_ORDER, _CROP, _AUGMENT = 0, 1, 2
_DEGRADE = 0x5EED  # salt of the per-crop degradation generator (NumPy side)


def steps_for(count: int, batch_size: int, steps_per_epoch: int | None) -> int:
    """Batches per epoch: as given, else one pass over ``count`` examples rounded up to full batches.

    >>> steps_for(10, 4, None), steps_for(10, 4, 7)
    (3, 7)
    """
    return int(steps_per_epoch) if steps_per_epoch else max(1, math.ceil(count / batch_size))


def epoch_dataset(
    arrays: list[tuple[np.ndarray, ...]],
    first_epoch: int,
    steps_per_epoch: int | None,
    batch_size: int,
    seed: int,
    scale: int,
    shuffle: bool = True,
    crop_size: int | None = None,
    factor: int | None = None,
    augment: bool = True,
    need_mask: bool = True,
    degrade: tuple[dict[str, Any], list[np.ndarray], str] | None = None,
):
    """An endless, batched ``tf.data.Dataset`` of the training stream from ``first_epoch`` on.

    ``arrays`` are :func:`leuko_keras.data.crops.prepare_arrays` tuples; ``crop_size`` draws a random
    window of that size (``factor`` = input pixels per HR pixel step, the scale for LR input). The
    returned dataset carries ``steps_per_epoch`` as an attribute for ``model.fit``. ``degrade`` is
    (degradation record, the whole HR images padded as ``arrays``, input kind): each crop's input is
    then made from its HR window by :func:`crop_input` (needs ``crop_size``).
    """
    import tensorflow as tf

    from leuko_keras.data.tf_transforms import crop_offsets, dihedral, random_window, to_targets

    count = len(arrays)
    steps = steps_for(count, batch_size, steps_per_epoch)
    per_epoch = steps * batch_size
    passes = math.ceil(per_epoch / count)
    width = 3 if need_mask else 2
    fetch = _fetcher(arrays, width)
    seed = int(seed)

    def draw(salt: int, epoch: Any, slot: Any) -> Any:
        key = tf.stack([tf.constant(seed, tf.int64) * 8 + salt, epoch * 2**24 + slot])
        return tf.random.stateless_uniform([], key, minval=None, maxval=None, dtype=tf.int64)

    def order(epoch: Any) -> Any:
        if not shuffle:
            indices = tf.tile(tf.range(count, dtype=tf.int64), [passes])
        else:
            key = tf.stack([tf.constant(seed, tf.int64) * 8 + _ORDER, epoch])
            keys = tf.random.stateless_uniform([passes, count], key)
            indices = tf.reshape(tf.argsort(keys, axis=1, stable=True), [-1])
        slots = tf.range(per_epoch, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices(
            (tf.fill([per_epoch], epoch), slots, tf.cast(indices[:per_epoch], tf.int64))
        )

    degraded = None if degrade is None or crop_size is None else _degrader(degrade, crop_size, scale, seed)

    def example(epoch: Any, slot: Any, index: Any) -> tuple:
        item = fetch(index)
        if crop_size is not None:
            random = draw(_CROP, epoch, slot)
            if degraded is not None:
                top, left = crop_offsets(random, tf.shape(item[1]), crop_size, scale)
                made = degraded(index, top, left, epoch, slot)
            item = random_window(item, random, crop_size, scale, factor or scale)
            if degraded is not None:
                item = (tf.ensure_shape(made, item[0].shape), *item[1:])
        if augment:
            item = dihedral(item, draw(_AUGMENT, epoch, slot))
        return item

    ds = tf.data.Dataset.range(int(first_epoch), 2**40).flat_map(order)
    ds = ds.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(to_targets, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
    ds.steps_per_epoch = steps  # an endless stream: fit needs the epoch length from here
    return ds


def crop_rng(seed: int, epoch: int, slot: int) -> np.random.Generator:
    """The generator that degrades slot ``slot`` of epoch ``epoch`` in a run seeded ``seed``.

    >>> float(crop_rng(0, 1, 2).random()) == float(crop_rng(0, 1, 2).random()) != float(crop_rng(0, 2, 2).random())
    True
    """
    return np.random.default_rng([int(seed), _DEGRADE, int(epoch), int(slot)])


def crop_input(
    hr: np.ndarray, top: int, left: int, size: int, scale: int, record: dict[str, Any], rng: np.random.Generator,
    input_kind: str = "lr",
) -> tuple[np.ndarray, dict[str, Any]]:  # fmt: skip
    """The network input (h, w, 1) float32 for one crop, degraded by ``record``; also the parameters drawn.

    >>> from leuko_keras.data.degradations import degradation_record
    >>> record = degradation_record("microscope")
    >>> lr, used = crop_input(np.full((32, 32, 3), 0.5), 0, 8, 16, 4, record, crop_rng(0, 0, 0))
    >>> lr.shape, lr.dtype
    ((4, 4, 1), dtype('float32'))
    """
    from leuko_keras.data.degradations.core import degrade_window
    from leuko_keras.protocol.degrade import bicubic_upscale
    from leuko_keras.runtime.imageio import luminance

    lr, params = degrade_window(hr, int(top), int(left), int(size), int(scale), record, rng)
    # Y in float as degradations.degrade_example makes it for whole images.
    lr_y = luminance(lr).astype(np.float64)
    inputs = bicubic_upscale(lr_y, scale) if input_kind == "bicubic" else lr_y
    return inputs.astype(np.float32)[..., None], params


def _degrader(degrade: tuple, size: int, scale: int, seed: int):
    import tensorflow as tf

    record, whole, input_kind = degrade

    def made(index: Any, top: Any, left: Any, epoch: Any, slot: Any) -> np.ndarray:
        rng = crop_rng(seed, int(epoch), int(slot))
        return crop_input(whole[int(index)], top, left, size, scale, record, rng, input_kind)[0]

    def call(index: Any, top: Any, left: Any, epoch: Any, slot: Any) -> Any:
        # NumPy (FFT blur, noise, JPEG) from the tf.data workers; the crop is known only here.
        return tf.numpy_function(made, [index, top, left, epoch, slot], tf.float32, stateful=False)

    return call


def _fetcher(arrays: list[tuple[np.ndarray, ...]], width: int):
    import tensorflow as tf

    if len({a[1].shape for a in arrays}) == 1:
        # One stack per component, indexed in the graph (no Python per example).
        stacks = [tf.constant(np.stack([a[i] for a in arrays])) for i in range(width)]
        return lambda index: tuple(tf.gather(stack, index) for stack in stacks)

    # Images of different sizes (random crops of whole images): fetched from Python by index.
    dtypes = [tf.float32, tf.float32, tf.uint8][:width]
    shapes = [[None, None, 1], [None, None, 1], [None, None]][:width]

    def fetch_numpy(index: Any) -> list[np.ndarray]:
        return list(arrays[int(index)][:width])

    def fetch(index: Any) -> tuple:
        items = tf.numpy_function(fetch_numpy, [index], dtypes, stateful=False)
        return tuple(tf.ensure_shape(item, shape) for item, shape in zip(items, shapes, strict=True))

    return fetch
