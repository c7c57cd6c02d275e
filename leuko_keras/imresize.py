"""MATLAB-exact bicubic ``imresize``: the one implementation lives in :mod:`leuko_keras.runtime.imresize`.

Kept as a module so ``from leuko_keras.imresize import imresize`` still works; it adds nothing.

>>> import numpy as np
>>> imresize(np.full((8, 8), 0.5), 0.25).shape
(2, 2)
"""

from __future__ import annotations

from leuko_keras.runtime.imresize import contributions, cubic, imresize, output_size, quantize

__all__ = ["contributions", "cubic", "imresize", "output_size", "quantize"]
