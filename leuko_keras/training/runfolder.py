"""The run folder: layout, preflight checks, atomic model saves and resume state.

Layout (self-describing, like a CARE model folder)::

    RUN_DIR/config.json    every setting, protocol, data fingerprint, versions
    RUN_DIR/best.keras     best validation PSNR so far
    RUN_DIR/last.keras     last completed epoch
    RUN_DIR/history.csv    one row per epoch (loss, PSNR, Dice, learning rate, seconds)
    RUN_DIR/curves.png     the history as plots
    RUN_DIR/summary.json   final validation metrics with the bicubic baseline beside them
    RUN_DIR/state.json     best epoch / value so far (for resume)
    RUN_DIR/logs/          TensorBoard
    RUN_DIR/backup/        BackupAndRestore state (weights + optimizer + epoch)

>>> run = RunFolder("/tmp/leuko_run_demo")
>>> run.best.name, run.backup.name
('best.keras', 'backup')
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leuko_keras.core.atomic import atomic_path, clean_stale_temps, write_json_atomic
from leuko_keras.core.outputs import check_not_under_file
from leuko_keras.errors import LeukoInputError
from leuko_keras.training.runlock import LOCK_NAME, RunLock

RUN_FILES = (
    "config.json",
    "best.keras",
    "last.keras",
    "history.csv",
    "curves.png",
    "summary.json",
    "state.json",
    "prior_warmup.json",
)
RUN_DIRS = ("logs", "backup")
MIN_FREE_BYTES = 50 * 2**20  # logs, csv, plots and some slack besides the model files


class RunFolder:
    """Paths and safe writes of one run folder."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser()
        self.config = self.root / "config.json"
        self.best = self.root / "best.keras"
        self.last = self.root / "last.keras"
        self.history = self.root / "history.csv"
        self.curves = self.root / "curves.png"
        self.summary = self.root / "summary.json"
        self.state = self.root / "state.json"
        self.logs = self.root / "logs"
        self.backup = self.root / "backup"
        self.prior_warmup = self.root / "prior_warmup.json"

    # -- preflight -----------------------------------------------------------------------------
    def preflight(self, resume: bool = False, overwrite: bool = False) -> None:
        """Fail before training with one line when the folder cannot hold this run.

        Existing run without ``--resume``/``--overwrite``, ``--resume`` with nothing to resume,
        or a folder that cannot be created or written: :class:`LeukoInputError`. Nothing is deleted
        here: an ``--overwrite`` sets the old run aside only once every check has passed
        (:mod:`leuko_keras.training.replace`).
        """
        self._check_not_file()
        # A kill -9 leaves our temporaries behind; they are no one's data, and would block a fresh start.
        for folder in (self.root, self.backup):
            clean_stale_temps(folder)
        holds_run = self.root.is_dir() and any(p.name != LOCK_NAME for p in self.root.iterdir())
        if resume and not self.config.is_file():
            raise LeukoInputError(f"{self.root}: no run to resume (config.json missing); drop --resume to start one")
        if holds_run and not resume and not overwrite:
            raise LeukoInputError(
                f"{self.root}: folder is not empty; pass --resume to continue the run there, "
                "--overwrite to start it again, or choose another --out"
            )
        self._check_writable()

    def _check_not_file(self) -> None:
        check_not_under_file(self.root.absolute(), "--out")
        if self.root.exists() and not self.root.is_dir():
            raise LeukoInputError(f"{self.root}: is a file, not a folder; choose another --out")

    @contextlib.contextmanager
    def locked(self) -> Iterator[RunLock]:
        """Hold the run folder's lock (see :mod:`leuko_keras.training.runlock`) for the block.

        A folder this call created is removed again when the block fails on a user error and left it empty.
        """
        self._check_not_file()
        created = not self.root.exists()
        try:
            lock = RunLock(self.root).acquire()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise LeukoInputError(
                f"{self.root}: cannot write the run folder ({reason}); choose another --out"
            ) from None
        try:
            yield lock
        except LeukoInputError:
            lock.release()
            if created:
                with contextlib.suppress(OSError):
                    self.root.rmdir()
            raise
        finally:
            lock.release()

    def _check_writable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write_probe."):
                pass
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise LeukoInputError(
                f"{self.root}: cannot write the run folder ({reason}); choose another --out"
            ) from None

    def check_free_space(self, needed_bytes: int, free_bytes: int | None = None) -> None:
        """Fail when the disk cannot hold the model files (best, last, backup) plus logs."""
        free = shutil.disk_usage(self.root).free if free_bytes is None else free_bytes
        needed = int(needed_bytes) + MIN_FREE_BYTES
        if free < needed:
            raise LeukoInputError(
                f"{self.root}: disk full ({_mb(free)} free, the run needs about {_mb(needed)}); "
                "free some space or choose another --out"
            )

    def clear(self) -> None:
        """Delete a previous run's files (only the ones a run writes: --overwrite never removes user files)."""
        for name in RUN_FILES:
            (self.root / name).unlink(missing_ok=True)
        for name in RUN_DIRS:
            shutil.rmtree(self.root / name, ignore_errors=True)

    # -- writes --------------------------------------------------------------------------------
    def save_model(self, model: Any, path: Path) -> Path:
        """Save a ``.keras`` file atomically; a full disk becomes a clear error, the old file stays."""
        try:
            with atomic_path(path) as tmp:
                model.save(tmp)
        except OSError as error:
            raise _disk_error(path, error) from None
        return path

    def copy_model(self, source: Path, target: Path) -> Path:
        """Make ``target`` the same model file as ``source`` atomically (a hard link: no second write)."""
        try:
            with atomic_path(target) as tmp:
                tmp.unlink()
                try:
                    os.link(source, tmp)
                except OSError:  # file systems without hard links
                    shutil.copy2(source, tmp)
        except OSError as error:
            raise _disk_error(target, error) from None
        return target

    def write_json(self, path: Path, payload: Any) -> Path:
        try:
            return write_json_atomic(path, payload)
        except OSError as error:
            raise _disk_error(path, error) from None

    # -- reads ---------------------------------------------------------------------------------
    def read_json(self, path: Path) -> dict[str, Any] | None:
        """A JSON file of the run, or None when missing or unreadable (a state file is a cache)."""
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def stored_config(self) -> dict[str, Any]:
        """config.json of an existing run (for --resume)."""
        from leuko_keras.runs.runrecord import read_config

        try:
            payload = read_config(self.config)
        except LeukoInputError:
            payload = None
        if not payload or "settings" not in payload:
            raise LeukoInputError(f"{self.config}: unreadable run configuration; start a new run with --overwrite")
        return payload


def _mb(count: int) -> str:
    return f"{count / 2**20:.0f} MB"


def _disk_error(path: Path, error: OSError) -> LeukoInputError | OSError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return LeukoInputError(
            f"{path}: disk full while saving (the previous file is intact); free space, then run "
            f"leuko-keras fit --resume {path.parent}"
        )
    return error
