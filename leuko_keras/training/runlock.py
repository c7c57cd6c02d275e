"""One ``fit`` per run folder at a time: an exclusive lock the kernel drops when its holder dies.

The lock is ``RUN_DIR/.fit.lock`` held with ``flock``: released on any exit of
the holder, ``kill -9`` included, so a stale lock file left by a killed run is
simply taken over by the next one. The file records the holder's pid and host
so a second run can say who holds it.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with RunLock(folder):
...     RunLock(folder).acquire()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: ...: another leuko-keras fit (pid ...) is using this run folder; ...
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from types import TracebackType

from leuko_keras.errors import LeukoInputError

LOCK_NAME = ".fit.lock"


class RunLock:
    """Exclusive lock on a run folder; a context manager (``acquire``/``release`` also work)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self.took_over: str | None = None  # what a stale lock file said, when one was taken over

    def acquire(self) -> RunLock:
        """Take the lock or raise :class:`LeukoInputError` naming the live holder's pid."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read(fd)
                os.close(fd)
                raise LeukoInputError(
                    f"{self.folder}: another leuko-keras fit ({holder or 'unknown pid'}) is using this run folder; "
                    "wait for it to finish (or stop it) or choose another --out"
                ) from None
            # The holder before us may have unlinked the file between our open and our flock: then we
            # hold a lock on a file nobody else can see, and must start again on the current one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self.took_over = _read(fd) or None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock and remove its file (idempotent)."""
        if self._fd is None:
            return
        # Unlink while still holding the lock, so no one can lock the old file after we leave.
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()


def _read(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        return ""
