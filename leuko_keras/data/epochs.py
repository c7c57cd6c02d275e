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
epochs.

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
):
    """An endless, batched ``tf.data.Dataset`` of the training stream from ``first_epoch`` on.

    ``arrays`` are :func:`leuko_keras.data.pipeline.prepare_arrays` tuples; ``crop_size`` draws a random
    window of that size (``factor`` = input pixels per HR pixel step, the scale for LR input). The
    returned dataset carries ``steps_per_epoch`` as an attribute for ``model.fit``.
    """
    import tensorflow as tf

    from leuko_keras.data.pipeline import _augment, _random_crop, _to_targets

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

    def example(epoch: Any, slot: Any, index: Any) -> tuple:
        item = fetch(index)
        if crop_size is not None:
            item = _random_crop(item, draw(_CROP, epoch, slot), crop_size, scale, factor or scale)
        if augment:
            item = _augment(item, draw(_AUGMENT, epoch, slot))
        return item

    ds = tf.data.Dataset.range(int(first_epoch), 2**40).flat_map(order)
    ds = ds.map(example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(_to_targets, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
    ds.steps_per_epoch = steps  # an endless stream: fit needs the epoch length from here
    return ds


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
