"""MATLAB-exact bicubic upsampling as a fixed Keras layer (TFLite builtin ops only).

For an integer scale ``s`` the MATLAB kernel (Keys a = -0.5, symmetric
borders) gives every output pixel of phase ``(py, px)`` as the same 5x5
weighted sum of the LR pixels around it. So the whole resize is: symmetric
pad by 2 (TFLite ``MIRROR_PAD``), one fixed 5x5 convolution with ``s*s``
output phases (``CONV_2D``) and ``depth_to_space`` (``DEPTH_TO_SPACE``). The
weights come from :func:`leuko_keras.runtime.imresize.contributions`, the single
source of truth, so this layer equals :func:`leuko_keras.runtime.imresize.imresize`
to float32 rounding. It always computes in float32, even under a mixed
precision policy, because its output is the base the network's residual is
added to.

>>> import numpy as np
>>> layer = BicubicUpsample(4)
>>> tuple(layer(np.zeros((1, 8, 8, 1), "float32")).shape)
(1, 32, 32, 1)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from leuko_keras.runtime.imresize import contributions

# Keys cubic has support (-2, 2): every phase needs LR offsets -2..2 at most.
_RADIUS = 2


def phase_taps(scale: int) -> np.ndarray:
    """1-D MATLAB bicubic taps per output phase: array (scale, 5) over LR offsets -2..2.

    Read off an interior pixel of a real ``contributions`` call, where the
    borders play no part.

    >>> phase_taps(2).shape
    (2, 5)
    """
    if int(scale) != scale or scale < 1:
        raise ValueError(f"BicubicUpsample needs a positive integer scale, got {scale}")
    scale = int(scale)
    length, centre = 16, 8
    weights, indices = contributions(length, length * scale, float(scale))
    taps = np.zeros((scale, 2 * _RADIUS + 1), dtype=np.float64)
    for phase in range(scale):
        row = centre * scale + phase
        for weight, index in zip(weights[row], indices[row], strict=True):
            offset = int(index) - centre
            if abs(offset) > _RADIUS:
                if weight != 0:
                    raise AssertionError(f"bicubic tap outside radius {_RADIUS}: offset {offset}")
                continue
            taps[phase, offset + _RADIUS] += weight
    return taps


def phase_kernel(scale: int, channels: int = 1) -> np.ndarray:
    """Conv kernel (5, 5, C, s*s*C); output channel ``(py*s + px)*C + c`` feeds depth_to_space."""
    taps = phase_taps(scale)
    size = 2 * _RADIUS + 1
    kernel = np.zeros((size, size, channels, scale * scale * channels), dtype=np.float64)
    for py in range(scale):
        for px in range(scale):
            block = np.outer(taps[py], taps[px])
            for c in range(channels):
                kernel[:, :, c, (py * scale + px) * channels + c] = block
    return kernel


@keras.saving.register_keras_serializable(package="leuko_keras")
class BicubicUpsample(keras.layers.Layer):
    """Upsample (B, h, w, C) by an integer ``scale`` exactly as MATLAB ``imresize(x, s)``.

    No trainable weights; needs h, w >= 2 (the symmetric pad is 2 pixels).

    >>> import numpy as np
    >>> out = BicubicUpsample(2)(np.ones((1, 4, 4, 1), "float32"))
    >>> bool(np.allclose(out, 1.0))
    True
    """

    def __init__(self, scale: int, **kwargs: Any) -> None:
        # float32 whatever the global policy: a bf16 bicubic would cost ~0.5 grey levels.
        kwargs["dtype"] = kwargs.get("dtype") or "float32"
        super().__init__(trainable=False, **kwargs)
        phase_taps(scale)  # refuses 2.5 or 0 before int() could hide it
        self.scale = int(scale)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("BicubicUpsample needs a known channel count")
        self._channels = int(channels)
        self._kernel = tf.constant(phase_kernel(self.scale, self._channels), dtype=tf.float32)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = tf.cast(inputs, tf.float32)
        if self.scale == 1:
            return x
        pad = [[0, 0], [_RADIUS, _RADIUS], [_RADIUS, _RADIUS], [0, 0]]
        x = tf.pad(x, pad, mode="SYMMETRIC")
        x = tf.nn.conv2d(x, self._kernel, strides=1, padding="VALID")
        return tf.nn.depth_to_space(x, self.scale)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, c = input_shape
        return (b, None if h is None else h * self.scale, None if w is None else w * self.scale, c)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale})
        config.pop("trainable", None)
        return config
