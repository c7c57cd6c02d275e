"""What every command shares: user errors become one line and exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from leuko_keras.errors import LeukoInputError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 2


def user_errors(command: F) -> F:
    """Turn :class:`LeukoInputError` (and missing files) into ``error: ...`` on stderr and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LeukoInputError as error:
            fail(str(error))
        except FileNotFoundError as error:
            fail(f"{error.filename}: no such file or folder; check the path")

    return wrapper  # type: ignore[return-value]


def fail(message: str) -> None:
    """Print one line to stderr and exit with the user-error code."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_USER_ERROR)
