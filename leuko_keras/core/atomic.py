"""Atomic writes: a killed process never leaves a half-written output.

Each writer produces a temporary file in the destination folder (same file
system, so ``os.replace`` is atomic) and renames it into place only once it is
complete.

>>> from pathlib import Path
>>> with atomic_path(Path("/tmp/leuko_atomic_demo.txt")) as tmp:
...     _ = tmp.write_text("done")
>>> Path("/tmp/leuko_atomic_demo.txt").read_text()
'done'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leuko_keras.errors import LeukoInputError

# Temporaries carry the writer's pid, so a later run can tell a dead writer's leftovers from a live one's.
_TEMP_NAME = re.compile(r"^\..+\.pid(\d+)\.[^.]+\.tmp(\..*)?$")


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; move it into place on success.

    The suffix of ``final`` is kept on the temporary name because several
    writers (Keras, PIL, h5py) choose the format from it.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    suffix = final.suffix if suffix is None else suffix
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(final.stem), suffix=f".tmp{suffix}", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync(tmp)
        # mkstemp creates 0600; give the result the permissions a plain open() would.
        if tmp.is_file():
            os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; it replaces ``final`` only when complete.

    ``final`` must be a folder or absent: a file there is never hidden or replaced. Callers that
    replace a folder holding user files check it first (:mod:`leuko_keras.core.outputs`).
    """
    # Normalised (not resolved): "." or "a/.." must name a real folder, a symlinked --out stays a link.
    final = Path(os.path.normpath(Path(final).expanduser().absolute()))
    if final.exists() and not final.is_dir():
        raise LeukoInputError(f"{final}: is a file, not a folder; choose a folder path")
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(final.name), suffix=".tmp", dir=final.parent))
    # mkdtemp creates 0700; the finished folder gets what a plain mkdir would.
    os.chmod(tmp, 0o777 & ~_current_umask())
    try:
        yield tmp
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | os.PathLike, payload: Any) -> Path:
    """Write ``payload`` as indented JSON to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    # numpy scalars and paths turn up in configs and result tables.
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _temp_prefix(name: str) -> str:
    return f".{name}.pid{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def clean_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Remove our own temporaries in ``folder`` whose writer is dead (kill -9); return what went.

    Only names made by :func:`atomic_path`/:func:`atomic_dir` (``.NAME.pidN.XXXX.tmp...``) are touched,
    and only when process N no longer exists: a user's file never matches, a live writer's is kept.

    >>> clean_stale_temps("/nonexistent")
    []
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            continue  # another process cleaned it first, or no permission: not ours to force
    return removed


@contextlib.contextmanager
def disk_full_error(target: str | os.PathLike, doing: str) -> Iterator[None]:
    """Turn a full disk inside the block into one :class:`LeukoInputError` line naming ``target``.

    Use it outside :func:`atomic_path`/:func:`atomic_dir`, so their temporaries are gone when the line prints.

    >>> with disk_full_error("/tmp/out.h5", "packing"):
    ...     pass
    """
    try:
        yield
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise LeukoInputError(
            f"{target}: disk full while {doing}; nothing was written (any earlier file there is intact); "
            "free some space and run again"
        ) from None
