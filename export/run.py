"""``python -m export.run``: the on-device runner, kept as a thin shim over ``leuko-keras-run``.

The runner lives in :mod:`leuko_keras.runtime.run` (TensorFlow-free) so that it
installs as a console command and runs from any directory; this file keeps
the repository's ``python -m export.run MODEL.tflite IN... --out DIR`` working.

>>> from export.run import main  # doctest: +SKIP
"""

from __future__ import annotations

import sys

from leuko_keras.runtime.run import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
