"""Per-item ``tf.data`` transforms of the training stream: the random window, the dihedral flip, the targets.

Used by :mod:`leuko_keras.data.pipeline` and :mod:`leuko_keras.data.epochs` on the arrays of
:func:`leuko_keras.data.crops.prepare_arrays`. TensorFlow is imported inside each function, so
importing this module stays cheap.

>>> import numpy as np
>>> lr, targets = to_targets(np.zeros((1, 4, 4, 1)), np.zeros((1, 16, 16, 1)), np.zeros((1, 16, 16)))  # doctest: +SKIP
>>> targets["mask"].shape  # doctest: +SKIP
TensorShape([1, 16, 16, 3])
"""

from __future__ import annotations

from typing import Any

from leuko_keras.data.masks import NUM_CLASSES

__all__ = ["crop_offsets", "dihedral", "random_window", "to_targets"]


def dihedral(item: tuple, random: Any) -> tuple:
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


def random_window(item: tuple, random: Any, size: int, scale: int, factor: int) -> tuple:
    import tensorflow as tf

    y, x = crop_offsets(random, tf.shape(item[1]), size, scale)

    def window(tensor: Any, step: int) -> Any:
        side = size // step
        cut = tensor[y // step : y // step + side, x // step : x // step + side]
        return tf.ensure_shape(cut, [side, side, *tensor.shape[2:]])

    # Input at 1/factor of HR; HR and the map at full size.
    return tuple(window(tensor, factor if index == 0 else 1) for index, tensor in enumerate(item))


def to_targets(*item: Any) -> tuple:
    import tensorflow as tf

    targets = {"sr": item[1]}
    if len(item) == 3:
        targets["mask"] = tf.one_hot(tf.cast(item[2], tf.int32), NUM_CLASSES, dtype=tf.float32)
    return item[0], targets
