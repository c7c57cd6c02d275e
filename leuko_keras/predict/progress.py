"""Progress of a prediction on stderr: which file, which page, and which tile of a large image.

One status line, rewritten in place (``\\r``) on a terminal, so a single
16k x 16k field shows its tiles moving instead of a bar stuck at 0 of 1.
Off a terminal (logs, CI) only whole files are reported, one line each.

>>> import io
>>> stream = io.StringIO()
>>> progress = Progress(2, stream=stream, live=False)
>>> progress.start_file("a.tif"); progress.tile("a_p0", 64, 64); progress.end_file()
>>> stream.getvalue()
'predict 1/2 a.tif: done\\n'
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Status of ``total`` files; ``tile(name, done, count)`` is the hook :func:`iter_strips` calls."""

    def __init__(self, total: int, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.index = 0
        self.file = ""
        self._width = 0

    def start_file(self, name: str) -> None:
        """A new input file begins."""
        self.index += 1
        self.file = name
        self._show(f"predict {self.index}/{self.total} {name}")

    def tile(self, image: str, done: int, count: int) -> None:
        """Tile ``done`` of ``count`` of ``image`` (a page name for stacks) finished."""
        self._show(f"predict {self.index}/{self.total} {self.file} [{image}]: tile {done}/{count}")

    def end_file(self, status: str = "done") -> None:
        """The current file ended (``done`` or ``failed``); always leaves one line behind."""
        line = f"predict {self.index}/{self.total} {self.file}: {status}"
        if self.live:
            self.stream.write("\r" + line.ljust(self._width) + "\n")
        else:
            self.stream.write(line + "\n")
        self._width = 0
        self.stream.flush()

    def _show(self, line: str) -> None:
        if not self.live:
            return
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()
