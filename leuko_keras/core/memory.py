"""Refuse a request the machine's memory cannot hold, before allocating (not a MemoryError 37 GiB later).

>>> check_memory(10, "a tiny request", "nothing to fix")
>>> check_memory(2**70, "--size 10000000", "pass a smaller --size")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: --size 10000000: needs about ... GiB of memory, ... available; pass a smaller --size
"""

from __future__ import annotations

import os

from leuko_keras.errors import LeukoInputError


def available_bytes() -> int | None:
    """Memory the system can give without swapping (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(count: float) -> str:
    return f"{count / 2**30:,.1f} GiB"


def check_memory(needed_bytes: float, what: str, fix: str, available: int | None = None) -> None:
    """Raise :class:`LeukoInputError` when ``needed_bytes`` exceed the available memory."""
    free = available_bytes() if available is None else available
    if free is not None and needed_bytes > free:
        raise LeukoInputError(f"{what}: needs about {_gib(needed_bytes)} of memory, {_gib(free)} available; {fix}")
