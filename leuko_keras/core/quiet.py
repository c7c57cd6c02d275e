"""TensorFlow's native log lines, filtered: a user's terminal shows the one ``error:`` line, not four.

TensorFlow's C++ libraries print lines while they load (``All log messages
before absl::InitializeLog()``, ``oneDNN custom operations are on``,
``cpu_feature_guard``), before ``TF_CPP_MIN_LOG_LEVEL`` is read, and later
from graph optimisation (``remapper failed: INVALID_ARGUMENT``, ``oneDNN
supports DT_UINT8 only on platforms with AVX-512``) and the TFLite
converter. They are written to file descriptor 2 by C++, so neither Python's
``sys.stderr`` nor the environment variable can stop them.

Two filters, both on file descriptor 2:

- :func:`native_startup_filtered` (the package import): fd 2 goes to a
  temporary file; afterwards every line that is not a known notice is
  written back to stderr.
- :func:`native_logs_filtered` (a whole CLI command): fd 2 becomes a pipe
  read by a thread that drops native log lines (``[EWI]NNNN `` prefix, or a
  known message) and passes everything else through at once, so progress
  bars, ``error:`` lines and tracebacks still arrive in order. On exit fd 2
  is restored.

Set ``LEUKO_KERAS_VERBOSE=1`` (``leuko-keras --verbose``) to see everything.

>>> with native_startup_filtered():
...     pass
>>> is_native_log("W0000 00:00:1700000000.1 123 remapper.cc:1] remapper failed: INVALID_ARGUMENT")
True
>>> is_native_log("error: cells/: no images found; check the folder")
False
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
import tempfile
import threading
from collections.abc import Iterator

VERBOSE_ENV = "LEUKO_KERAS_VERBOSE"

STARTUP_NOTICE = re.compile(
    r"All log messages before absl::InitializeLog|port\.cc:\d+\] oneDNN custom operations|"
    r"cpu_feature_guard\.cc|^To enable the following instructions:|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation_placer\.cc|TF-TRT Warning|cuda_executor|"
    r"external/local_xla/xla/stream_executor/cuda"
)
# absl/glog native lines: severity letter, MMDD, a space (``W0000 00:00:...`` before InitializeLog).
NATIVE_PREFIX = re.compile(r"^[EWI]\d{4} ")
# Native messages that come without that prefix (printed by TensorFlow, LiteRT or XNNPACK at native level).
NATIVE_MESSAGE = re.compile(
    STARTUP_NOTICE.pattern + r"|oneDNN custom operations are on|remapper failed: INVALID_ARGUMENT|"
    r"oneDNN supports DT_\w+ only on platforms with AVX-512|"
    r"^INFO: Created TensorFlow Lite (XNNPACK )?delegate for CPU|"
    r"^WARNING: All log messages before absl::InitializeLog"
)
# The longest prefix that still decides a line: shorter partial lines wait for more bytes.
_UNDECIDED = re.compile(r"^([EWI]\d{0,4}|W(A(R(N(I(N(G(:( (A(ll?)?)?)?)?)?)?)?)?)?)?|I(N(F(O(:)?)?)?)?)$")


def is_native_log(line: str) -> bool:
    """True for a TensorFlow/absl native log line (dropped unless verbose)."""
    text = line.lstrip("\r")
    return bool(NATIVE_PREFIX.match(text) or NATIVE_MESSAGE.search(text))


def verbose() -> bool:
    """True when the user asked to see every native log line (``--verbose`` or ``LEUKO_KERAS_VERBOSE=1``)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


@contextlib.contextmanager
def native_startup_filtered() -> Iterator[None]:
    """Run the block with TensorFlow's known native start-up notices removed from stderr."""
    if verbose() or sys.stderr is None:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines(keepends=True) if not STARTUP_NOTICE.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


@contextlib.contextmanager
def native_logs_filtered() -> Iterator[None]:
    """Run the block with every native TensorFlow log line removed from file descriptor 2.

    Everything else written to fd 2 (Python's ``sys.stderr``, a child process) passes through
    unchanged and without waiting for a newline, unless it could still become a native log line.
    """
    if verbose() or sys.stderr is None:
        yield
        return
    try:
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no stderr, or no descriptors left: run unfiltered rather than not at all
        yield
        return
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, saved), name="leuko-keras-stderr-filter", daemon=True)
    pump.start()
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end we hold: the pump reads EOF
        # A child process that inherited fd 2 may hold the pipe open; do not wait for it forever.
        pump.join(timeout=5)
        if not pump.is_alive():
            os.close(saved)


def _pump(read_end: int, target: int) -> None:
    pending = b""
    try:
        while True:
            # Wait briefly for more: a partial line that might be native is held only this long.
            ready, _, _ = select.select([read_end], [], [], 0.2 if pending else None)
            if not ready:  # a lone partial line: show it, unless it is itself a native line
                _write(target, b"" if is_native_log(pending.decode("utf-8", "replace")) else pending)
                pending = b""
                continue
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            pending = _emit(pending + chunk, target)
        _write(target, _filter_lines(pending))
    except OSError:  # the terminal went away: nothing left to show
        pass
    finally:
        os.close(read_end)


def _emit(data: bytes, target: int) -> bytes:
    """Write the decided part of ``data`` (filtered) and return the undecided tail."""
    cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
    head, tail = data[: cut + 1], data[cut + 1 :]
    out = _filter_lines(head)
    # A progress bar redraws with \r and no newline: pass it on now unless it may start a native line.
    text = tail.decode("utf-8", "replace")
    if tail and not _UNDECIDED.match(text) and not is_native_log(text):
        out, tail = out + tail, b""
    _write(target, out)
    return tail


def _filter_lines(data: bytes) -> bytes:
    lines = re.split(rb"(?<=[\r\n])", data)
    return b"".join(line for line in lines if line and not is_native_log(line.decode("utf-8", "replace")))


def _write(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]
