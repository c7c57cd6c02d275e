"""Custom Keras layers (all registered for ``.keras`` loading under package ``leuko_keras``).

>>> from leuko_keras.layers import BicubicUpsample
>>> BicubicUpsample(4).scale
4
"""

from __future__ import annotations

from leuko_keras.layers.bicubic import BicubicUpsample
from leuko_keras.layers.pixel_shuffle import PixelShuffle
from leuko_keras.layers.stop_gradient import StopGradient

__all__ = ["BicubicUpsample", "PixelShuffle", "StopGradient"]
