"""The ``leuko-keras`` command line: a thin typer layer over the library.

The command modules import only typer and the standard library at module
level; TensorFlow, Keras and the library load inside a command, after its
arguments are parsed, so ``--help``, ``--version`` and a mistyped flag answer
at once. Native TensorFlow log lines are filtered for the whole command run
(:mod:`leuko_keras.core.quiet`) unless ``--verbose`` is given.

>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["--help"]).exit_code
0
>>> CliRunner().invoke(app, ["--version"]).output.startswith("leuko-keras ")
True
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from leuko_keras.cli import data, demo, evaluate, export, fit, models, predict, screen

app = typer.Typer(
    name="leuko-keras",
    help="Super-resolution of leukocyte micrographs with a geometry prior (Keras 3).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        # The code that runs, not the install metadata (an editable install's metadata goes stale).
        from leuko_keras import __version__

        typer.echo(f"leuko-keras {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show TensorFlow's native log lines (hidden by default).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Super-resolution of leukocyte micrographs with a geometry prior (Keras 3)."""
    if verbose:
        os.environ["LEUKO_KERAS_VERBOSE"] = "1"


for group in (data, models, fit, export, evaluate, predict, screen, demo):
    group.register(app)


def wants_verbose(argv: list[str]) -> bool:
    """True when ``--verbose`` comes before the command name (where the global option goes).

    >>> wants_verbose(["--verbose", "fit", "--out", "r"]), wants_verbose(["fit", "--out", "--verbose"])
    (True, False)
    """
    for arg in argv:
        if arg == "--verbose":
            return True
        if not arg.startswith("-"):
            return False
    return False


def main() -> None:
    """Console-script entry point: the command runs with native TensorFlow log lines filtered from stderr."""
    if wants_verbose(sys.argv[1:]):
        # Before TensorFlow loads: it reads these once.
        os.environ["LEUKO_KERAS_VERBOSE"] = "1"
    else:
        # TensorFlow's C++ start-up chatter hides the one line a user needs to read.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from leuko_keras.core.quiet import native_logs_filtered

    with native_logs_filtered():
        try:
            app()
        except SystemExit as done:
            code = done.code
        else:
            code = 0
    # Outside the filter: stderr is the terminal again when the interpreter exits.
    sys.exit(code)
