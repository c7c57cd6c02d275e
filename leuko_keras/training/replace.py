"""``fit --overwrite`` without losing the old run: it is set aside, and dropped only once the new run has started.

Every check (flags, settings, ``--init``, the data, memory, disk) runs while the
old run is still in place. Just before the new run writes its first file, the
old run's files move into ``RUN_DIR/.replaced-run/`` (renames in one folder:
nothing is copied, nothing can half-fail); they are deleted when the new run
has completed its first epoch, and moved back if it fails before that (an
error, Ctrl-C, a NaN in the first epoch). Files the user put in the folder are
never moved, never deleted.

>>> from leuko_keras.training.runfolder import RunFolder
>>> PreviousRun(RunFolder("/tmp/leuko_replace_demo")).folder.name
'.replaced-run'
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import keras

from leuko_keras.training.runfolder import RUN_DIRS, RUN_FILES, RunFolder

ASIDE_NAME = ".replaced-run"


class PreviousRun:
    """The run an ``--overwrite`` replaces, kept aside until the new run has completed an epoch."""

    def __init__(self, run: RunFolder) -> None:
        self.run = run
        self.folder = run.root / ASIDE_NAME
        self.pending = False  # True from set_aside() until discard() or restore()

    def _entries(self, root: Path) -> list[Path]:
        return [root / name for name in (*RUN_FILES, *RUN_DIRS) if os.path.lexists(root / name)]

    def set_aside(self) -> None:
        """Move the old run's files out of the way of the new run (no-op when the folder holds none).

        A ``.replaced-run/`` already there was left by an overwrite killed before its first epoch ended:
        it holds the last real run, and what lies in the folder now is that attempt's start, so that goes.
        """
        if self.folder.is_dir():
            self.run.clear()
        elif self._entries(self.run.root):
            self.folder.mkdir()
            for entry in self._entries(self.run.root):
                os.replace(entry, self.folder / entry.name)
        self.pending = self.folder.is_dir()

    def restore(self) -> None:
        """Put the old run back (the new run's files go); called when the new run fails before its first epoch."""
        if not self.pending:
            return
        self.run.clear()
        for entry in self._entries(self.folder):
            os.replace(entry, self.run.root / entry.name)
        with contextlib.suppress(OSError):
            self.folder.rmdir()
        self.pending = False

    def discard(self) -> None:
        """Delete the old run for good: the new one has completed an epoch."""
        if self.folder.is_dir():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.pending = False

    def callback(self) -> keras.callbacks.Callback:
        """A callback (put it last) that discards the old run when the first epoch's files are all on disk."""
        return _DiscardAfterEpoch(self)


class _DiscardAfterEpoch(keras.callbacks.Callback):
    def __init__(self, previous: PreviousRun) -> None:
        super().__init__()
        self.previous = previous

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.previous.folder.is_dir():
            self.previous.discard()
