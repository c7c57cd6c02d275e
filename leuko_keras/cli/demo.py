"""`leuko-keras demo`: the main job end to end on synthetic cells (wraps :mod:`leuko_keras.workflows.demo`).

>>> from typer.testing import CliRunner
>>> from leuko_keras.cli import app
>>> CliRunner().invoke(app, ["demo", "--help"]).exit_code
0
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leuko_keras.cli.common import user_errors


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("demo")(demo)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


@user_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for data, runs, export, predictions.")] = Path(
        "leuko_demo"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="Tiny sizes and steps (seconds, for tests; numbers meaningless).")
    ] = False,
) -> None:
    """The main job end to end: synthesise cells, train GP and NP, evaluate vs bicubic, export TFLite, predict, figures.

    Example: leuko-keras demo --out leuko_demo
    """
    from leuko_keras.workflows.demo import run_demo

    result = run_demo(out, quick=quick, log=_log)
    print(result.summary())
