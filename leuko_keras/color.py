"""BT.601 studio-range RGB <-> YCbCr: the one implementation lives in :mod:`leuko_keras.runtime.color`.

Kept as a module so ``from leuko_keras.color import rgb_to_y`` (the library's
and users' spelling) still works; it adds nothing.

>>> import numpy as np
>>> round(float(rgb_to_y(np.ones((1, 1, 3)))[0, 0]) * 255, 6)
235.0
"""

from __future__ import annotations

from leuko_keras.runtime.color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb

__all__ = ["rgb_to_y", "rgb_to_ycbcr", "ycbcr_to_rgb"]
