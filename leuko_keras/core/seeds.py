"""Random seeds every layer accepts: whole numbers NumPy, Keras and TensorFlow all take.

Checked where a seed enters (``fit --seed``, ``synth --seed``), before anything is written.
"""

from __future__ import annotations

from typing import Any

from leuko_keras.errors import LeukoInputError

SEED_LIMIT = 2**32 - 1  # NumPy's and Keras's seeds are unsigned 32-bit


def check_seed(seed: Any, flag: str = "--seed") -> int:
    """``seed`` as an int when it is a whole number NumPy, Keras and TensorFlow all accept, else one line.

    >>> check_seed(7)
    7
    >>> check_seed(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leuko_keras.errors.LeukoInputError: --seed -1: must be a whole number from 0 to 4294967295; ...
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_LIMIT:
        raise LeukoInputError(f"{flag} {seed}: must be a whole number from 0 to {SEED_LIMIT}; pass e.g. {flag} 0")
    return seed
