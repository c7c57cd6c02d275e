"""The ``leuko-keras`` command line: a thin typer layer over the library.

>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["--help"]).exit_code
0
"""

from __future__ import annotations

import os

# TensorFlow's C++ start-up chatter hides the one line a user needs to read.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import typer

from leuko_keras.cli import data, evaluate, export, fit, models

app = typer.Typer(
    name="leuko-keras",
    help="Super-resolution of leukocyte micrographs with a geometry prior (Keras 3).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for group in (data, models, fit, export, evaluate):
    group.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
