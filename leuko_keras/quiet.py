"""TensorFlow's native start-up lines, filtered: a user's terminal shows the one ``error:`` line, not four.

TensorFlow's C++ libraries print a few lines while they load (``All log
messages before absl::InitializeLog()``, ``oneDNN custom operations are
on``, ``cpu_feature_guard``), before ``TF_CPP_MIN_LOG_LEVEL`` is read, so
the variable cannot stop them. During the import only, file descriptor 2 is
sent to a temporary file; afterwards every line that is not one of those
known start-up notices is written back to stderr, so nothing else is lost.
Set ``LEUKO_KERAS_VERBOSE=1`` to see everything.

>>> with native_startup_filtered():
...     pass
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

STARTUP_NOTICE = re.compile(
    r"All log messages before absl::InitializeLog|port\.cc:\d+\] oneDNN custom operations|"
    r"cpu_feature_guard\.cc|^To enable the following instructions:|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation_placer\.cc|TF-TRT Warning|cuda_executor|"
    r"external/local_xla/xla/stream_executor/cuda"
)


@contextlib.contextmanager
def native_startup_filtered() -> Iterator[None]:
    """Run the block with TensorFlow's known native start-up notices removed from stderr."""
    if os.environ.get("LEUKO_KERAS_VERBOSE") or sys.stderr is None:
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
